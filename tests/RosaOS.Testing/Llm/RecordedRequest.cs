using System.Text.Json;

namespace RosaOS.Testing.Llm;

/// <summary>Which API a recorded request was for.</summary>
public enum LlmApi
{
    /// <summary>OpenAI-compatible chat completions (vLLM, Groq).</summary>
    ChatCompletions,

    /// <summary>Anthropic Messages.</summary>
    AnthropicMessages,

    /// <summary>GET …/models.</summary>
    Models,

    /// <summary>A route added by a test.</summary>
    Other,
}

/// <summary>One request the scripted server received, as sent on the wire.</summary>
public sealed class RecordedRequest
{
    internal RecordedRequest(int sequence, LlmApi api, string method, string path, IReadOnlyDictionary<string, string> headers, string body, byte[] rawBody)
    {
        Sequence = sequence;
        Api = api;
        Method = method;
        Path = path;
        Headers = headers;
        Body = body;
        RawBody = rawBody;
        if (body.Length > 0 && body.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                Json = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
            }
        }
    }

    /// <summary>Order of arrival, from 1.</summary>
    public int Sequence { get; }

    public LlmApi Api { get; }

    public string Method { get; }

    public string Path { get; }

    /// <summary>Request headers (lower-case names).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>The body as text.</summary>
    public string Body { get; }

    /// <summary>The body as bytes (multipart audio uploads).</summary>
    public IReadOnlyList<byte> RawBody { get; }

    /// <summary>The body as JSON, when it is JSON.</summary>
    public JsonElement? Json { get; }

    /// <summary>When it arrived.</summary>
    public DateTimeOffset At { get; } = DateTimeOffset.UtcNow;

    /// <summary>True when the request asked for a streamed answer.</summary>
    public bool Stream => Json is { } j && j.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

    /// <summary>The system prompt (OpenAI system message or Anthropic <c>system</c>).</summary>
    public string SystemPrompt
    {
        get
        {
            if (Json is not { } j)
            {
                return "";
            }
            if (j.TryGetProperty("system", out var system))
            {
                return TextOf(system);
            }
            return string.Join("\n", Messages.Where(m => m.Role is "system" or "developer").Select(m => m.Text));
        }
    }

    /// <summary>Role and text of every message (tool results included as their text).</summary>
    public IReadOnlyList<(string Role, string Text)> Messages
    {
        get
        {
            if (Json is not { } j || !j.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            return [.. messages.EnumerateArray().Select(m => (
                m.TryGetProperty("role", out var r) ? r.GetString() ?? "" : "",
                m.TryGetProperty("content", out var c) ? TextOf(c) : ""))];
        }
    }

    /// <summary>Text of the last user message.</summary>
    public string LastUserText => Messages.LastOrDefault(m => m.Role == "user").Text ?? "";

    /// <summary>Names of the tools offered.</summary>
    public IReadOnlyList<string> ToolNames
    {
        get
        {
            if (Json is not { } j || !j.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array)
            {
                return [];
            }
            return [.. tools.EnumerateArray().Select(t =>
                t.TryGetProperty("function", out var f) ? f.GetProperty("name").GetString()!
                : t.TryGetProperty("name", out var n) ? n.GetString()! : "")];
        }
    }

    /// <summary>The model asked for.</summary>
    public string? Model => Json is { } j && j.TryGetProperty("model", out var m) ? m.GetString() : null;

    public override string ToString() => $"#{Sequence} {Method} {Path} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";

    private static string TextOf(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString() ?? "",
        JsonValueKind.Array => string.Join("\n", content.EnumerateArray().Select(p =>
            p.ValueKind == JsonValueKind.String ? p.GetString()
            : p.TryGetProperty("text", out var t) ? t.GetString()
            : p.TryGetProperty("content", out var c) ? TextOf(c)
            : "")),
        _ => "",
    };
}

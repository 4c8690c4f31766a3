using System.Text.Json;

namespace RosaOS.Testing.Llm;

/// <summary>One tool call a scripted turn plays.</summary>
/// <param name="Name">Tool name.</param>
/// <param name="ArgumentsJson">The <c>arguments</c> string exactly as sent on the wire (may be malformed on purpose).</param>
public sealed record ScriptedToolCall(string Name, string ArgumentsJson);

/// <summary>
/// What the scripted LLM server answers to one request: text, tool calls, an HTTP error, or any of those
/// after a gate opens. It is played as given; the server never decides anything itself.
/// </summary>
public sealed record ScriptedTurn
{
    /// <summary>Assistant text (null content when only tool calls are played).</summary>
    public string? Text { get; init; }

    /// <summary>Tool calls, played in <c>tool_calls</c> (indices 0, 1, …).</summary>
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];

    /// <summary>gpt-oss quirk: put the tool calls as JSON in <c>content</c> with <c>tool_calls: []</c>.</summary>
    public bool ToolCallsInContent { get; init; }

    /// <summary>Reasoning text, sent in <c>reasoning</c> (vLLM ≥ late 2025, Groq) and, if set, <c>reasoning_content</c>.</summary>
    public string? Reasoning { get; init; }

    /// <summary>Also send the older <c>reasoning_content</c> field.</summary>
    public bool LegacyReasoningField { get; init; }

    /// <summary>When set, answer with this HTTP status and <see cref="ErrorBody"/> instead.</summary>
    public int? ErrorStatus { get; init; }

    /// <summary>Body of the error answer.</summary>
    public string? ErrorBody { get; init; }

    /// <summary>Extra response headers (retry-after, x-ratelimit-*).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The answer is held until this task completes (hang a worker, order events).</summary>
    public Task? Gate { get; init; }

    /// <summary>A text answer.</summary>
    public static ScriptedTurn Say(string text, string? reasoning = null) => new() { Text = text, Reasoning = reasoning };

    /// <summary>One tool call with arguments serialised from an object.</summary>
    public static ScriptedTurn Call(string name, object arguments, string? reasoning = null)
        => new() { ToolCalls = [new ScriptedToolCall(name, JsonSerializer.Serialize(arguments))], Reasoning = reasoning };

    /// <summary>Several tool calls in one turn (parallel calls).</summary>
    public static ScriptedTurn Calls(params (string Name, object Arguments)[] calls)
        => new() { ToolCalls = [.. calls.Select(c => new ScriptedToolCall(c.Name, JsonSerializer.Serialize(c.Arguments)))] };

    /// <summary>A tool call whose <c>arguments</c> string is sent verbatim (e.g. broken JSON).</summary>
    public static ScriptedTurn RawCall(string name, string argumentsJson) => new() { ToolCalls = [new ScriptedToolCall(name, argumentsJson)] };

    /// <summary>The vLLM/gpt-oss bug: the call as JSON text in <c>content</c>, <c>tool_calls</c> empty.</summary>
    public static ScriptedTurn CallInContent(string name, object arguments)
        => new() { ToolCalls = [new ScriptedToolCall(name, JsonSerializer.Serialize(arguments))], ToolCallsInContent = true };

    /// <summary>429 in Groq's shape with retry-after and the x-ratelimit-* headers.</summary>
    public static ScriptedTurn RateLimited(int retryAfterSeconds = 1) => new()
    {
        ErrorStatus = 429,
        ErrorBody = """{"error":{"message":"Rate limit reached for model `openai/gpt-oss-120b` in organization `org_test` service tier `on_demand` on tokens per minute (TPM): Limit 8000, Used 7990, Requested 200. Please try again in 1s.","type":"tokens","code":"rate_limit_exceeded"}}""",
        Headers = new Dictionary<string, string>
        {
            ["retry-after"] = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["x-ratelimit-limit-requests"] = "14400",
            ["x-ratelimit-limit-tokens"] = "8000",
            ["x-ratelimit-remaining-requests"] = "14370",
            ["x-ratelimit-remaining-tokens"] = "10",
            ["x-ratelimit-reset-requests"] = "2m59.56s",
            ["x-ratelimit-reset-tokens"] = "7.66s",
            ["x-request-id"] = "req_scripted",
        },
    };

    /// <summary>A server error in vLLM's envelope.</summary>
    public static ScriptedTurn ServerError(int status = 500, string message = "scripted server error") => new()
    {
        ErrorStatus = status,
        ErrorBody = JsonSerializer.Serialize(new { error = new { message, type = "InternalServerError", param = (string?)null, code = status } }),
    };

    /// <summary>Groq's 404 for a retired model.</summary>
    public static ScriptedTurn ModelNotFound(string model) => new()
    {
        ErrorStatus = 404,
        ErrorBody = JsonSerializer.Serialize(new { error = new { message = $"The model `{model}` does not exist or you do not have access to it.", type = "invalid_request_error", code = "model_not_found" } }),
    };

    /// <summary>The same turn, answered only after <paramref name="gate"/> completes (at once when it is null).</summary>
    public ScriptedTurn After(Task? gate) => this with { Gate = gate };
}

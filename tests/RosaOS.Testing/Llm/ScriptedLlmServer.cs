using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RosaOS.Testing.Llm;

/// <summary>
/// A wire-faithful stand-in for the LLM providers we cannot run here: OpenAI-compatible chat
/// completions (vLLM at /v1, Groq at /openai/v1; tools, streaming and not, reasoning fields, gpt-oss
/// quirks), GET …/models, Anthropic Messages (/v1/messages), and HTTP errors on demand. Every request
/// is recorded. It plays the turns the test scripted, in order or by predicate; it never decides.
/// Other tests add routes (speech, vision) through the <c>configure</c> callback of <see cref="StartAsync"/>.
/// </summary>
public sealed class ScriptedLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(Func<RecordedRequest, bool>? Predicate, ScriptedTurn Turn)> _script = [];
    private readonly List<Func<RecordedRequest, ScriptedTurn?>> _rules = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<(Func<RecordedRequest, bool> Predicate, TaskCompletionSource<RecordedRequest> Done)> _waiters = [];
    private readonly Lock _lock = new();
    private int _sequence;
    private int _ids;

    private ScriptedLlmServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The loopback port the OS gave it (it binds port 0).</summary>
    public int Port { get; private set; }

    /// <summary>http://127.0.0.1:port</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The vLLM-style base URL (LOCAL_LLM_ENDPOINT).</summary>
    public string OpenAiBaseUrl => BaseUrl + "/v1";

    /// <summary>The Groq-style base URL (GROQ_BASE_URL).</summary>
    public string GroqBaseUrl => BaseUrl + "/openai/v1";

    /// <summary>The Anthropic base URL (ANTHROPIC_BASE_URL).</summary>
    public string AnthropicBaseUrl => BaseUrl;

    /// <summary>Model ids listed by GET …/models.</summary>
    public IReadOnlyList<string> Models { get; set; } = ["openai/gpt-oss-120b"];

    /// <summary>Played (repeatedly) when no scripted turn matches; null answers 500 "no scripted turn".</summary>
    public ScriptedTurn? Fallback { get; set; }

    /// <summary>Every request so far.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Chat requests (either API) so far.</summary>
    public IReadOnlyList<RecordedRequest> ChatRequests => [.. Requests.Where(r => r.Api is LlmApi.ChatCompletions or LlmApi.AnthropicMessages)];

    /// <summary>Starts on loopback port 0 (<see cref="Port"/> is the port it got).</summary>
    /// <param name="configure">Adds routes (e.g. /v1/audio/transcriptions); they are recorded like the others.</param>
    public static async Task<ScriptedLlmServer> StartAsync(Action<WebApplication, ScriptedLlmServer>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedLlmServer(app);
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            context.Request.Body.Position = 0;
            var path = context.Request.Path.Value ?? "";
            var api = path.EndsWith("/chat/completions", StringComparison.Ordinal) ? LlmApi.ChatCompletions
                : path.EndsWith("/messages", StringComparison.Ordinal) ? LlmApi.AnthropicMessages
                : path.EndsWith("/models", StringComparison.Ordinal) ? LlmApi.Models
                : LlmApi.Other;
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var bytes = buffer.ToArray();
            context.Items["recorded"] = server.Record(api, context.Request.Method, path, headers, Encoding.UTF8.GetString(bytes), bytes);
            await next(context);
        });
        foreach (var prefix in new[] { "/v1", "/openai/v1" })
        {
            app.MapGet(prefix + "/models", (HttpContext c) => server.ModelsAsync(c));
            app.MapPost(prefix + "/chat/completions", (HttpContext c) => server.ChatCompletionsAsync(c));
        }
        app.MapPost("/v1/messages", (HttpContext c) => server.AnthropicAsync(c));
        configure?.Invoke(app, server);
        await app.StartAsync();
        server.Port = LoopbackPort.Of(app);
        return server;
    }

    /// <summary>Adds a turn played by the next request that no earlier unplayed turn claims.</summary>
    public ScriptedLlmServer Enqueue(params ScriptedTurn[] turns)
    {
        lock (_lock)
        {
            foreach (var turn in turns)
            {
                _script.Add((null, turn));
            }
        }
        return this;
    }

    /// <summary>Adds a turn played by the first request for which <paramref name="predicate"/> holds (e.g. "the kernel is asking").</summary>
    public ScriptedLlmServer When(Func<RecordedRequest, bool> predicate, params ScriptedTurn[] turns)
    {
        lock (_lock)
        {
            foreach (var turn in turns)
            {
                _script.Add((predicate, turn));
            }
        }
        return this;
    }

    /// <summary>
    /// Adds a standing rule, asked (in the order added) when no queued turn claims a request: the turn it
    /// returns is played, null passes. Unlike queued turns a rule is never used up, so a conversation that
    /// is asked the same question again (a process restarted mid-request) gets the same answer again.
    /// </summary>
    public ScriptedLlmServer Respond(Func<RecordedRequest, ScriptedTurn?> rule)
    {
        lock (_lock)
        {
            _rules.Add(rule);
        }
        return this;
    }

    /// <summary>Waits for a request matching <paramref name="predicate"/> (including ones already received).</summary>
    public Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> predicate, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var existing = _requests.FirstOrDefault(predicate);
            if (existing is not null)
            {
                return Task.FromResult(existing);
            }
            _waiters.Add((predicate, done));
        }
        return done.Task.WaitAsync(timeout ?? TestTimeouts.Effect, TestContext.Current.CancellationToken);
    }

    /// <summary>Writes a JSON answer (for added routes).</summary>
    public static Task WriteJsonAsync(HttpContext context, int status, string json)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    /// <summary>The recorded form of the request being handled (for added routes).</summary>
    public static RecordedRequest Current(HttpContext context) => (RecordedRequest)context!.Items["recorded"]!;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private RecordedRequest Record(LlmApi api, string method, string path, Dictionary<string, string> headers, string body, byte[] raw)
    {
        List<TaskCompletionSource<RecordedRequest>>? matched = null;
        RecordedRequest request;
        lock (_lock)
        {
            request = new RecordedRequest(++_sequence, api, method, path, headers, body, raw);
            _requests.Add(request);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Predicate(request))
                {
                    (matched ??= []).Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }
        matched?.ForEach(t => t.TrySetResult(request));
        TestLog.Write($"[llm] {request}");
        return request;
    }

    private ScriptedTurn? Take(RecordedRequest request)
    {
        lock (_lock)
        {
            for (var i = 0; i < _script.Count; i++)
            {
                if (_script[i].Predicate is null || _script[i].Predicate!(request))
                {
                    var turn = _script[i].Turn;
                    _script.RemoveAt(i);
                    return turn;
                }
            }
            foreach (var rule in _rules)
            {
                if (rule(request) is { } turn)
                {
                    return turn;
                }
            }
        }
        return Fallback;
    }

    private Task ModelsAsync(HttpContext context)
    {
        var groq = context.Request.Path.StartsWithSegments("/openai", StringComparison.Ordinal);
        var data = new JsonArray([.. Models.Select(id => (JsonNode)(groq
            ? new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = 1754408224, ["owned_by"] = "OpenAI", ["active"] = true, ["context_window"] = 131072 }
            : new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = 1775029496, ["owned_by"] = "vllm", ["root"] = "/models/" + id, ["max_model_len"] = 131072 }))]);
        return WriteJsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = data }.ToJsonString());
    }

    private async Task<ScriptedTurn?> PrepareAsync(HttpContext context)
    {
        var request = Current(context);
        var turn = Take(request);
        if (turn?.Gate is { } gate)
        {
            await gate.WaitAsync(context.RequestAborted);
        }
        foreach (var (name, value) in turn?.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }
        return turn;
    }

    private async Task ChatCompletionsAsync(HttpContext context)
    {
        var turn = await PrepareAsync(context);
        if (turn is null)
        {
            await WriteJsonAsync(context, 500, """{"error":{"message":"scripted LLM server: no scripted turn matches this request","type":"InternalServerError","code":500}}""");
            return;
        }
        if (turn.ErrorStatus is { } status)
        {
            await WriteJsonAsync(context, status, turn.ErrorBody ?? "{}");
            return;
        }
        var request = Current(context);
        var model = request.Model ?? (Models.Count > 0 ? Models[0] : "model");
        var id = "chatcmpl-" + Interlocked.Increment(ref _ids).ToString(CultureInfo.InvariantCulture);
        var toolCalls = new JsonArray();
        string? content = turn.Text;
        if (turn.ToolCallsInContent)
        {
            content = new JsonArray([.. turn.ToolCalls.Select(c => (JsonNode)new JsonObject { ["name"] = c.Name, ["parameters"] = JsonNode.Parse(c.ArgumentsJson) })]).ToJsonString();
        }
        else
        {
            var index = 0;
            foreach (var call in turn.ToolCalls)
            {
                toolCalls.Add(new JsonObject
                {
                    ["id"] = $"chatcmpl-tool-{_ids}-{index++}",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
                });
            }
        }
        var finish = toolCalls.Count > 0 ? "tool_calls" : "stop";
        if (request.Stream)
        {
            await StreamChatAsync(context, id, model, turn, content, toolCalls, finish);
            return;
        }
        var message = new JsonObject { ["role"] = "assistant", ["content"] = content, ["tool_calls"] = toolCalls };
        if (turn.Reasoning is not null)
        {
            message["reasoning"] = turn.Reasoning;
            if (turn.LegacyReasoningField)
            {
                message["reasoning_content"] = turn.Reasoning;
            }
        }
        var body = new JsonObject
        {
            ["id"] = id,
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["finish_reason"] = finish, ["logprobs"] = null, ["message"] = message }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = request.Body.Length / 4, ["completion_tokens"] = 20, ["total_tokens"] = request.Body.Length / 4 + 20 },
            ["system_fingerprint"] = "fp_scripted",
            ["x_groq"] = new JsonObject { ["id"] = "req_" + id },
        };
        await WriteJsonAsync(context, 200, body.ToJsonString());
    }

    private static async Task StreamChatAsync(HttpContext context, string id, string model, ScriptedTurn turn, string? content, JsonArray toolCalls, string finish)
    {
        context.Response.ContentType = "text/event-stream";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        async Task Chunk(JsonObject delta, string? finishReason, JsonObject? usage = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = created,
                ["model"] = model,
                ["choices"] = usage is null
                    ? new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason })
                    : new JsonArray(),
            };
            if (usage is not null)
            {
                chunk["usage"] = usage;
            }
            await context.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
            await context.Response.Body.FlushAsync();
        }
        await Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
        if (turn.Reasoning is not null)
        {
            await Chunk(new JsonObject { ["reasoning"] = turn.Reasoning }, null);
        }
        if (!string.IsNullOrEmpty(content))
        {
            // Split the text in two pieces so clients must concatenate deltas.
            var half = content.Length / 2;
            await Chunk(new JsonObject { ["content"] = content[..half] }, null);
            await Chunk(new JsonObject { ["content"] = content[half..] }, null);
        }
        for (var i = 0; i < toolCalls.Count; i++)
        {
            var call = toolCalls[i]!.AsObject();
            var function = call["function"]!.AsObject();
            var arguments = function["arguments"]!.GetValue<string>();
            var half = arguments.Length / 2;
            // First fragment carries id, type and name; later ones only argument text, accumulated by index.
            await Chunk(new JsonObject
            {
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["index"] = i,
                    ["id"] = call["id"]!.GetValue<string>(),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = function["name"]!.GetValue<string>(), ["arguments"] = "" },
                }),
            }, null);
            await Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = arguments[..half] } }) }, null);
            await Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = i, ["function"] = new JsonObject { ["arguments"] = arguments[half..] } }) }, null);
        }
        await Chunk(new JsonObject(), finish);
        await Chunk(new JsonObject(), null, new JsonObject { ["prompt_tokens"] = 100, ["completion_tokens"] = 20, ["total_tokens"] = 120 });
        await context.Response.WriteAsync("data: [DONE]\n\n");
    }

    private async Task AnthropicAsync(HttpContext context)
    {
        var turn = await PrepareAsync(context);
        if (turn is null)
        {
            await WriteJsonAsync(context, 500, """{"type":"error","error":{"type":"api_error","message":"scripted LLM server: no scripted turn matches this request"}}""");
            return;
        }
        if (turn.ErrorStatus is { } status)
        {
            var type = status switch { 429 => "rate_limit_error", 529 => "overloaded_error", 404 => "not_found_error", >= 500 => "api_error", _ => "invalid_request_error" };
            var body = turn.ErrorBody is { } b && b.Contains("\"type\":\"error\"", StringComparison.Ordinal)
                ? b
                : JsonSerializer.Serialize(new { type = "error", error = new { type, message = "scripted error " + status }, request_id = "req_scripted" });
            await WriteJsonAsync(context, status, body);
            return;
        }
        var request = Current(context);
        var content = new JsonArray();
        if (!string.IsNullOrEmpty(turn.Text))
        {
            content.Add(new JsonObject { ["type"] = "text", ["text"] = turn.Text });
        }
        var n = Interlocked.Increment(ref _ids);
        var index = 0;
        foreach (var call in turn.ToolCalls)
        {
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = $"toolu_{n}_{index++}", ["name"] = call.Name, ["input"] = JsonNode.Parse(call.ArgumentsJson) });
        }
        var answer = new JsonObject
        {
            ["id"] = "msg_" + n.ToString(CultureInfo.InvariantCulture),
            ["type"] = "message",
            ["role"] = "assistant",
            ["model"] = request.Model,
            ["content"] = content,
            ["stop_reason"] = turn.ToolCalls.Count > 0 ? "tool_use" : "end_turn",
            ["stop_sequence"] = null,
            ["usage"] = new JsonObject { ["input_tokens"] = request.Body.Length / 4, ["output_tokens"] = 20 },
        };
        context.Response.Headers["request-id"] = "req_scripted_" + n.ToString(CultureInfo.InvariantCulture);
        await WriteJsonAsync(context, 200, answer.ToJsonString());
    }
}

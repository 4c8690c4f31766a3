using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace RosaOS.Security.Tests;

/// <summary>Counts of one fuzz run of one service.</summary>
internal sealed class FuzzCounts
{
    public int Sent;
    public int Answered2xx;
    public int Answered4xx;
    public int Answered5xx;
    public int Unavailable;
    public int Hangs;
    public int ConnectionErrors;
    public readonly List<string> Problems = [];

    public override string ToString()
        => $"{Sent} requests: {Answered2xx} 2xx/3xx, {Answered4xx} 4xx, {Answered5xx} 5xx, {Unavailable} 503 'Backend not running' (daemon contract), {Hangs} hangs, {ConnectionErrors} connection errors";
}

/// <summary>
/// Generates hostile requests from a service's route table and, for MCP endpoints, from each tool's JSON schema: wrong types,
/// missing and extra fields, NaN/Infinity, huge numbers and strings, deep nesting, invalid UTF-8 and lone surrogates, huge and
/// truncated bodies, wrong content types and Origins. Every request must be answered below 500 within the deadline.
/// </summary>
internal sealed class Fuzzer(HttpClient http, int seed, TimeSpan deadline)
{
    private static readonly string[] s_fields =
    [
        "text", "prompt", "worker_id", "message", "done", "source", "reason", "by", "confirm", "note", "head_pose", "duration", "volume",
        "name", "file", "azimuth_deg", "antennas", "body_yaw", "uuid", "target_head_pose", "target_antennas", "target_body_yaw",
        "interpolation", "x", "y", "z", "roll", "pitch", "yaw", "tool", "arguments", "status", "idempotency_key", "robots", "system_prompt",
        "force", "image", "question", "multiple", "emotion", "person_name", "linear", "angular", "topic", "call_id", "started_at",
    ];

    private readonly Random _random = new(seed);

    /// <summary>Sends <paramref name="cases"/> requests to <paramref name="baseUrl"/>'s routes, <paramref name="parallel"/> at a time.</summary>
    public async Task<FuzzCounts> RunAsync(string baseUrl, IReadOnlyList<(string Pattern, string[] Methods)> routes,
        IReadOnlyList<JsonObject> mcpTools, string? mcpSession, bool allowBackendNotRunning, int cases, int parallel, CancellationToken cancellationToken)
    {
        var counts = new FuzzCounts();
        var requests = new List<Func<HttpRequestMessage>>();
        for (var i = 0; i < cases; i++)
        {
            var (pattern, methods) = routes[_random.Next(routes.Count)];
            var isMcp = pattern.EndsWith("/mcp", StringComparison.Ordinal);
            var method = methods.Length == 0 ? Pick("GET", "POST", "PUT", "DELETE") : methods[_random.Next(methods.Length)];
            if (isMcp && _random.Next(4) > 0)
            {
                method = "POST";
            }
            var path = Path(pattern);
            var (body, contentType) = method is "GET" or "HEAD" or "DELETE" && _random.Next(8) > 0
                ? (null, null)
                : isMcp ? McpBody(mcpTools) : Body();
            var origin = _random.Next(10) switch { 0 => "https://evil.example", 1 => "null", _ => null };
            var fetchSite = _random.Next(12) == 0 ? "cross-site" : null;
            var query = method == "GET" && _random.Next(3) == 0 ? Query() : "";
            var session = _random.Next(8) > 0;
            requests.Add(() =>
            {
                var request = new HttpRequestMessage(new HttpMethod(method), baseUrl + path + query);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                    if (contentType is not null)
                    {
                        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                    }
                }
                if (origin is not null)
                {
                    request.Headers.TryAddWithoutValidation("Origin", origin);
                }
                if (fetchSite is not null)
                {
                    request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
                }
                if (isMcp)
                {
                    request.Headers.Accept.ParseAdd("application/json");
                    request.Headers.Accept.ParseAdd("text/event-stream");
                    request.Headers.TryAddWithoutValidation("MCP-Protocol-Version", "2025-06-18");
                    if (mcpSession is not null && session)
                    {
                        request.Headers.TryAddWithoutValidation("Mcp-Session-Id", mcpSession);
                    }
                }
                return request;
            });
        }
        using var gate = new SemaphoreSlim(parallel);
        var tasks = requests.Select(async make =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                await SendOneAsync(make(), counts, allowBackendNotRunning, cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(tasks);
        return counts;
    }

    private async Task SendOneAsync(HttpRequestMessage request, FuzzCounts counts, bool contractUnavailable, CancellationToken cancellationToken)
    {
        using var _ = request;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        var watch = Stopwatch.StartNew();
        Interlocked.Increment(ref counts.Sent);
        try
        {
            // Headers are the answer: streams (SSE, the microphone) are endless by design and are closed once they answer.
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            var status = (int)response.StatusCode;
            if (status == 503 && contractUnavailable)
            {
                // The daemon's contract: 503 "Backend not running" once a fuzzed POST /api/daemon/stop stopped the robot.
                var text = await ReadSomeAsync(response, timeout.Token);
                if (text.Contains("Backend not running", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref counts.Unavailable);
                    return;
                }
            }
            if (status >= 500)
            {
                Interlocked.Increment(ref counts.Answered5xx);
                var text = response.Content.Headers.ContentType?.MediaType is "text/event-stream" ? "(stream)" : await ReadSomeAsync(response, timeout.Token);
                lock (counts.Problems)
                {
                    counts.Problems.Add($"{status} {request.Method} {request.RequestUri} ({request.Content?.Headers.ContentType}): {text}");
                }
            }
            else if (status >= 400)
            {
                Interlocked.Increment(ref counts.Answered4xx);
            }
            else
            {
                Interlocked.Increment(ref counts.Answered2xx);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref counts.Hangs);
            lock (counts.Problems)
            {
                counts.Problems.Add($"no answer within {deadline.TotalSeconds} s: {request.Method} {request.RequestUri}");
            }
        }
        catch (HttpRequestException ex)
        {
            Interlocked.Increment(ref counts.ConnectionErrors);
            lock (counts.Problems)
            {
                counts.Problems.Add($"connection error after {watch.ElapsedMilliseconds} ms: {request.Method} {request.RequestUri}: {ex.Message}");
            }
        }
    }

    private static async Task<string> ReadSomeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            return text.Length > 300 ? text[..300] : text;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return "(unreadable body)";
        }
    }

    private T Pick<T>(params T[] items) => items[_random.Next(items.Length)];

    private string Path(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}([^}:=?]+)[^}]*\}", m => _random.Next(3) switch
    {
        0 => SecurityStack.Fill(m.Value),
        1 => Uri.EscapeDataString(Pick("..%2f..%2fetc%2fpasswd", "%00", "a b", new string('x', 3000), "\ud800", "reachy-mini", "-1", "1e999")),
        _ => Pick("reachy-mini", "turtlebot", "nope", "enabled", "disabled", "gravity_compensation", "reset_head", "emergency_stop"),
    });

    private string Query() => "?" + Pick("limit", "since", "frequency", "status", "wait", "text", "wake_up", "goto_sleep", "with_head_pose", "t") + "="
        + Uri.EscapeDataString(Pick("abc", "-1", "0", "1e309", "NaN", "99999999999999999999", "true", "", new string('9', 5000), "\ud800x"));

    private (byte[] Body, string? ContentType) Body()
    {
        var contentType = _random.Next(10) switch
        {
            0 => "text/plain",
            1 => null,
            2 => "application/x-www-form-urlencoded",
            3 => "application/json; charset=latin1",
            4 => "audio/wav",
            _ => "application/json",
        };
        return (_random.Next(10) switch
        {
            0 => Encoding.UTF8.GetBytes(Truncate(Object().ToJsonString())),
            1 => [0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d], // {"text":"<invalid UTF-8>"}
            2 => Encoding.UTF8.GetBytes(Nesting(_random.Next(2) == 0 ? 65 : 5000)),
            3 => Encoding.UTF8.GetBytes(Pick("""{"text":"\ud800"}""", """{"prompt":"\udfff x"}""", """{"worker_id":"\ud800","message":"\udc00","done":true}""",
                """{"source":"\ud800","reason":"x"}""", """{"name":"\ud83d"}""", """{"file":"\ud800.wav"}""")),
            4 => Encoding.UTF8.GetBytes(Pick("NaN", "{\"duration\":NaN}", "{\"volume\":Infinity}", "{\"x\":-Infinity}", "[", "}", "", "null", "0",
                "\"s\"", "{\"a\":1,}", "{'a':1}", "{\"text\":\"a\" \"b\"}", "\u00ef\u00bb\u00bf{}")),
            5 => Huge(),
            _ => Encoding.UTF8.GetBytes(Object().ToJsonString()),
        }, contentType);
    }

    private byte[] Huge() => _random.Next(3) switch
    {
        0 => Encoding.UTF8.GetBytes("{\"text\":\"" + new string('a', 1_100_000) + "\"}"),
        1 => Encoding.UTF8.GetBytes("{\"text\":\"" + new string('a', 200_000) + "\"}"),
        _ => Encoding.UTF8.GetBytes("[" + string.Join(',', Enumerable.Repeat("1e308", 100_000)) + "]"),
    };

    private string Truncate(string json) => json.Length < 2 ? json : json[.._random.Next(1, json.Length)];

    private static string Nesting(int depth) => new string('[', depth) + new string(']', depth);

    private JsonObject Object()
    {
        var obj = new JsonObject();
        var n = _random.Next(0, 6);
        for (var i = 0; i < n; i++)
        {
            obj[Pick(s_fields)] = Value(0);
        }
        return obj;
    }

    private JsonNode? Value(int depth) => _random.Next(depth > 3 ? 9 : 12) switch
    {
        0 => null,
        1 => JsonValue.Create(Pick(true, false)),
        2 => JsonValue.Create(Pick(0, -1, 1, int.MaxValue, int.MinValue)),
        3 => JsonValue.Create(Pick(1e308, -1e308, 5e-324, 0.5, -0.0, 3.14159, 1e20)),
        4 => JsonValue.Create(Pick(long.MaxValue, long.MinValue)),
        5 => JsonValue.Create(Pick("", "ui", "cli", "api", "reachy-mini", "yes1", "hello", "minjerk", "enabled", "../../etc/passwd", "/etc/passwd",
            "http://169.254.169.254/latest/meta-data", "\u0000", "wake_up.wav")),
        6 => JsonValue.Create(new string('x', Pick(1000, 70_000, 500_000))),
        7 => JsonValue.Create("\u00e9\u4e2d\U0001F600"),
        8 => JsonValue.Create(Pick(0.0, 1.0, 10.0, 100.0, 1000.0)),
        9 => new JsonArray(Enumerable.Range(0, _random.Next(0, 5)).Select(_ => Value(depth + 1)).ToArray()),
        10 => Object(depth + 1),
        _ => new JsonObject { ["x"] = 0.0, ["y"] = 0.0, ["z"] = 0.0, ["roll"] = 0.0, ["pitch"] = 0.0, ["yaw"] = Value(depth + 1) },
    };

    private JsonObject Object(int depth)
    {
        var obj = new JsonObject();
        for (var i = _random.Next(0, 4); i > 0; i--)
        {
            obj[Pick(s_fields)] = Value(depth);
        }
        return obj;
    }

    private (byte[] Body, string? ContentType) McpBody(IReadOnlyList<JsonObject> tools)
    {
        if (_random.Next(5) == 0 || tools.Count == 0)
        {
            return Body();
        }
        JsonNode? message = _random.Next(6) switch
        {
            0 => new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "initialize",
                ["params"] = new JsonObject { ["protocolVersion"] = Pick("2025-06-18", "1999-01-01", ""), ["capabilities"] = Value(1), ["clientInfo"] = Value(1) } },
            1 => new JsonObject { ["jsonrpc"] = "2.0", ["id"] = Value(0), ["method"] = Pick("tools/list", "tools/call", "nope", "resources/read", "prompts/get") , ["params"] = Value(0) },
            2 => new JsonArray(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "ping" }),
            _ => ToolCall(tools[_random.Next(tools.Count)]),
        };
        return (Encoding.UTF8.GetBytes(message?.ToJsonString() ?? "null"), _random.Next(12) == 0 ? "text/plain" : "application/json");
    }

    /// <summary>A tools/call whose arguments follow the tool's schema, then are broken: wrong types, missing, extra, out of range.</summary>
    private JsonObject ToolCall(JsonObject tool)
    {
        var arguments = new JsonObject();
        var properties = tool["inputSchema"]?["properties"] as JsonObject ?? [];
        foreach (var (name, schema) in properties)
        {
            if (_random.Next(5) == 0)
            {
                continue; // missing
            }
            var type = schema?["type"]?.ToString() ?? "";
            arguments[name] = _random.Next(3) == 0 ? Value(0) : type switch
            {
                "number" or "integer" => JsonValue.Create(Pick(0.0, 1.0, -1.0, 1e308, -1e308, 1e-300, 42.0)),
                "boolean" => JsonValue.Create(Pick(true, false)),
                "array" => new JsonArray(Value(1), Value(1)),
                "string" => JsonValue.Create(Pick("", "x", "happy", "../../../etc/passwd", "http://127.0.0.1:1/x.png", "file:///etc/passwd",
                    new string('a', 100_000), "\u0000")),
                _ => Value(0),
            };
        }
        if (_random.Next(4) == 0)
        {
            arguments[Pick(s_fields)] = Value(0); // extra
        }
        return new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = _random.Next(),
            ["method"] = "tools/call",
            ["params"] = new JsonObject { ["name"] = tool["name"]?.ToString(), ["arguments"] = _random.Next(15) == 0 ? Value(0) : arguments },
        };
    }
}

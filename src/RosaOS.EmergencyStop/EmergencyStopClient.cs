using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;

namespace RosaOS.EmergencyStop;

/// <summary>A driver as the stop's callers see it: its name, its HTTP stop endpoint, and its MCP endpoint for the fallback.</summary>
/// <param name="Name">The drivers.json key.</param>
/// <param name="EstopUrl">The contract's HTTP base (<c>http://host:port/estop</c>).</param>
/// <param name="McpUrl">The driver's MCP endpoint, used when it serves no HTTP stop (a driver with only the MCP half).</param>
public sealed record StopTarget(string Name, Uri EstopUrl, Uri? McpUrl)
{
    /// <summary>Headers sent with every stop request (drivers.json <c>headers</c>, e.g. the remote driver's bearer token).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The stop endpoint of a driver whose MCP server is at <paramref name="mcpUrl"/>: same origin, path /estop.</summary>
    public static Uri DefaultEstopUrl(Uri mcpUrl)
    {
        ArgumentNullException.ThrowIfNull(mcpUrl);
        return new Uri(mcpUrl, EstopContract.HttpPath);
    }
}

/// <summary>One driver's answer to engage, halt, release or a state read, as the kernel, the audit log and <c>rosa estop</c> show it.</summary>
public sealed record DriverEstopResult
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    /// <summary>engage, halt, release or state.</summary>
    [JsonPropertyName("action")]
    public required string Action { get; init; }

    /// <summary>True when the action did what it should: latched with the robot reached, halted, released, or read.</summary>
    [JsonPropertyName("ok")]
    public bool Ok { get; init; }

    /// <summary>True when the driver answered at all.</summary>
    [JsonPropertyName("answered")]
    public bool Answered { get; init; }

    /// <summary>The latch after the action, when the driver said.</summary>
    [JsonPropertyName("engaged")]
    public bool? Engaged { get; init; }

    /// <summary>Whether the driver reached its robot (engage and halt).</summary>
    [JsonPropertyName("reachable")]
    public bool? Reachable { get; init; }

    /// <summary>"http" or "mcp".</summary>
    [JsonPropertyName("via")]
    public string? Via { get; init; }

    /// <summary>One line for people.</summary>
    [JsonPropertyName("summary")]
    public required string Summary { get; init; }

    [JsonPropertyName("elapsed_ms")]
    public double ElapsedMs { get; init; }

    /// <summary>The driver's own answer (<see cref="StopAnswer"/>, <see cref="ReleaseAnswer"/> or <see cref="EstopState"/>).</summary>
    [JsonPropertyName("answer")]
    public JsonElement? Answer { get; init; }
}

/// <summary>
/// Calls the stop contract of drivers, in parallel, each within its own deadline, over HTTP, falling back to the
/// driver's declared MCP tool when it serves no HTTP endpoint. One instance is meant to live long (warm connections
/// make the stop faster). Used by the kernel and by <c>rosa estop</c>.
/// </summary>
public sealed class EmergencyStopClient : IDisposable
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of the stop's client.</summary>
    public const string HttpClientName = "estop";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>A client with its own connection pool (<c>rosa estop</c>, tests).</summary>
    public EmergencyStopClient()
    {
        _http = new HttpClient(CreateHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        _ownsHttp = true;
    }

    /// <summary>A client over <paramref name="http"/> (from <see cref="AddEmergencyStopClient"/>'s named client; not disposed here).</summary>
    public EmergencyStopClient(HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
    }

    /// <summary>
    /// Registers the singleton client over the named client <see cref="HttpClientName"/>. Deliberately no resilience handler:
    /// every call has its own deadline, and a retry belongs to the caller (the kernel's one repeat of the fan-out to the
    /// drivers that did not answer), never to a pipeline that could hold a stop behind backoff.
    /// </summary>
    public static IServiceCollection AddEmergencyStopClient(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddHttpClient(HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(CreateHandler)
            // One long-lived client: its warm connections make the stop faster, so its handler is never rotated.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
        services.AddSingleton(sp => new EmergencyStopClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName)));
        return services;
    }

    private static SocketsHttpHandler CreateHandler() => new()
    {
        // A loopback driver refuses at once; a dead remote one must not eat the whole deadline in connect.
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        UseProxy = false,
    };

    /// <summary>Engages every driver at once; each answer (or its absence) within <paramref name="deadline"/>.</summary>
    public async Task<IReadOnlyList<DriverEstopResult>> EngageAllAsync(IEnumerable<StopTarget> targets, EngageRequest request, TimeSpan deadline, CancellationToken cancellationToken)
        => await Task.WhenAll(targets.Select(t => EngageAsync(t, request, deadline, cancellationToken)));

    /// <summary>Releases every driver at once.</summary>
    public async Task<IReadOnlyList<DriverEstopResult>> ReleaseAllAsync(IEnumerable<StopTarget> targets, ReleaseRequest request, TimeSpan deadline, CancellationToken cancellationToken)
        => await Task.WhenAll(targets.Select(t => ReleaseAsync(t, request, deadline, cancellationToken)));

    /// <summary>Reads every driver's latch at once.</summary>
    public async Task<IReadOnlyList<DriverEstopResult>> StateAllAsync(IEnumerable<StopTarget> targets, TimeSpan deadline, CancellationToken cancellationToken)
        => await Task.WhenAll(targets.Select(t => StateAsync(t, deadline, cancellationToken)));

    /// <summary>Engages one driver.</summary>
    public Task<DriverEstopResult> EngageAsync(StopTarget target, EngageRequest request, TimeSpan deadline, CancellationToken cancellationToken)
        => CallAsync(target, "engage", deadline,
            ct => PostAsync(target, "/engage", JsonContent.Create(request, EstopJson.Default.EngageRequest), ct),
            ct => McpAsync(target, EstopContract.Roles.Engage, new Dictionary<string, object?> { ["reason"] = request.Reason }, ct), cancellationToken);

    /// <summary>Stops one driver's robot without latching.</summary>
    public Task<DriverEstopResult> HaltAsync(StopTarget target, EngageRequest request, TimeSpan deadline, CancellationToken cancellationToken)
        => CallAsync(target, "halt", deadline,
            ct => PostAsync(target, "/halt", JsonContent.Create(request, EstopJson.Default.EngageRequest), ct),
            ct => McpAsync(target, EstopContract.Roles.Stop, new Dictionary<string, object?>(), ct), cancellationToken);

    /// <summary>Releases one driver (HTTP only: the contract has no MCP release).</summary>
    public Task<DriverEstopResult> ReleaseAsync(StopTarget target, ReleaseRequest request, TimeSpan deadline, CancellationToken cancellationToken)
        => CallAsync(target, "release", deadline,
            ct => PostAsync(target, "/release", JsonContent.Create(request, EstopJson.Default.ReleaseRequest), ct), mcp: null, cancellationToken);

    /// <summary>Reads one driver's latch.</summary>
    public Task<DriverEstopResult> StateAsync(StopTarget target, TimeSpan deadline, CancellationToken cancellationToken)
        => CallAsync(target, "state", deadline,
            async ct => await SendAsync(target, HttpMethod.Get, target.EstopUrl, null, ct),
            ct => McpAsync(target, EstopContract.Roles.State, new Dictionary<string, object?>(), ct), cancellationToken);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<HttpResponseMessage> PostAsync(StopTarget target, string action, HttpContent content, CancellationToken cancellationToken)
    {
        using (content)
        {
            return await SendAsync(target, HttpMethod.Post, new Uri(target.EstopUrl.ToString().TrimEnd('/') + action), content, cancellationToken);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(StopTarget target, HttpMethod method, Uri url, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        foreach (var (name, value) in target.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        return await _http.SendAsync(request, cancellationToken);
    }

    private static async Task<DriverEstopResult> CallAsync(StopTarget target, string action, TimeSpan deadline,
        Func<CancellationToken, Task<HttpResponseMessage>> http, Func<CancellationToken, Task<(bool Ok, string Text)>>? mcp, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        DriverEstopResult Result(bool answered, string summary, string? via = null, JsonElement? answer = null)
        {
            var (engaged, reachable) = Read(answer);
            var ok = answered && action switch
            {
                "engage" => engaged != false && reachable != false,
                "halt" => reachable != false,
                "release" => engaged == false,
                _ => true,
            };
            return new DriverEstopResult
            {
                Driver = target.Name,
                Action = action,
                Ok = ok,
                Answered = answered,
                Engaged = engaged,
                Reachable = reachable,
                Via = via,
                Summary = summary,
                ElapsedMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
                Answer = answer,
            };
        }
        try
        {
            using var response = await http(limit.Token);
            var body = await response.Content.ReadAsStringAsync(limit.Token);
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed && mcp is not null && target.McpUrl is not null)
            {
                var (ok, text) = await mcp(limit.Token);
                var element = TryParse(text);
                return ok
                    ? Result(true, Describe(action, element, text), "mcp", element)
                    : Result(false, $"its MCP {action} tool failed: {Short(text)}", "mcp");
            }
            var json = TryParse(body);
            if (!response.IsSuccessStatusCode)
            {
                var error = json is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty("error", out var m) ? m.GetString() : Short(body);
                return Result(false, response.StatusCode == HttpStatusCode.NotFound
                    ? $"does not implement the emergency-stop contract (no {target.EstopUrl.AbsolutePath} on {target.EstopUrl.Authority})"
                    : $"refused ({(int)response.StatusCode}): {error}", "http", json);
            }
            return Result(true, Describe(action, json, body), "http", json);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Result(false, string.Create(CultureInfo.InvariantCulture, $"no answer within {deadline.TotalSeconds:0.#} s from {target.EstopUrl.Authority}"));
        }
        catch (HttpRequestException e)
        {
            return Result(false, e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                ? $"not running (connection refused at {target.EstopUrl.Authority})"
                : $"unreachable at {target.EstopUrl.Authority}: {e.Message}");
        }
        catch (Exception e) when (e is ModelContextProtocol.McpException or IOException or JsonException or InvalidOperationException)
        {
            return Result(false, $"failed: {e.Message}");
        }
    }

    private static async Task<(bool Ok, string Text)> McpAsync(StopTarget target, string role, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        await using var client = await DriverMcp.ConnectAsync(target.Name, target.McpUrl!, target.Headers, cancellationToken: cancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
        var tool = tools.FirstOrDefault(t => EmergencyStopSetup.RoleOf(t.ProtocolTool) == role);
        if (tool is null)
        {
            return (false, $"it serves no HTTP stop and declares no MCP tool with the {role} role under \"{EstopContract.MetaKey}\"");
        }
        if (role != EstopContract.Roles.Engage)
        {
            arguments.Clear();
        }
        var result = await client.CallToolAsync(tool.Name, arguments, cancellationToken: cancellationToken);
        return (result.IsError != true, string.Concat(result.Content.OfType<TextContentBlock>().Select(c => c.Text)));
    }

    private static (bool? Engaged, bool? Reachable) Read(JsonElement? answer)
    {
        if (answer is not { ValueKind: JsonValueKind.Object } a)
        {
            return (null, null);
        }
        bool? Flag(string name) => a.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
        return (Flag("engaged"), Flag("reachable"));
    }

    private static string Describe(string action, JsonElement? answer, string raw)
    {
        if (answer is not { ValueKind: JsonValueKind.Object } a)
        {
            return Short(raw);
        }
        var (engaged, reachable) = Read(answer);
        string Join(string name) => a.TryGetProperty(name, out var list) && list.ValueKind == JsonValueKind.Array
            ? string.Join("; ", list.EnumerateArray().Select(x => x.GetString())) : "";
        switch (action)
        {
            case "engage" or "halt":
                var stopped = Join("stopped");
                var problems = Join("problems");
                var head = reachable == false ? "ROBOT NOT REACHED" : action == "engage" ? "stopped and latched" : "stopped";
                return head + (stopped.Length > 0 ? ": " + stopped : reachable == false ? "" : ": nothing was moving")
                    + (problems.Length > 0 ? " (" + problems + ")" : "");
            case "release":
                return engaged == false
                    ? (a.TryGetProperty("was_engaged", out var was) && was.ValueKind == JsonValueKind.False ? "was not engaged" : "released")
                    : "still engaged";
            default:
                return engaged == true
                    ? (a.TryGetProperty("refusal", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "engaged")
                    : "released";
        }
    }

    private static JsonElement? TryParse(string text)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? null : JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>Source-generated JSON for the client's results.</summary>
[JsonSerializable(typeof(DriverEstopResult))]
[JsonSerializable(typeof(IReadOnlyList<DriverEstopResult>))]
public sealed partial class EstopClientJson : JsonSerializerContext;

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using RosaOS.Configuration;
using RosaOS.Hosting;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The approval contract, beside the stop and lease contracts: calls the driver's policy marks as risky wait, in the driver
/// (below the LLM), for a person to approve or deny them over plain HTTP on the driver's port. <c>GET /approvals</c> lists
/// the waiting calls and the recent decisions; <c>POST /approvals/{id}/approve</c> and <c>/deny</c> take
/// <see cref="ApprovalDecisionRequest"/> with <c>by</c> ui or cli (only a person decides; the MCP half has no tool for it).
/// An approval releases exactly the waiting call it names, once. See docs/architecture.md.
/// </summary>
public static class ApprovalContract
{
    /// <summary>HTTP path on the driver's own port.</summary>
    public const string HttpPath = "/approvals";

    /// <summary>Most calls that may wait at once on one driver; more are refused at once.</summary>
    public const int MaxPending = 32;

    /// <summary>Decisions kept in <c>GET /approvals</c> (for the kernel's audit and the UI).</summary>
    public const int MaxRecent = 64;

    /// <summary>Longest note.</summary>
    public const int MaxTextLength = 500;

    /// <summary>Who may decide: a person in the UI or on the command line.</summary>
    public static IReadOnlyList<string> Deciders => EstopContract.Sources.Releasers;
}

/// <summary>A call waiting for a person's decision.</summary>
public sealed record PendingApproval
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    [JsonPropertyName("tool")]
    public required string Tool { get; init; }

    /// <summary>The call's arguments, canonical (keys sorted): exactly what runs if approved.</summary>
    [JsonPropertyName("arguments")]
    public required JsonElement Arguments { get; init; }

    /// <summary>SHA-256 of driver, tool and canonical arguments; a decision may carry it to bind itself to what the person saw.</summary>
    [JsonPropertyName("digest")]
    public required string Digest { get; init; }

    /// <summary>Why the policy asks (the tool, or the ROS name and pattern).</summary>
    [JsonPropertyName("reason")]
    public required string Reason { get; init; }

    /// <summary>The lease holder id the caller named (a worker id, "person"), or null.</summary>
    [JsonPropertyName("caller")]
    public string? Caller { get; init; }

    [JsonPropertyName("requested_at")]
    public DateTimeOffset RequestedAt { get; init; }

    [JsonPropertyName("expires_at")]
    public DateTimeOffset ExpiresAt { get; init; }
}

/// <summary>What became of a call that waited: approved, denied, timed_out or cancelled (the caller gave up).</summary>
public sealed record ApprovalOutcome
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    [JsonPropertyName("tool")]
    public required string Tool { get; init; }

    [JsonPropertyName("arguments")]
    public required JsonElement Arguments { get; init; }

    [JsonPropertyName("decision")]
    public required string Decision { get; init; }

    /// <summary>Who decided: ui or cli for a person, "timeout" or "caller" otherwise.</summary>
    [JsonPropertyName("by")]
    public required string By { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }

    [JsonPropertyName("caller")]
    public string? Caller { get; init; }

    [JsonPropertyName("at")]
    public DateTimeOffset At { get; init; }
}

/// <summary>The answer of <c>GET /approvals</c>.</summary>
public sealed record ApprovalList
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    [JsonPropertyName("timeout_seconds")]
    public double TimeoutSeconds { get; init; }

    [JsonPropertyName("pending")]
    public required IReadOnlyList<PendingApproval> Pending { get; init; }

    [JsonPropertyName("recent")]
    public required IReadOnlyList<ApprovalOutcome> Recent { get; init; }
}

/// <summary>The body of <c>POST /approvals/{id}/approve</c> or <c>/deny</c>.</summary>
public sealed record ApprovalDecisionRequest
{
    /// <summary>"ui" or "cli": only a person decides.</summary>
    [JsonPropertyName("by")]
    public string? By { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }

    /// <summary>Optional: the digest the person saw; the decision is refused if the waiting call differs.</summary>
    [JsonPropertyName("digest")]
    public string? Digest { get; init; }
}

[JsonSerializable(typeof(PendingApproval))]
[JsonSerializable(typeof(ApprovalOutcome))]
[JsonSerializable(typeof(ApprovalList))]
[JsonSerializable(typeof(ApprovalDecisionRequest))]
[JsonSerializable(typeof(EstopError))]
public sealed partial class ApprovalJson : JsonSerializerContext;

/// <summary>Which calls need approval: the reason for one that does, or null. Built by the driver from its drivers.json policy.</summary>
/// <param name="Timeout">How long a call waits for a decision.</param>
/// <param name="Reason">Tool name and arguments → why it needs approval, or null.</param>
public sealed record ApprovalPolicy(TimeSpan Timeout, Func<string, IReadOnlyDictionary<string, JsonElement>, string?> Reason);

/// <summary>A driver's waiting calls and recent decisions. Thread-safe; in memory only (a restart refuses what waited).</summary>
public sealed partial class ApprovalGate(string driver, ApprovalPolicy policy, TimeProvider timeProvider, ILogger<ApprovalGate> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Waiting> _pending = new(StringComparer.Ordinal);
    private readonly LinkedList<ApprovalOutcome> _recent = new();

    public ApprovalPolicy Policy => policy;

    public string Driver => driver;

    public ApprovalList List()
    {
        lock (_lock)
        {
            return new ApprovalList
            {
                Driver = driver,
                TimeoutSeconds = policy.Timeout.TotalSeconds,
                Pending = [.. _pending.Values.Select(w => w.Call).OrderBy(c => c.RequestedAt)],
                Recent = [.. _recent],
            };
        }
    }

    /// <summary>Waits for a person's decision on this call: null when approved (the caller then runs it, once), else the refusal.</summary>
    public async Task<string?> WaitAsync(string tool, IReadOnlyDictionary<string, JsonElement> arguments, string reason, string? caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var canonical = Canonical(arguments);
        var now = timeProvider.GetUtcNow();
        using var document = JsonDocument.Parse(canonical);
        var call = new PendingApproval
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)),
            Driver = driver,
            Tool = tool,
            Arguments = document.RootElement.Clone(),
            Digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{driver}\n{tool}\n{canonical}"))),
            Reason = reason,
            Caller = caller,
            RequestedAt = now,
            ExpiresAt = now + policy.Timeout,
        };
        var waiting = new Waiting(call, new TaskCompletionSource<ApprovalOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_pending.Count >= ApprovalContract.MaxPending)
            {
                return $"{tool} refused: {ApprovalContract.MaxPending} calls already wait for a person's approval on {driver}; it did not run. Tell the user, and try again after they decide.";
            }
            _pending[call.Id] = waiting;
        }
        LogWaiting(logger, driver, tool, call.Id, reason);
        ApprovalOutcome outcome;
        try
        {
            outcome = await waiting.Decided.Task.WaitAsync(policy.Timeout, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            outcome = Finish(call.Id, "timed_out", "timeout", null) ?? await waiting.Decided.Task;
        }
        catch (OperationCanceledException)
        {
            Finish(call.Id, "cancelled", "caller", null);
            throw;
        }
        var seconds = policy.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        var note = outcome.Note is { Length: > 0 } n ? $" (\"{n}\")" : "";
        return outcome.Decision switch
        {
            "approved" => null,
            "denied" => $"{tool} refused: a person ({(outcome.By == EstopContract.Sources.Cli ? "with rosa approvals" : "in the rosaOS UI")}) denied this call on {driver}{note}; it did not run. " +
                "Do not repeat it unchanged: tell the user, or do the task another way.",
            _ => $"{tool} refused: no one approved within {seconds} s ({reason}); it did not run. Tell the user the call waits for a person's " +
                $"approval in the rosaOS UI (Approvals) or with `rosa approvals --approve ID`, then try again, or do the task without it.",
        };
    }

    /// <summary>A person's decision on waiting call <paramref name="id"/>: the outcome, or null with the error.</summary>
    public (ApprovalOutcome? Outcome, string? Error) Decide(string id, bool approve, string by, string? note, string? digest)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(id, out var waiting))
            {
                return (null, $"no call waits for approval with id '{id}' on {driver}: it was decided, timed out or its caller gave up");
            }
            if (digest is not null && !string.Equals(digest, waiting.Call.Digest, StringComparison.OrdinalIgnoreCase))
            {
                return (null, $"the waiting call '{id}' is not the one with digest {digest}; nothing was decided");
            }
            return (Finish(id, approve ? "approved" : "denied", by, note), null);
        }
    }

    private ApprovalOutcome? Finish(string id, string decision, string by, string? note)
    {
        ApprovalOutcome outcome;
        lock (_lock)
        {
            if (!_pending.Remove(id, out var waiting))
            {
                return null;
            }
            outcome = new ApprovalOutcome
            {
                Id = id,
                Driver = driver,
                Tool = waiting.Call.Tool,
                Arguments = waiting.Call.Arguments,
                Decision = decision,
                By = by,
                Note = note,
                Caller = waiting.Call.Caller,
                At = timeProvider.GetUtcNow(),
            };
            _recent.AddFirst(outcome);
            while (_recent.Count > ApprovalContract.MaxRecent)
            {
                _recent.RemoveLast();
            }
            waiting.Decided.TrySetResult(outcome);
        }
        LogDecided(logger, driver, outcome.Tool, id, decision, by);
        return outcome;
    }

    /// <summary>The arguments as JSON with every object's keys sorted (ordinal), so equal calls read the same.</summary>
    public static string Canonical(IReadOnlyDictionary<string, JsonElement> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var root = new JsonObject();
        foreach (var (key, value) in arguments.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            root[key] = Sort(JsonNode.Parse(value.GetRawText()));
        }
        return root.ToJsonString();
    }

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value?.DeepClone())))),
        JsonArray a => new JsonArray([.. a.Select(e => Sort(e?.DeepClone()))]),
        _ => node?.DeepClone(),
    };

    private sealed record Waiting(PendingApproval Call, TaskCompletionSource<ApprovalOutcome> Decided);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver}: {Tool} waits for a person's approval (id {Id}): {Reason}")]
    private static partial void LogWaiting(ILogger logger, string driver, string tool, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver}: {Tool} (approval id {Id}) {Decision} by {By}")]
    private static partial void LogDecided(ILogger logger, string driver, string tool, string id, string decision, string by);
}

/// <summary>How a driver plugs into the approval contract.</summary>
public static class ApprovalSetup
{
    private const int MaxBodyBytes = 4 * 1024;

    /// <summary>
    /// Registers the gate of <paramref name="driver"/> and the MCP call filter that makes the calls <paramref name="policy"/>
    /// names wait for a person's decision. Add it after the stop and lease filters, so a refused call never asks.
    /// </summary>
    public static IMcpServerBuilder WithApprovals(this IMcpServerBuilder builder, string driver, ApprovalPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton(sp => new ApprovalGate(driver, policy, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ApprovalGate>>()));
        builder.WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, cancellationToken) =>
        {
            var gate = request.Services?.GetService<ApprovalGate>();
            if (gate is not null && request.MatchedPrimitive is McpServerTool tool)
            {
                var arguments = request.Params?.Arguments is { } a
                    ? new Dictionary<string, JsonElement>(a, StringComparer.Ordinal)
                    : new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                if (gate.Policy.Reason(tool.ProtocolTool.Name, arguments) is { } reason)
                {
                    var caller = request.Services?.GetService<IHttpContextAccessor>()?.HttpContext?.Request.Headers[LeaseContract.Header].FirstOrDefault();
                    if (await gate.WaitAsync(tool.ProtocolTool.Name, arguments, reason, string.IsNullOrWhiteSpace(caller) ? null : caller.Trim(), cancellationToken) is { } refusal)
                    {
                        return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = refusal }] };
                    }
                }
            }
            return await next(request, cancellationToken);
        }));
        return builder;
    }

    /// <summary>
    /// The policy of a driver whose risky calls are named by tool (rosa reachy, rosa kasa): the "tools" of its drivers.json
    /// approval section; null when the section is absent or empty. The topic, service, action and parameter patterns mean
    /// something only to a ROS driver, so a section naming them here is refused: a person reading the file must not believe
    /// a call waits for them when nothing would hold it.
    /// </summary>
    /// <exception cref="ArgumentException">The section names ROS patterns.</exception>
    public static ApprovalPolicy? ToolPolicy(string driver, ApprovalOptions? approval)
    {
        ArgumentNullException.ThrowIfNull(driver);
        if (approval is null || approval.IsEmpty)
        {
            return null;
        }
        string[] rosOnly = [.. new[] { ("topics", approval.Topics), ("services", approval.Services), ("actions", approval.Actions), ("parameters", approval.Parameters) }
            .Where(k => k.Item2.Count > 0).Select(k => $"\"{k.Item1}\"")];
        if (rosOnly.Length > 0)
        {
            throw new ArgumentException($"drivers.json entry \"{driver}\": approval {string.Join(", ", rosOnly)} apply only to ROS drivers (rosa ros); " +
                $"name this driver's gated tools in \"tools\" instead.");
        }
        var tools = approval.Tools.ToHashSet(StringComparer.Ordinal);
        return new ApprovalPolicy(TimeSpan.FromSeconds(approval.TimeoutSeconds), (tool, _) => tools.Contains(tool) ? $"the tool {tool} needs a person's approval on {driver}" : null);
    }

    /// <summary>
    /// The tools of <paramref name="approval"/> this MCP server does not have, as an error naming them and the ones it has,
    /// or null: a misspelt name would gate nothing, so a driver refuses to start with it.
    /// </summary>
    public static string? UnknownTools(IServiceProvider services, string driver, ApprovalOptions? approval)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (approval is null || approval.Tools.Count == 0)
        {
            return null;
        }
        var known = services.GetServices<McpServerTool>().Select(t => t.ProtocolTool.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = approval.Tools.Where(t => !known.Contains(t)).ToList();
        return unknown.Count == 0 ? null
            : $"drivers.json entry \"{driver}\": approval tools {string.Join(", ", unknown.Select(t => $"'{t}'"))} are not tools of this driver, so they would gate nothing; " +
              $"its tools are {string.Join(", ", known.Order(StringComparer.Ordinal))}.";
    }

    /// <summary>Maps <c>GET /approvals</c> and <c>POST /approvals/{id}/approve|deny</c> (JSON body) on the driver's port.</summary>
    public static IEndpointRouteBuilder MapApprovals(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(ApprovalContract.HttpPath, (IServiceProvider services) => services.GetService<ApprovalGate>() is { } gate
            ? Results.Json(gate.List(), ApprovalJson.Default.ApprovalList)
            : Results.Json(new ApprovalList { Driver = "", Pending = [], Recent = [] }, ApprovalJson.Default.ApprovalList));
        endpoints.MapPost(ApprovalContract.HttpPath + "/{id}/approve", (HttpContext context, string id) => DecideAsync(context, id, approve: true));
        endpoints.MapPost(ApprovalContract.HttpPath + "/{id}/deny", (HttpContext context, string id) => DecideAsync(context, id, approve: false));
        return endpoints;
    }

    private static async Task<IResult> DecideAsync(HttpContext context, string id, bool approve)
    {
        if (!context.Request.HasJsonContentType())
        {
            return Results.Json(new EstopError($"send a JSON body with Content-Type: application/json (got {context.Request.ContentType ?? "nothing"})"),
                ApprovalJson.Default.EstopError, statusCode: StatusCodes.Status415UnsupportedMediaType);
        }
        ApprovalDecisionRequest? request;
        try
        {
            var body = await RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
            request = body is { Length: > 0 } ? JsonSerializer.Deserialize(body, ApprovalJson.Default.ApprovalDecisionRequest) : null;
        }
        catch (JsonException e)
        {
            return Bad("the body is not a decision {\"by\": \"ui\"|\"cli\", \"note\", \"digest\"}: " + e.Message);
        }
        if (request is null)
        {
            return Bad("send a JSON object {\"by\": \"ui\"|\"cli\", \"note\", \"digest\"} of at most 4 KiB");
        }
        if (request.By is null || !ApprovalContract.Deciders.Contains(request.By))
        {
            return Results.Json(new EstopError($"only a person decides an approval: \"by\" must be \"ui\" or \"cli\", got {(request.By is null ? "nothing" : $"\"{request.By}\"")}"),
                ApprovalJson.Default.EstopError, statusCode: StatusCodes.Status403Forbidden);
        }
        if (request.Note is { Length: > ApprovalContract.MaxTextLength })
        {
            return Bad($"\"note\" is {request.Note.Length} characters; at most {ApprovalContract.MaxTextLength}");
        }
        if (context.RequestServices.GetService<ApprovalGate>() is not { } gate)
        {
            return Results.Json(new EstopError("this driver has no approval policy, so no call waits for approval"), ApprovalJson.Default.EstopError, statusCode: StatusCodes.Status404NotFound);
        }
        var (outcome, error) = gate.Decide(id, approve, request.By, request.Note, request.Digest);
        return outcome is null
            ? Results.Json(new EstopError(error!), ApprovalJson.Default.EstopError, statusCode: error!.StartsWith("no call", StringComparison.Ordinal) ? StatusCodes.Status404NotFound : StatusCodes.Status409Conflict)
            : Results.Json(outcome, ApprovalJson.Default.ApprovalOutcome);
    }

    private static IResult Bad(string error) => Results.Json(new EstopError(error), ApprovalJson.Default.EstopError, statusCode: StatusCodes.Status400BadRequest);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using RosaOS.Hosting;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The lease contract, beside the stop contract: one mover per robot. The kernel tells the driver who holds it
/// (<c>POST /lease</c>, a worker or a person); a client names itself with the <see cref="Header"/> HTTP header on its MCP
/// connection; the driver's call filter refuses motion tools (the same set the emergency stop refuses: not read-only,
/// no engage/state/stop/allowed role) from anyone but the holder. When nobody holds the robot every client may move it,
/// so clients that know nothing of leases keep working. See docs/architecture.md.
/// </summary>
public static class LeaseContract
{
    /// <summary>HTTP path on the driver's own port: <c>GET /lease</c> (who holds it), <c>POST /lease</c> (<see cref="LeaseGrant"/>).</summary>
    public const string HttpPath = "/lease";

    /// <summary>The HTTP header a client's MCP connection carries: the holder id it acts for (a worker id, or "person").</summary>
    public const string Header = "Rosa-Lease-Holder";

    /// <summary>The holder id of a person using manual control (the kernel's driver connections carry it).</summary>
    public const string Person = "person";

    /// <summary>Longest holder id or note.</summary>
    public const int MaxTextLength = 200;
}

/// <summary>Who holds a driver's robot now (null holder: nobody, every client may move it).</summary>
public sealed record LeaseState
{
    [JsonPropertyName("driver")]
    public required string Driver { get; init; }

    /// <summary>The holder id (a worker id, or "person"), or null.</summary>
    [JsonPropertyName("holder")]
    public string? Holder { get; init; }

    /// <summary>"worker" or "person".</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("since")]
    public DateTimeOffset? Since { get; init; }

    /// <summary>What the holder does, in words (the worker's task), for refusals.</summary>
    [JsonPropertyName("note")]
    public string? Note { get; init; }
}

/// <summary>The body of <c>POST /lease</c>: give the robot to <see cref="Holder"/>, or to nobody when it is null.</summary>
public sealed record LeaseGrant
{
    [JsonPropertyName("holder")]
    public string? Holder { get; init; }

    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("note")]
    public string? Note { get; init; }

    /// <summary>Only change the lease if this is its holder now (a worker giving up its own lease when its kernel is gone).</summary>
    [JsonPropertyName("if_holder")]
    public string? IfHolder { get; init; }
}

[JsonSerializable(typeof(LeaseState))]
[JsonSerializable(typeof(LeaseGrant))]
[JsonSerializable(typeof(EstopError))]
public sealed partial class LeaseJson : JsonSerializerContext;

/// <summary>A driver's lease: who may move its robot now. Thread-safe; not persisted (the kernel grants again after a restart).</summary>
public sealed class RobotLease(string driver, TimeProvider timeProvider)
{
    private LeaseState _state = new() { Driver = driver };

    public LeaseState State => Volatile.Read(ref _state);

    public LeaseState Set(string? holder, string? kind, string? note)
    {
        var state = holder is null
            ? new LeaseState { Driver = driver }
            : new LeaseState { Driver = driver, Holder = holder, Kind = kind ?? (holder == LeaseContract.Person ? "person" : "worker"), Since = timeProvider.GetUtcNow(), Note = note };
        Volatile.Write(ref _state, state);
        return state;
    }

    /// <summary>Null when <paramref name="caller"/> may move the robot now, else the refusal naming the holder and what to do.</summary>
    public string? Refusal(string? caller, string tool)
    {
        var state = State;
        if (state.Holder is null || string.Equals(state.Holder, caller, StringComparison.Ordinal))
        {
            return null;
        }
        var who = state.Kind == "person" ? "a person (manual control in the rosaOS UI)" : $"worker {state.Holder}{(state.Note is { Length: > 0 } n ? $" ({n})" : "")}";
        var since = state.Since is { } s ? $" since {s:HH:mm:ss} UTC" : "";
        var you = caller is null ? "this client holds no lease" : $"{caller} does not hold it";
        return $"{tool} refused: {driver} is held by {who}{since}, and {you}. Only the holder may move it: " +
            (caller is null || caller == LeaseContract.Person
                ? "take control in the rosaOS UI, or wait until the holder finishes."
                : "finish your task without moving this robot and say so, or wait and try later (the lease passes to you when the holder ends).");
    }
}

/// <summary>How a driver plugs into the lease contract.</summary>
public static class LeaseSetup
{
    private const int MaxBodyBytes = 4 * 1024;

    /// <summary>Registers the lease of <paramref name="driver"/> and the MCP call filter that enforces it.</summary>
    public static IMcpServerBuilder WithLease(this IMcpServerBuilder builder, string driver)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton(sp => new RobotLease(driver, sp.GetRequiredService<TimeProvider>()));
        builder.WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, cancellationToken) =>
        {
            var lease = request.Services?.GetService<RobotLease>();
            if (lease is not null && request.MatchedPrimitive is McpServerTool tool && !EmergencyStopSetup.KeepsWorkingWhileEngaged(tool.ProtocolTool))
            {
                var caller = request.Services?.GetService<IHttpContextAccessor>()?.HttpContext?.Request.Headers[LeaseContract.Header].FirstOrDefault();
                if (lease.Refusal(string.IsNullOrWhiteSpace(caller) ? null : caller.Trim(), tool.ProtocolTool.Name) is { } refusal)
                {
                    return new CallToolResult { IsError = true, Content = [new TextContentBlock { Text = refusal }] };
                }
            }
            return await next(request, cancellationToken);
        }));
        return builder;
    }

    /// <summary>Maps <c>GET /lease</c> and <c>POST /lease</c> (JSON body) on the driver's port; the kernel is the caller.</summary>
    public static IEndpointRouteBuilder MapLease(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(LeaseContract.HttpPath, (RobotLease lease) => Results.Json(lease.State, LeaseJson.Default.LeaseState));
        endpoints.MapPost(LeaseContract.HttpPath, async (HttpContext context, RobotLease lease) =>
        {
            if (!context.Request.HasJsonContentType())
            {
                return Results.Json(new EstopError($"send a JSON body with Content-Type: application/json (got {context.Request.ContentType ?? "nothing"})"),
                    LeaseJson.Default.EstopError, statusCode: StatusCodes.Status415UnsupportedMediaType);
            }
            LeaseGrant? grant;
            try
            {
                var body = await RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
                grant = body is { Length: > 0 } ? JsonSerializer.Deserialize(body, LeaseJson.Default.LeaseGrant) : null;
            }
            catch (JsonException e)
            {
                return Bad("the body is not a lease grant {\"holder\": id or null, \"kind\": \"worker\"|\"person\", \"note\"}: " + e.Message);
            }
            if (grant is null)
            {
                return Bad("send a JSON object {\"holder\": id or null, \"kind\", \"note\"} of at most 4 KiB");
            }
            if (grant.Holder is { } h && (string.IsNullOrWhiteSpace(h) || h.Length > LeaseContract.MaxTextLength))
            {
                return Bad($"\"holder\" must be a worker id or \"person\" of 1..{LeaseContract.MaxTextLength} characters, or null for nobody");
            }
            if (grant.Kind is not (null or "worker" or "person"))
            {
                return Bad($"\"kind\" must be \"worker\" or \"person\", got \"{grant.Kind}\"");
            }
            if (grant.IfHolder is { } expected && !string.Equals(lease.State.Holder, expected, StringComparison.Ordinal))
            {
                return Results.Json(lease.State, LeaseJson.Default.LeaseState);
            }
            var note = grant.Note is { Length: > LeaseContract.MaxTextLength } long_ ? long_[..LeaseContract.MaxTextLength] + "…" : grant.Note;
            return Results.Json(lease.Set(grant.Holder?.Trim(), grant.Kind, note), LeaseJson.Default.LeaseState);
        });
        return endpoints;
    }

    private static IResult Bad(string error) => Results.Json(new EstopError(error), LeaseJson.Default.EstopError, statusCode: StatusCodes.Status400BadRequest);
}

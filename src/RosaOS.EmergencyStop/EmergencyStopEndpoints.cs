using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RosaOS.Hosting;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The plain-HTTP half of the contract, on the driver's own port so it works with the kernel down:
/// <c>GET /estop</c> (state), <c>POST /estop/engage</c> and <c>/estop/halt</c> (<see cref="EngageRequest"/>),
/// <c>POST /estop/release</c> (<see cref="ReleaseRequest"/>, only <c>by</c> ui or cli with <c>confirm: true</c>).
/// This is the only way to release: the MCP half has no release tool, so no agent can reach it.
/// </summary>
public static class EmergencyStopEndpoints
{
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>Maps the endpoints; the driver must have called <see cref="EmergencyStopSetup.AddEmergencyStop{TEffects}"/>.</summary>
    public static IEndpointRouteBuilder MapEmergencyStop(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(EstopContract.HttpPath, (EmergencyStopLatch latch) => Results.Json(latch.State, EstopJson.Default.EstopState));
        endpoints.MapPost(EstopContract.HttpPath + "/engage", (HttpContext context, EmergencyStopService estop) => StopAsync(context, estop, latching: true));
        endpoints.MapPost(EstopContract.HttpPath + "/halt", (HttpContext context, EmergencyStopService estop) => StopAsync(context, estop, latching: false));
        endpoints.MapPost(EstopContract.HttpPath + "/release", ReleaseAsync);
        return endpoints;
    }

    private static async Task<IResult> StopAsync(HttpContext context, EmergencyStopService estop, bool latching)
    {
        var (request, error) = await ReadAsync(context, EstopJson.Default.EngageRequest);
        if (request is null)
        {
            return error!;
        }
        if (string.IsNullOrWhiteSpace(request.Source) || request.Source.Length > 64)
        {
            return Bad($"\"source\" must name who stops (ui, cli, api, agent, voice, kernel; at most 64 characters), got {Quote(request.Source)}");
        }
        if (request.Reason is { Length: > EstopContract.MaxTextLength })
        {
            return Bad($"\"reason\" is {request.Reason.Length} characters; at most {EstopContract.MaxTextLength}");
        }
        // The stop runs to the end even if this caller disconnects; only the wait for the answer is cancelled.
        var answer = latching
            ? await estop.EngageAsync(request.Source.Trim(), request.Reason, context.RequestAborted)
            : await estop.HaltAsync(request.Source.Trim(), context.RequestAborted);
        return Results.Json(answer, EstopJson.Default.StopAnswer);
    }

    private static async Task<IResult> ReleaseAsync(HttpContext context, EmergencyStopService estop)
    {
        var (request, error) = await ReadAsync(context, EstopJson.Default.ReleaseRequest);
        if (request is null)
        {
            return error!;
        }
        if (!EstopContract.Sources.Releasers.Contains(request.By))
        {
            return Results.Json(new EstopError($"only a person releases the emergency stop: \"by\" must be \"ui\" or \"cli\", got {Quote(request.By)}"),
                EstopJson.Default.EstopError, statusCode: StatusCodes.Status403Forbidden);
        }
        if (!request.Confirm)
        {
            return Bad("\"confirm\" must be true: the person releasing confirms that the robots and the people near them are safe");
        }
        if (request.Note is { Length: > EstopContract.MaxTextLength })
        {
            return Bad($"\"note\" is {request.Note.Length} characters; at most {EstopContract.MaxTextLength}");
        }
        return Results.Json(estop.Release(request.By, request.Note), EstopJson.Default.ReleaseAnswer);
    }

    private static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, Results.Json(new EstopError($"send a JSON body with Content-Type: application/json (got {Quote(context.Request.ContentType)})"),
                EstopJson.Default.EstopError, statusCode: StatusCodes.Status415UnsupportedMediaType));
        }
        try
        {
            var body = await RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
            if (body is null)
            {
                return (null, Bad($"the body is larger than {MaxBodyBytes} bytes"));
            }
            if (body.Length == 0)
            {
                return (null, Bad("the body is empty; send a JSON object"));
            }
            var value = JsonSerializer.Deserialize(body, type);
            return value is null ? (null, Bad("the body must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Bad("the body is not the expected JSON object: " + e.Message));
        }
    }

    private static IResult Bad(string error) => Results.Json(new EstopError(error), EstopJson.Default.EstopError, statusCode: StatusCodes.Status400BadRequest);

    private static string Quote(string? value) => value is null ? "nothing" : $"\"{(value.Length > 80 ? value[..80] + "…" : value)}\"";
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// Timers over HTTP: <c>GET /api/timers</c> (active first, then the latest ended) and <c>POST /api/timers/{id}/cancel</c>
/// (a JSON object body, like every state-changing endpoint, so RequestGuard's content-type and origin checks apply).
/// Scheduling is the kernel agent's; a person lists and cancels. And <c>POST /api/robot-events</c>, where a driver that evaluates
/// a watch reports that its condition held.
/// </summary>
public static class ScheduleApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/timers", (TimerService timers, int? ended) =>
            TypedResults.Json(new TimersAnswer([.. timers.List(Math.Clamp(ended ?? 20, 0, 200)).Select(t => t.ToJson())], TimerService.MaxActive),
                KernelJson.Relaxed.TimersAnswer));
        app.MapPost("/api/timers/{id}/cancel", CancelTimerAsync);
        app.MapPost("/api/robot-events", PostRobotEventAsync);
    }

    /// <summary>Longest robot event message.</summary>
    private const int MaxRobotEventChars = 2000;

    /// <summary>
    /// A watch's condition held (sent by the driver that evaluates it): journaled as <c>[Robot event] …</c>, idempotent on the
    /// Idempotency-Key header or "idempotency_key" field, for a robot of drivers.json only.
    /// </summary>
    private static async Task<IResult> PostRobotEventAsync(HttpContext context, EventIntake intake, DriverRegistry drivers)
    {
        var (body, error) = await KernelApi.ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        using var _ = body;
        var root = body.RootElement;
        if (!KernelApi.TryString(root, "robot", required: true, out var robot, out error)
            || !KernelApi.TryString(root, "watch_id", required: true, out var watchId, out error)
            || !KernelApi.TryString(root, "message", required: true, out var message, out error)
            || !KernelApi.TryIdempotencyKey(context, root, out var key, out error))
        {
            return Bad(error!);
        }
        var names = drivers.Statuses.Select(d => d.Name).ToList();
        if (!names.Contains(robot!, StringComparer.Ordinal))
        {
            return Bad($"\"robot\" must be a robot of drivers.json ({string.Join(", ", names)}), not \"{robot}\"");
        }
        if (watchId is not { Length: > 0 and <= 100 })
        {
            return Bad($"\"watch_id\" must be 1 to 100 characters, not {watchId!.Length}");
        }
        message = message!.Trim();
        if (message.Length is 0 or > MaxRobotEventChars)
        {
            return Bad($"\"message\" must be 1 to {MaxRobotEventChars} characters, not {message.Length}");
        }
        var accepted = intake.AcceptRobotEvent(robot!, watchId, message, key);
        return TypedResults.Json(new RobotEventAnswer(true, !accepted), KernelJson.Relaxed.RobotEventAnswer);
    }

    private static IResult Bad(string error) => KernelApi.Error(error, StatusCodes.Status400BadRequest);

    private static async Task<IResult> CancelTimerAsync(HttpContext context, string id, TimerService timers)
    {
        var (body, error) = await KernelApi.ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        var by = body.RootElement.TryGetProperty("by", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.String && b.GetString() is { Length: > 0 and <= 100 } who
            ? who : "a person (ui)";
        body.Dispose();
        return timers.Cancel(id, by) switch
        {
            (null, _) => KernelApi.Error($"no timer \"{id}\"", 404),
            ({ } t, true) => TypedResults.Json(new TimerCancelAnswer(true, null, t.ToJson()), KernelJson.Relaxed.TimerCancelAnswer),
            ({ } t, false) => TypedResults.Json(new TimerCancelAnswer(false, $"timer \"{id}\" already ended ({t.Status}); nothing to cancel", t.ToJson()),
                KernelJson.Relaxed.TimerCancelAnswer, statusCode: 409),
        };
    }
}

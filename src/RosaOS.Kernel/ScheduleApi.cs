using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RosaOS.Kernel;

/// <summary>
/// Timers over HTTP: <c>GET /api/timers</c> (active first, then the latest ended) and <c>POST /api/timers/{id}/cancel</c>
/// (a JSON object body, like every state-changing endpoint, so RequestGuard's content-type and origin checks apply).
/// Scheduling is the kernel agent's; a person lists and cancels.
/// </summary>
public static class ScheduleApi
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/timers", (TimerService timers, int? ended) =>
            Results.Json(new { timers = timers.List(Math.Clamp(ended ?? 20, 0, 200)).Select(t => t.ToJson()), max_active = TimerService.MaxActive }));
        app.MapPost("/api/timers/{id}/cancel", CancelTimerAsync);
    }

    private static async Task<IResult> CancelTimerAsync(HttpContext context, string id, TimerService timers)
    {
        var (body, error) = await KernelApi.ReadObjectAsync(context);
        if (body is null)
        {
            return Results.Json(new { ok = false, error }, statusCode: 400);
        }
        var by = body.RootElement.TryGetProperty("by", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.String && b.GetString() is { Length: > 0 and <= 100 } who
            ? who : "a person (ui)";
        body.Dispose();
        return timers.Cancel(id, by) switch
        {
            (null, _) => Results.Json(new { ok = false, error = $"no timer \"{id}\"" }, statusCode: 404),
            ({ } t, true) => Results.Json(new { ok = true, timer = t.ToJson() }),
            ({ } t, false) => Results.Json(new { ok = false, error = $"timer \"{id}\" already ended ({t.Status}); nothing to cancel", timer = t.ToJson() }, statusCode: 409),
        };
    }
}

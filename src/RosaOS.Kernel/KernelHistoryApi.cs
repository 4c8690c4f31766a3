using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// <c>GET /api/history?limit=N</c>: what a page opened (or reloaded) draws before the live stream goes on: the recent
/// conversation (the user, the kernel, what the robot said) and the recent processes with their outcomes and tool
/// calls, read from the kernel's database, so it survives a kernel restart. Each line and call carries the key its live
/// event carries (<c>key</c>), so the page draws it once. The turns' breakdowns are <c>GET /api/turns</c>.
/// </summary>
public static class KernelHistoryApi
{
    /// <summary>The most lines (and processes) one request returns.</summary>
    public const int MaxLimit = 500;

    private const int CallsPerProcess = 50;

    /// <summary>Maps the route.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/history", (KernelDatabase database, int? limit, int? processes) =>
        {
            var lines = limit ?? 50;
            var rows = processes ?? 20;
            if (lines is < 1 or > MaxLimit)
            {
                return KernelApi.Error($"\"limit\" must be 1 to {MaxLimit} (lines of conversation), not {lines}", StatusCodes.Status400BadRequest);
            }
            if (rows is < 1 or > MaxLimit)
            {
                return KernelApi.Error($"\"processes\" must be 1 to {MaxLimit}, not {rows}", StatusCodes.Status400BadRequest);
            }
            return TypedResults.Json(new HistoryAnswer(
                [.. database.RecentConversation(lines).Select(l => new HistoryLine(l.Key, l.Role, l.Text, l.At, l.EventId, l.Source, l.WorkerId))],
                [.. database.RecentProcesses(rows, CallsPerProcess).Select(p =>
                {
                    var row = p.Process.ToRow();
                    return new HistoryProcess(row.WorkerId, row.SystemPrompt, row.Robots, row.Kind, row.Pid, row.State, row.StartedAt, row.EndedAt, row.Outcome,
                        p.Process.EventId, [.. p.Calls.Select(c => new HistoryToolCall(c.Key, c.At, c.Server, c.Tool, c.Arguments, c.Outcome, c.IsError, c.DurationMs, c.Status))]);
                })]), KernelJson.Relaxed.HistoryAnswer);
        });
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// Turn traces: <c>POST /api/turns/spans</c> (spans from the speech loop, workers and drivers), <c>GET /api/turns</c>
/// (the latest turns with their breakdown, newest first) and <c>GET /api/turns/{trace_id}</c>.
/// </summary>
public static class KernelTurnApi
{
    private const int MaxBodyBytes = 1 << 20;
    private const int MaxSpansPerBatch = 1000;

    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(TurnTracing.SpansPath, PostSpansAsync);
        app.MapGet("/api/turns", (KernelDatabase db, int? limit) =>
            TypedResults.Json(new TurnsAnswer([.. db.RecentTurns(Math.Clamp(limit ?? 20, 1, 200)).Select(ToRow)]), KernelJson.Relaxed.TurnsAnswer));
        app.MapGet("/api/turns/{traceId}", (KernelDatabase db, string traceId) =>
            db.RecentTurns(1, traceId) is [var turn] ? TypedResults.Json(ToRow(turn), KernelJson.Relaxed.TurnRow) : KernelApi.Error($"no turn with trace id \"{traceId}\"", 404));
    }

    /// <summary>The W3C traceparent header of a request, when well formed.</summary>
    public static string? TraceParentOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var value = context.Request.Headers[TurnTracing.TraceParent].FirstOrDefault();
        return TurnTracing.Parse(value) == default ? null : value;
    }

    /// <summary>A turn for the API and the UI: total to first audio and each step's offset and duration from the turn's start.</summary>
    public static TurnRow ToRow(TurnBreakdown turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var start = turn.Spans.Count > 0 ? turn.Spans[0].StartUnixMs : 0;
        return new TurnRow(turn.TraceId, turn.EventId, turn.StartedAt, turn.FirstAudioMs, turn.SerialLlmCalls, [.. turn.Spans.Select(s => new TurnSpanRow(
            s.Name, s.Process, s.SpanId, s.ParentId, Math.Round(s.StartUnixMs - start, 3), Math.Round(s.DurationMs, 3), s.Attributes))]);
    }

    private static async Task<IResult> PostSpansAsync(HttpContext context, KernelDatabase database)
    {
        var buffer = await RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (buffer is null)
        {
            return Bad($"the body is larger than {MaxBodyBytes} bytes");
        }
        TurnSpanBatch? batch;
        try
        {
            batch = JsonSerializer.Deserialize<TurnSpanBatch>(buffer);
        }
        catch (JsonException e)
        {
            return Bad("the body is not a span batch {\"spans\": [{trace_id, span_id, name, process, start_ms, duration_ms}]}: " + e.Message);
        }
        if (batch?.Spans is null)
        {
            return Bad("\"spans\" is missing: send {\"spans\": [...]}");
        }
        if (batch.Spans.Count > MaxSpansPerBatch)
        {
            return Bad($"\"spans\" has {batch.Spans.Count} entries, over the limit of {MaxSpansPerBatch}");
        }
        for (var i = 0; i < batch.Spans.Count; i++)
        {
            var s = batch.Spans[i];
            if (s is null || s.TraceId is not { Length: 32 } || s.SpanId is not { Length: 16 } || string.IsNullOrWhiteSpace(s.Name) || s.Name.Length > 100
                || string.IsNullOrWhiteSpace(s.Process) || s.Process.Length > 100 || !double.IsFinite(s.StartUnixMs) || !double.IsFinite(s.DurationMs) || s.DurationMs < 0)
            {
                return Bad($"spans[{i}] is not a span: it needs trace_id (32 hex), span_id (16 hex), name and process (1..100 characters), finite start_ms and duration_ms ≥ 0");
            }
        }
        database.SaveTurnSpans(batch.Spans);
        return TypedResults.Json(new SpansAnswer(true, batch.Spans.Count), KernelJson.Relaxed.SpansAnswer);
    }

    private static IResult Bad(string error) => KernelApi.Error(error, StatusCodes.Status400BadRequest);
}

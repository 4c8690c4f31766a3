using System.Globalization;
using System.Text.Json;
using RosaOS.Hosting;

namespace RosaOS.Kernel;

/// <summary>One turn's latency breakdown: its spans from every process, with times relative to the turn's start.</summary>
/// <param name="TraceId">The W3C trace id.</param>
/// <param name="EventId">The journal event of the turn, when the kernel ran it.</param>
/// <param name="StartedAt">The turn's start (end of the user's speech, or the chat POST).</param>
/// <param name="FirstAudioMs">From the start to the first audio sample played, or null when nothing was said (yet).</param>
/// <param name="Spans">Every span, by start time.</param>
/// <param name="SerialLlmCalls">
/// LLM requests in series on the path to the first spoken word: from the first <c>speak</c> call up through its
/// ancestors (worker task, the kernel's launch), the LLM requests that ended before each step began; null without speech.
/// </param>
public sealed record TurnBreakdown(string TraceId, long? EventId, DateTimeOffset StartedAt, double? FirstAudioMs, IReadOnlyList<TurnSpan> Spans, int? SerialLlmCalls);

public sealed partial class KernelDatabase
{
    private bool _turnTableReady;

    private void EnsureTurnTable()
    {
        if (_turnTableReady)
        {
            return;
        }
        // Added without a schema version step: the table is new and independent of the others.
        Execute("""
            CREATE TABLE IF NOT EXISTS turn_spans (
                trace_id TEXT NOT NULL, span_id TEXT NOT NULL, parent_id TEXT, name TEXT NOT NULL, process TEXT NOT NULL,
                start_ms REAL NOT NULL, duration_ms REAL NOT NULL, attributes TEXT, PRIMARY KEY (trace_id, span_id));
            CREATE INDEX IF NOT EXISTS turn_spans_by_start ON turn_spans (start_ms);
            """);
        _turnTableReady = true;
    }

    /// <summary>Stores finished spans (a span sent twice is kept once).</summary>
    public void SaveTurnSpans(IEnumerable<TurnSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        lock (_lock)
        {
            EnsureTurnTable();
            using var transaction = _connection.BeginTransaction();
            foreach (var s in spans)
            {
                using var insert = Command("""
                    INSERT OR IGNORE INTO turn_spans (trace_id, span_id, parent_id, name, process, start_ms, duration_ms, attributes)
                    VALUES ($t, $s, $p, $n, $pr, $st, $d, $a)
                    """, transaction, ("$t", s.TraceId), ("$s", s.SpanId), ("$p", s.ParentId), ("$n", s.Name), ("$pr", s.Process),
                    ("$st", s.StartUnixMs), ("$d", s.DurationMs), ("$a", s.Attributes is null ? null : JsonSerializer.Serialize(s.Attributes)));
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>The latest turns (newest first) with their spans.</summary>
    public IReadOnlyList<TurnBreakdown> RecentTurns(int limit, string? traceId = null)
    {
        var spans = new List<TurnSpan>();
        lock (_lock)
        {
            EnsureTurnTable();
            using var command = traceId is null
                ? Command("""
                    SELECT trace_id, span_id, parent_id, name, process, start_ms, duration_ms, attributes FROM turn_spans
                    WHERE trace_id IN (SELECT trace_id FROM turn_spans GROUP BY trace_id ORDER BY MIN(start_ms) DESC LIMIT $n)
                    """, null, ("$n", limit))
                : Command("SELECT trace_id, span_id, parent_id, name, process, start_ms, duration_ms, attributes FROM turn_spans WHERE trace_id=$t",
                    null, ("$t", traceId));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                try
                {
                    var attributes = reader.IsDBNull(7) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(7));
                    spans.Add(new TurnSpan(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3),
                        reader.GetString(4), reader.GetDouble(5), reader.GetDouble(6), attributes));
                }
                catch (JsonException e)
                {
                    Report($"turn span {reader.GetString(1)} of trace {reader.GetString(0)} has corrupt attributes: {e.Message}");
                }
            }
        }
        return [.. spans.GroupBy(s => s.TraceId, StringComparer.Ordinal).Select(Breakdown).OrderByDescending(t => t.StartedAt)];
    }

    private static TurnBreakdown Breakdown(IGrouping<string, TurnSpan> trace)
    {
        var spans = trace.OrderBy(s => s.StartUnixMs).ToList();
        var start = spans[0].StartUnixMs;
        long? eventId = null;
        foreach (var s in spans)
        {
            if (s.Attributes is not null && s.Attributes.TryGetValue("event_id", out var text)
                && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
            {
                eventId = id;
                break;
            }
        }
        var firstAudio = spans.Where(s => s.Name == TurnTracing.Spans.FirstSample).Select(s => (double?)(s.StartUnixMs - start)).Min();
        return new TurnBreakdown(trace.Key, eventId, DateTimeOffset.FromUnixTimeMilliseconds((long)start), firstAudio, spans, SerialLlmCalls(spans));
    }

    private static int? SerialLlmCalls(List<TurnSpan> spans)
    {
        var node = spans.FirstOrDefault(s => s.Name == TurnTracing.Spans.ToolCall && s.Attributes is { } a
            && a.TryGetValue("tool", out var tool) && tool is "speak" or "reply");
        if (node is null)
        {
            return null;
        }
        var count = 0;
        for (var guard = 0; node is not null && guard < 64; guard++)
        {
            var step = node;
            count += spans.Count(s => s.Name == TurnTracing.Spans.LlmRequest && s.ParentId == step.ParentId && s.StartUnixMs + s.DurationMs <= step.StartUnixMs + 0.5);
            node = step.ParentId is null ? null : spans.FirstOrDefault(s => s.SpanId == step.ParentId);
        }
        return count;
    }
}

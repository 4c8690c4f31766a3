using System.Text.Json;

namespace RosaOS.Kernel;

/// <summary>
/// One line of the conversation as the page shows it after a reload. <paramref name="Key"/> is the same key the live
/// event of that line carries, so a page that reads the history and the event stream draws each line once.
/// </summary>
/// <param name="Key">"e{event}:in" (the user's words), "e{event}:out" (the kernel's answer), "e{event}:expired",
/// "e{event}:s{step}" (the kernel's reply tool), "c:{worker}:{call}" or "a{audit row}" (a worker's speak).</param>
/// <param name="Role">user, kernel, said (spoken by the robot) or expired.</param>
/// <param name="Text">What was typed, said or answered.</param>
/// <param name="At">When (ISO 8601, UTC).</param>
/// <param name="EventId">The journal event it belongs to, if any.</param>
/// <param name="Source">For a user line: speech or chat; for a kernel line: the event kind it answered.</param>
/// <param name="WorkerId">For a line a worker spoke: its worker id.</param>
public sealed record ConversationLine(string Key, string Role, string Text, string At, long? EventId, string? Source, string? WorkerId);

/// <summary>One audited tool call of a process as the page shows it (key as the live <c>tool_call</c> event's).</summary>
public sealed record ProcessToolCall(string Key, string At, string Server, string Tool, string Arguments, string Outcome, bool IsError, double DurationMs, string Status);

public sealed partial class KernelDatabase
{
    /// <summary>The key of a worker's audited call: by its call id when it has one (the live report carries it), else by row.</summary>
    public static string CallKey(string workerId, string? callId, long rowId) => callId is null ? $"a{rowId}" : $"c:{workerId}:{callId}";

    /// <summary>
    /// The last <paramref name="limit"/> lines of the conversation, oldest first: the user's speech and chat, the kernel's
    /// answers, what the robot said (the kernel's reply tool and the workers' speak calls), and requests that expired,
    /// since the conversation was last started over.
    /// </summary>
    public IReadOnlyList<ConversationLine> RecentConversation(int limit)
    {
        var lines = new List<ConversationLine>();
        string? start;
        lock (_lock)
        {
            start = ConversationStart();
            using (var events = Command("""
                SELECT id, kind, payload, text, status, accepted_at, done_at, output FROM events ORDER BY id DESC LIMIT $n
                """, null, ("$n", limit)))
            using (var reader = events.ExecuteReader())
            {
                while (reader.Read())
                {
                    try
                    {
                        var id = reader.GetInt64(0);
                        var kind = reader.GetString(1);
                        var acceptedAt = reader.GetString(5);
                        if (kind is "speech" or "chat")
                        {
                            lines.Add(new ConversationLine($"e{id}:in", "user", UserText(kind, reader.GetString(2), reader.GetString(3)), acceptedAt, id, kind, null));
                        }
                        var status = reader.GetString(4);
                        if (status == "done" && !reader.IsDBNull(7))
                        {
                            lines.Add(new ConversationLine($"e{id}:out", "kernel", reader.GetString(7), reader.IsDBNull(6) ? acceptedAt : reader.GetString(6), id, kind, null));
                        }
                        else if (status == "expired")
                        {
                            lines.Add(new ConversationLine($"e{id}:expired", "expired", reader.GetString(3), reader.IsDBNull(6) ? acceptedAt : reader.GetString(6), id, kind, null));
                        }
                    }
                    catch (InvalidCastException e)
                    {
                        Report($"event row {reader.GetValue(0)} cannot be read ({e.Message}); left out of the history");
                    }
                }
            }
            // The kernel's own speech (the reply tool), journaled as turn steps.
            using (var replies = Command("""
                SELECT event_id, seq, arguments, at FROM turn_steps WHERE kind='tool' AND name='reply' AND arguments IS NOT NULL
                ORDER BY event_id DESC, seq DESC LIMIT $n
                """, null, ("$n", limit)))
            using (var reader = replies.ExecuteReader())
            {
                while (reader.Read())
                {
                    if (SpokenText(reader.GetString(2)) is { } text)
                    {
                        var id = reader.GetInt64(0);
                        lines.Add(new ConversationLine($"e{id}:s{reader.GetInt32(1)}", "said", text, reader.GetString(3), id, null, null));
                    }
                }
            }
            // The workers' speech, from the audit log.
            using (var spoken = Command("""
                SELECT id, at, worker_id, arguments, call_id FROM audit WHERE tool='speak' AND is_error=0 AND status='done' ORDER BY id DESC LIMIT $n
                """, null, ("$n", limit)))
            using (var reader = spoken.ExecuteReader())
            {
                while (reader.Read())
                {
                    if (SpokenText(reader.GetString(3)) is { } text)
                    {
                        var worker = reader.GetString(2);
                        lines.Add(new ConversationLine(CallKey(worker, reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetInt64(0)), "said", text,
                            reader.GetString(1), null, null, worker));
                    }
                }
            }
        }
        // ISO 8601 UTC times of one format sort as text; a stable sort keeps an event's user line before its answer.
        // Lines from before the last "start over" stay in the journal but not in the conversation.
        return [.. lines.Where(l => start is null || string.CompareOrdinal(l.At, start) > 0).OrderBy(l => l.At, StringComparer.Ordinal).TakeLast(limit)];
    }

    /// <summary>The latest <paramref name="limit"/> processes, newest first, each with its audited tool calls (at most <paramref name="callsPerProcess"/>, oldest first).</summary>
    public IReadOnlyList<(ProcessInfo Process, IReadOnlyList<ProcessToolCall> Calls)> RecentProcesses(int limit, int callsPerProcess)
    {
        lock (_lock)
        {
            using var command = Command(ProcessColumns + " ORDER BY started_at DESC LIMIT $n", null, ("$n", limit));
            var processes = ReadProcesses(command);
            var result = new List<(ProcessInfo, IReadOnlyList<ProcessToolCall>)>(processes.Count);
            foreach (var process in processes)
            {
                using var calls = Command("""
                    SELECT id, at, server, tool, arguments, outcome, is_error, duration_ms, status, call_id FROM
                    (SELECT * FROM audit WHERE worker_id=$w ORDER BY id DESC LIMIT $n) ORDER BY id
                    """, null, ("$w", process.WorkerId), ("$n", callsPerProcess));
                using var reader = calls.ExecuteReader();
                var list = new List<ProcessToolCall>();
                while (reader.Read())
                {
                    list.Add(new ProcessToolCall(CallKey(process.WorkerId, reader.IsDBNull(9) ? null : reader.GetString(9), reader.GetInt64(0)),
                        reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetInt64(6) != 0,
                        reader.GetDouble(7), reader.GetString(8) == "started" ? "started" : "done"));
                }
                result.Add((process, list));
            }
            return result;
        }
    }

    /// <summary>The words of a speech event (its payload's text), of a chat (the prompt), else the journal text.</summary>
    private static string UserText(string kind, string payload, string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            var field = kind == "speech" ? "text" : "prompt";
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()!
                : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    /// <summary>The "text" argument of a speak or reply call, or null.</summary>
    internal static string? SpokenText(string arguments)
    {
        try
        {
            using var doc = JsonDocument.Parse(arguments);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

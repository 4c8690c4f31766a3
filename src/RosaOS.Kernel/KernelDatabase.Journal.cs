using Microsoft.Data.Sqlite;

namespace RosaOS.Kernel;

/// <summary>An event as stored in the journal.</summary>
/// <param name="Id">Journal id (events run in id order).</param>
/// <param name="Kind">speech, chat or callback.</param>
/// <param name="Payload">The request body fields kept as JSON.</param>
/// <param name="Text">What the kernel agent is given.</param>
/// <param name="AcceptedAt">When it was journaled.</param>
public sealed record JournaledEvent(long Id, string Kind, string Payload, string Text, DateTimeOffset AcceptedAt);

/// <summary>One journaled step of a kernel turn: an LLM response or a tool call.</summary>
/// <param name="Seq">Position in the turn (0, 1, …); a re-run meets the steps in the same order.</param>
/// <param name="Kind">"llm" or "tool".</param>
/// <param name="Name">Tool name (tool steps).</param>
/// <param name="Arguments">Tool arguments as JSON (tool steps).</param>
/// <param name="Result">The LLM messages or the tool result as JSON; null while a tool call is only started.</param>
public sealed record TurnStep(int Seq, string Kind, string? Name, string? Arguments, string? Result);

/// <summary>A row of the journal for the API and the UI.</summary>
public sealed record JournalRow(long Id, string Kind, string Text, string Status, string AcceptedAt, string? DoneAt, string? Output);

public sealed partial class KernelDatabase
{
    /// <summary>
    /// Writes an event durably (synchronous=FULL) before it is acknowledged. With an idempotency key, a
    /// key already seen returns the first event's id and Duplicate=true, and nothing is written.
    /// </summary>
    public (long Id, bool Duplicate) AcceptEvent(string kind, string payload, string text, string? idempotencyKey = null)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            if (idempotencyKey is not null)
            {
                using var find = Command("SELECT ref FROM idempotency WHERE scope='event' AND key=$k", transaction, ("$k", idempotencyKey));
                if (find.ExecuteScalar() is long existing)
                {
                    return (existing, true);
                }
            }
            using var insert = Command("INSERT INTO events (kind, payload, text, accepted_at) VALUES ($k, $p, $t, $a); SELECT last_insert_rowid();",
                transaction, ("$k", kind), ("$p", payload), ("$t", text), ("$a", Now()));
            var id = (long)insert.ExecuteScalar()!;
            ClaimKey("event", idempotencyKey, id, transaction);
            transaction.Commit();
            return (id, false);
        }
    }

    /// <summary>Ids of pending events after <paramref name="afterId"/>, oldest first (the queue is refilled from these).</summary>
    public IReadOnlyList<long> PendingIds(long afterId, int limit)
    {
        lock (_lock)
        {
            using var command = Command("SELECT id FROM events WHERE status='pending' AND id>$a ORDER BY id LIMIT $n", null, ("$a", afterId), ("$n", limit));
            using var reader = command.ExecuteReader();
            var ids = new List<long>();
            while (reader.Read())
            {
                ids.Add(reader.GetInt64(0));
            }
            return ids;
        }
    }

    /// <summary>One event by id; null when missing or unreadable (reported, and marked so it is not retried).</summary>
    public JournaledEvent? GetEvent(long id)
    {
        lock (_lock)
        {
            using var command = Command("SELECT id, kind, payload, text, accepted_at FROM events WHERE id=$id", null, ("$id", id));
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }
            try
            {
                return new JournaledEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), ParseTime(reader.GetString(4)));
            }
            catch (Exception e) when (e is InvalidCastException or FormatException or InvalidOperationException)
            {
                reader.Close();
                Report($"event {id} cannot be read ({e.Message}); it is marked corrupt and skipped");
                using var mark = Command("UPDATE events SET status='corrupt', done_at=$d WHERE id=$id", null, ("$d", Now()), ("$id", id));
                mark.ExecuteNonQuery();
                return null;
            }
        }
    }

    /// <summary>Ends a turn in one transaction: its messages join the history and the event is done, so a crash cannot do one without the other.</summary>
    public void FinishTurn(long id, string output, IEnumerable<string> historyMessages)
    {
        ArgumentNullException.ThrowIfNull(historyMessages);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var now = Now();
            foreach (var message in historyMessages)
            {
                using var insert = Command("INSERT INTO history (message, at) VALUES ($m, $a)", transaction, ("$m", message), ("$a", now));
                insert.ExecuteNonQuery();
            }
            using var done = Command("UPDATE events SET status='done', done_at=$d, output=$o WHERE id=$id", transaction, ("$d", now), ("$o", output), ("$id", id));
            done.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <summary>Marks an event expired (too old to act on); it is never run. <c>reported</c> stays 0 until the user has been told.</summary>
    public void ExpireEvent(long id, string reason)
    {
        lock (_lock)
        {
            using var command = Command("UPDATE events SET status='expired', done_at=$d, output=$o, reported=0 WHERE id=$id AND status='pending'", null,
                ("$d", Now()), ("$o", reason), ("$id", id));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Expired events the user has not been told about yet.</summary>
    public IReadOnlyList<JournaledEvent> UnreportedExpired()
    {
        lock (_lock)
        {
            using var command = Command("SELECT id, kind, payload, text, accepted_at FROM events WHERE status='expired' AND reported=0 ORDER BY id", null);
            return ReadEvents(command);
        }
    }

    /// <summary>Records that the user was told about these expired events.</summary>
    public void MarkReported(IEnumerable<long> ids)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var id in ids)
            {
                using var command = Command("UPDATE events SET reported=1 WHERE id=$id", transaction, ("$id", id));
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>Counts of events by status (for /health).</summary>
    public (long Pending, long Done, long Expired) EventCounts()
    {
        lock (_lock)
        {
            using var command = Command("SELECT COALESCE(SUM(status='pending'),0), COALESCE(SUM(status='done'),0), COALESCE(SUM(status='expired'),0) FROM events", null);
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
    }

    /// <summary>The latest journal rows, newest first (GET /api/journal).</summary>
    public IReadOnlyList<JournalRow> RecentEvents(int count, string? status)
    {
        lock (_lock)
        {
            using var command = Command(
                "SELECT id, kind, text, status, accepted_at, done_at, output FROM events WHERE ($s IS NULL OR status=$s) ORDER BY id DESC LIMIT $n", null,
                ("$s", status), ("$n", count));
            using var reader = command.ExecuteReader();
            var rows = new List<JournalRow>();
            while (reader.Read())
            {
                try
                {
                    rows.Add(new JournalRow(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                        reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6)));
                }
                catch (InvalidCastException e)
                {
                    Report($"event row {reader.GetValue(0)} cannot be read ({e.Message}); left out of the listing");
                }
            }
            return rows;
        }
    }

    /// <summary>The journaled steps of an event's turn, in order.</summary>
    public IReadOnlyList<TurnStep> Steps(long eventId)
    {
        lock (_lock)
        {
            using var command = Command("SELECT seq, kind, name, arguments, result FROM turn_steps WHERE event_id=$e ORDER BY seq", null, ("$e", eventId));
            using var reader = command.ExecuteReader();
            var steps = new List<TurnStep>();
            while (reader.Read())
            {
                steps.Add(new TurnStep(reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
            }
            return steps;
        }
    }

    /// <summary>Journals a step: a tool call about to run (result null) or a finished one / an LLM response (result set).</summary>
    public void SaveStep(long eventId, TurnStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        lock (_lock)
        {
            using var command = Command("""
                INSERT INTO turn_steps (event_id, seq, kind, name, arguments, result, status, at) VALUES ($e, $s, $k, $n, $g, $r, $st, $a)
                ON CONFLICT(event_id, seq) DO UPDATE SET result=$r, status=$st, at=$a
                """, null,
                ("$e", eventId), ("$s", step.Seq), ("$k", step.Kind), ("$n", step.Name), ("$g", step.Arguments), ("$r", step.Result),
                ("$st", step.Result is null ? "started" : "done"), ("$a", Now()));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The last <paramref name="count"/> history messages, oldest first, with their row ids.</summary>
    public IReadOnlyList<(long Id, string Message)> RecentHistory(int count)
    {
        lock (_lock)
        {
            using var command = Command("SELECT id, message FROM (SELECT id, message FROM history ORDER BY id DESC LIMIT $n) ORDER BY id", null, ("$n", count));
            using var reader = command.ExecuteReader();
            var messages = new List<(long, string)>();
            while (reader.Read())
            {
                if (reader.IsDBNull(1) || reader.GetValue(1) is not string message)
                {
                    Report($"history row {reader.GetInt64(0)} is not text; skipped");
                    continue;
                }
                messages.Add((reader.GetInt64(0), message));
            }
            return messages;
        }
    }

    /// <summary>Claims an idempotency key for an effect without an event (a tool-call report); false when already used.</summary>
    public bool TryClaimKey(string scope, string key)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            var claimed = ClaimKey(scope, key, null, transaction);
            transaction.Commit();
            return claimed;
        }
    }

    /// <summary>True when an idempotency key was already used in <paramref name="scope"/>.</summary>
    public bool KeyExists(string scope, string key)
    {
        lock (_lock)
        {
            using var command = Command("SELECT 1 FROM idempotency WHERE scope=$s AND key=$k", null, ("$s", scope), ("$k", key));
            return command.ExecuteScalar() is not null;
        }
    }

    private List<JournaledEvent> ReadEvents(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var events = new List<JournaledEvent>();
        while (reader.Read())
        {
            try
            {
                events.Add(new JournaledEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), ParseTime(reader.GetString(4))));
            }
            catch (Exception e) when (e is InvalidCastException or FormatException)
            {
                Report($"event {reader.GetValue(0)} cannot be read ({e.Message}); skipped");
            }
        }
        return events;
    }
}

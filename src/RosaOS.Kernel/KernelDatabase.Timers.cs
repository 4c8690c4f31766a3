using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace RosaOS.Kernel;

/// <summary>A timer as stored: one-off (<see cref="Repeat"/> null) or repeating.</summary>
/// <param name="Id">Stable id (from the kernel turn's step, so a re-run of the turn finds it instead of adding a second).</param>
/// <param name="Text">What the kernel agent is reminded of.</param>
/// <param name="Owner">Who scheduled it (kernel).</param>
/// <param name="DueAt">When it fires next.</param>
/// <param name="Repeat">Interval between firings; null for a one-off.</param>
/// <param name="Status">active, done (a one-off that fired) or cancelled.</param>
/// <param name="CreatedAt">When it was scheduled.</param>
/// <param name="Fired">How many times it fired.</param>
/// <param name="LastFiredAt">When it last fired.</param>
/// <param name="EndReason">Why it ended (cancelled by whom).</param>
public sealed record TimerRow(string Id, string Text, string Owner, DateTimeOffset DueAt, TimeSpan? Repeat, string Status, DateTimeOffset CreatedAt,
    int Fired, DateTimeOffset? LastFiredAt, string? EndReason)
{
    /// <summary>The shape of GET /api/timers, of the list_timers tool and of the timers event.</summary>
    public RosaOS.Kernel.Contracts.TimerView ToJson() => new(Id, Text, Owner,
        Status == "active" ? DueAt.ToString("O", CultureInfo.InvariantCulture) : null,
        Repeat?.TotalSeconds,
        Status,
        CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        Fired,
        LastFiredAt?.ToString("O", CultureInfo.InvariantCulture),
        EndReason);
}

public sealed partial class KernelDatabase
{
    /// <summary>Timers and watches live in their own tables, created when missing (older files gain them on open).</summary>
    private void CreateScheduleTables() => Execute("""
        CREATE TABLE IF NOT EXISTS timers (
            id TEXT PRIMARY KEY, text TEXT NOT NULL, owner TEXT NOT NULL, due_at TEXT NOT NULL, repeat_seconds REAL,
            status TEXT NOT NULL DEFAULT 'active', created_at TEXT NOT NULL, fired INTEGER NOT NULL DEFAULT 0, last_fired_at TEXT,
            ended_at TEXT, end_reason TEXT);
        CREATE INDEX IF NOT EXISTS timers_by_status ON timers (status, due_at);
        """);

    /// <summary>
    /// Adds a timer unless one with its id exists (then that one is returned: a re-run of the turn that scheduled it).
    /// Null with <paramref name="refusal"/> set when <paramref name="maxActive"/> timers are already active.
    /// </summary>
    public TimerRow? AddTimer(TimerRow timer, int maxActive, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(timer);
        refusal = null;
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            if (ReadTimer(timer.Id, transaction) is { } existing)
            {
                return existing;
            }
            using var count = Command("SELECT COUNT(*) FROM timers WHERE status='active'", transaction);
            var active = (long)count.ExecuteScalar()!;
            if (active >= maxActive)
            {
                refusal = $"{active} timers are already active, the most allowed is {maxActive}; cancel one first (list_timers shows them)";
                return null;
            }
            using var insert = Command("""
                INSERT INTO timers (id, text, owner, due_at, repeat_seconds, status, created_at) VALUES ($i, $t, $o, $d, $r, 'active', $c)
                """, transaction, ("$i", timer.Id), ("$t", timer.Text), ("$o", timer.Owner), ("$d", Format(timer.DueAt)),
                ("$r", timer.Repeat?.TotalSeconds), ("$c", Format(timer.CreatedAt)));
            insert.ExecuteNonQuery();
            transaction.Commit();
            return timer;
        }
    }

    /// <summary>One timer by id, or null.</summary>
    public TimerRow? GetTimer(string id)
    {
        lock (_lock)
        {
            return ReadTimer(id, null);
        }
    }

    /// <summary>Active timers (soonest first), then at most <paramref name="endedLimit"/> ended ones (latest first).</summary>
    public IReadOnlyList<TimerRow> Timers(int endedLimit)
    {
        lock (_lock)
        {
            using var active = Command(TimerColumns + " WHERE status='active' ORDER BY due_at", null);
            var rows = ReadTimers(active);
            using var ended = Command(TimerColumns + " WHERE status<>'active' ORDER BY COALESCE(ended_at, created_at) DESC LIMIT $n", null, ("$n", endedLimit));
            rows.AddRange(ReadTimers(ended));
            return rows;
        }
    }

    /// <summary>Cancels an active timer; the timer as it is afterwards (null when unknown).</summary>
    public TimerRow? CancelTimer(string id, string reason)
    {
        lock (_lock)
        {
            using var update = Command("UPDATE timers SET status='cancelled', ended_at=$e, end_reason=$r WHERE id=$i AND status='active'", null,
                ("$e", Now()), ("$r", reason), ("$i", id));
            update.ExecuteNonQuery();
            return ReadTimer(id, null);
        }
    }

    /// <summary>
    /// Fires a due timer: in one transaction its event is journaled (kind "timer", idempotent on the timer and the due time it
    /// fires for) and the timer advances to its next due time, or ends when it is a one-off. A crash leaves both done or neither,
    /// so a timer never fires twice for one due time. Null when the timer is no longer active at <paramref name="dueAt"/>.
    /// </summary>
    public (long EventId, TimerRow After)? FireTimer(string id, DateTimeOffset dueAt, DateTimeOffset now, string text, DateTimeOffset? nextDue)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            if (ReadTimer(id, transaction) is not { Status: "active" } timer || timer.DueAt != dueAt)
            {
                return null;
            }
            var payload = JsonSerializer.Serialize(new { timer_id = id, due_at = Format(dueAt), fired_at = Format(now), text = timer.Text });
            var key = $"timer/{id}/{Format(dueAt)}";
            using var find = Command("SELECT ref FROM idempotency WHERE scope='event' AND key=$k", transaction, ("$k", key));
            long eventId;
            if (find.ExecuteScalar() is long existing)
            {
                eventId = existing;
            }
            else
            {
                using var insert = Command("INSERT INTO events (kind, payload, text, accepted_at) VALUES ('timer', $p, $t, $a); SELECT last_insert_rowid();",
                    transaction, ("$p", payload), ("$t", text), ("$a", Format(now)));
                eventId = (long)insert.ExecuteScalar()!;
                ClaimKey("event", key, eventId, transaction);
            }
            using var advance = nextDue is { } next
                ? Command("UPDATE timers SET due_at=$d, fired=fired+1, last_fired_at=$f WHERE id=$i", transaction, ("$d", Format(next)), ("$f", Format(now)), ("$i", id))
                : Command("UPDATE timers SET status='done', fired=fired+1, last_fired_at=$f, ended_at=$f, end_reason='fired' WHERE id=$i", transaction,
                    ("$f", Format(now)), ("$i", id));
            advance.ExecuteNonQuery();
            var after = ReadTimer(id, transaction)!;
            transaction.Commit();
            return (eventId, after);
        }
    }

    private const string TimerColumns = "SELECT id, text, owner, due_at, repeat_seconds, status, created_at, fired, last_fired_at, end_reason FROM timers";

    private TimerRow? ReadTimer(string id, SqliteTransaction? transaction)
    {
        using var command = Command(TimerColumns + " WHERE id=$i", transaction, ("$i", id));
        return ReadTimers(command) is [var row] ? row : null;
    }

    private List<TimerRow> ReadTimers(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<TimerRow>();
        while (reader.Read())
        {
            try
            {
                rows.Add(new TimerRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), ParseTime(reader.GetString(3)),
                    reader.IsDBNull(4) ? null : TimeSpan.FromSeconds(reader.GetDouble(4)), reader.GetString(5), ParseTime(reader.GetString(6)),
                    reader.GetInt32(7), reader.IsDBNull(8) ? null : ParseTime(reader.GetString(8)), reader.IsDBNull(9) ? null : reader.GetString(9)));
            }
            catch (Exception e) when (e is InvalidCastException or FormatException)
            {
                Report($"timer {reader.GetValue(0)} cannot be read ({e.Message}); skipped");
            }
        }
        return rows;
    }

    private static string Format(DateTimeOffset time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
}

using System.Globalization;

namespace RosaOS.Kernel;

/// <summary>Rows removed by one retention pass.</summary>
public sealed record TrimmedRows(long Events, long Steps, long History, long Audit, long Processes, long Keys, long Spans = 0)
{
    public long Total => Events + Steps + History + Audit + Processes + Keys + Spans;
}

public sealed partial class KernelDatabase
{
    /// <summary>
    /// Deletes rows past the retention limits: finished events (never pending ones, nor the steps a
    /// pending turn replays), history, audit and process rows older than <paramref name="keepFor"/> or
    /// beyond the newest <paramref name="maxRows"/> of their table, turn traces (<c>turn_spans</c>) whose last span started
    /// before the cutoff and spans beyond the newest <paramref name="maxRows"/>, and idempotency keys older than
    /// <paramref name="keepKeysFor"/>. Then compacts the file when much of it is free.
    /// </summary>
    public TrimmedRows Trim(TimeSpan keepFor, int maxRows, TimeSpan keepKeysFor)
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var cutoff = (now - keepFor).ToString("O", CultureInfo.InvariantCulture);
            var keyCutoff = (now - keepKeysFor).ToString("O", CultureInfo.InvariantCulture);
            EnsureTurnTable();
            using var transaction = _connection.BeginTransaction();
            long Run(string sql, params (string, object?)[] parameters)
            {
                using var command = Command(sql, transaction, parameters);
                return command.ExecuteNonQuery();
            }
            var events = Run("DELETE FROM events WHERE status<>'pending' AND (accepted_at<$c OR id<=(SELECT MAX(id) FROM events)-$n)", ("$c", cutoff), ("$n", maxRows));
            var steps = Run("DELETE FROM turn_steps WHERE event_id NOT IN (SELECT id FROM events WHERE status='pending') AND (at<$c OR event_id NOT IN (SELECT id FROM events))",
                ("$c", cutoff));
            var history = Run("DELETE FROM history WHERE at<$c OR id<=(SELECT MAX(id) FROM history)-$n", ("$c", cutoff), ("$n", maxRows));
            var audit = Run("DELETE FROM audit WHERE at<$c OR id<=(SELECT MAX(id) FROM audit)-$n", ("$c", cutoff), ("$n", maxRows));
            var processes = Run("DELETE FROM processes WHERE state<>'running' AND COALESCE(ended_at, started_at)<$c", ("$c", cutoff));
            var keys = Run("DELETE FROM idempotency WHERE at<$c", ("$c", keyCutoff));
            // Whole traces by age (a turn's breakdown is useless in part), then the row cap by insertion order.
            var spans = Run("DELETE FROM turn_spans WHERE trace_id IN (SELECT trace_id FROM turn_spans GROUP BY trace_id HAVING MAX(start_ms)<$cms)",
                ("$cms", (now - keepFor).ToUnixTimeMilliseconds()));
            spans += Run("DELETE FROM turn_spans WHERE rowid<=(SELECT MAX(rowid) FROM turn_spans)-$n", ("$n", maxRows));
            transaction.Commit();
            var trimmed = new TrimmedRows(events, steps, history, audit, processes, keys, spans);
            if (trimmed.Total > 0)
            {
                Compact();
            }
            return trimmed;
        }
    }

    /// <summary>Size of the database file and its WAL, in bytes.</summary>
    public long SizeBytes => Files.Where(File.Exists).Sum(f => new FileInfo(f).Length);

    private void Compact()
    {
        var pages = Convert.ToInt64(Scalar("PRAGMA page_count"), CultureInfo.InvariantCulture);
        var free = Convert.ToInt64(Scalar("PRAGMA freelist_count"), CultureInfo.InvariantCulture);
        // VACUUM rewrites the whole file; only worth it when a quarter of it is free space.
        if (free > 256 && free * 4 > pages)
        {
            Execute("VACUUM");
        }
        Execute("PRAGMA wal_checkpoint(TRUNCATE)");
    }
}

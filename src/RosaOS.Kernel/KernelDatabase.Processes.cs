using System.Globalization;
using RosaOS.Hosting;

namespace RosaOS.Kernel;

/// <summary>One audited tool call of a worker, as the lost-worker report reads it.</summary>
/// <param name="Server">Driver name.</param>
/// <param name="Tool">Tool name.</param>
/// <param name="Arguments">Arguments as JSON.</param>
/// <param name="Outcome">Result text ("" while only started).</param>
/// <param name="IsError">The call failed.</param>
/// <param name="Finished">False when only its start was reported: its effect is unknown.</param>
public sealed record AuditedCall(string Server, string Tool, string Arguments, string Outcome, bool IsError, bool Finished);

public sealed partial class KernelDatabase
{
    /// <summary>Inserts or updates a process-table row.</summary>
    public void SaveProcess(ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(process);
        lock (_lock)
        {
            using var command = Command("""
                INSERT INTO processes (worker_id, kind, pid, pid_start, event_id, system_prompt, robots, state, started_at, ended_at, outcome)
                VALUES ($w, $k, $p, $ps, $e, $s, $r, $st, $sa, $ea, $o)
                ON CONFLICT(worker_id) DO UPDATE SET kind=$k, pid=$p, pid_start=$ps, state=$st, ended_at=$ea, outcome=$o
                """, null,
                ("$w", process.WorkerId), ("$k", process.Kind), ("$p", process.Pid), ("$ps", process.PidStart), ("$e", process.EventId),
                ("$s", process.SystemPrompt), ("$r", string.Join(",", process.Robots)), ("$st", process.State),
                ("$sa", process.StartedAt.ToString("O", CultureInfo.InvariantCulture)),
                ("$ea", process.EndedAt?.ToString("O", CultureInfo.InvariantCulture)), ("$o", process.Outcome));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>A process-table row by worker id (any run), or null.</summary>
    public ProcessInfo? GetProcess(string workerId)
    {
        lock (_lock)
        {
            using var command = Command(ProcessColumns + " WHERE worker_id=$w", null, ("$w", workerId));
            return ReadProcesses(command).FirstOrDefault();
        }
    }

    /// <summary>Rows a previous kernel left 'running': their workers were lost when it stopped.</summary>
    public IReadOnlyList<ProcessInfo> ProcessesLeftRunning()
    {
        lock (_lock)
        {
            using var command = Command(ProcessColumns + " WHERE state='running' ORDER BY started_at", null);
            return ReadProcesses(command);
        }
    }

    /// <summary>Records an OS process this kernel started (a worker), by pid and start time.</summary>
    public void AddChild(ProcessIdentity identity, string kind)
    {
        ArgumentNullException.ThrowIfNull(identity);
        lock (_lock)
        {
            using var command = Command("INSERT OR REPLACE INTO children (pid, pid_start, kind, started_at) VALUES ($p, $s, $k, $a)", null,
                ("$p", identity.Pid), ("$s", identity.StartTicks), ("$k", kind), ("$a", Now()));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Forgets a child that exited.</summary>
    public void RemoveChild(ProcessIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        lock (_lock)
        {
            using var command = Command("DELETE FROM children WHERE pid=$p AND pid_start=$s", null, ("$p", identity.Pid), ("$s", identity.StartTicks));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Worker processes recorded and not yet forgotten (at start: those of earlier runs).</summary>
    public IReadOnlyList<ProcessIdentity> Children()
    {
        lock (_lock)
        {
            using var command = Command("SELECT pid, pid_start FROM children", null);
            using var reader = command.ExecuteReader();
            var children = new List<ProcessIdentity>();
            while (reader.Read())
            {
                children.Add(new ProcessIdentity(reader.GetInt32(0), reader.GetInt64(1)));
            }
            return children;
        }
    }

    /// <summary>
    /// Writes one tool call to the audit log. A call reported with <paramref name="callId"/> may come in two
    /// phases: "started" before it runs (its effect is unknown until it finishes) and "done" after; the
    /// second updates the first. An idempotency key already seen writes nothing and returns false.
    /// </summary>
    public bool Audit(string workerId, string server, string tool, string arguments, string outcome, bool isError, double durationMs,
        string? callId = null, bool started = false, string? idempotencyKey = null)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            if (!ClaimKey("tool_call", idempotencyKey, null, transaction))
            {
                return false;
            }
            var updated = 0;
            if (callId is not null && !started)
            {
                using var update = Command("""
                    UPDATE audit SET outcome=$o, is_error=$e, duration_ms=$d, status='done', server=$s, tool=$t
                    WHERE worker_id=$w AND call_id=$c AND status='started'
                    """, transaction,
                    ("$o", outcome), ("$e", isError ? 1 : 0), ("$d", durationMs), ("$s", server), ("$t", tool), ("$w", workerId), ("$c", callId));
                updated = update.ExecuteNonQuery();
            }
            if (updated == 0)
            {
                using var insert = Command("""
                    INSERT INTO audit (at, worker_id, server, tool, arguments, outcome, is_error, duration_ms, call_id, status)
                    VALUES ($a,$w,$s,$t,$g,$o,$e,$d,$c,$st)
                    """, transaction,
                    ("$a", Now()), ("$w", workerId), ("$s", server), ("$t", tool), ("$g", arguments), ("$o", outcome), ("$e", isError ? 1 : 0),
                    ("$d", durationMs), ("$c", callId), ("$st", started ? "started" : "done"));
                insert.ExecuteNonQuery();
            }
            transaction.Commit();
            return true;
        }
    }

    /// <summary>A worker's audited tool calls, oldest first.</summary>
    public IReadOnlyList<AuditedCall> AuditOf(string workerId)
    {
        lock (_lock)
        {
            using var command = Command("SELECT server, tool, arguments, outcome, is_error, status FROM audit WHERE worker_id=$w ORDER BY id", null, ("$w", workerId));
            using var reader = command.ExecuteReader();
            var calls = new List<AuditedCall>();
            while (reader.Read())
            {
                calls.Add(new AuditedCall(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4) != 0,
                    reader.GetString(5) != "started"));
            }
            return calls;
        }
    }

    /// <summary>The latest audit rows, newest first.</summary>
    public IReadOnlyList<RosaOS.Kernel.Contracts.AuditRow> RecentAudit(int count)
    {
        lock (_lock)
        {
            using var command = Command("SELECT at, worker_id, server, tool, arguments, outcome, is_error, duration_ms, status FROM audit ORDER BY id DESC LIMIT $n", null, ("$n", count));
            using var reader = command.ExecuteReader();
            var rows = new List<RosaOS.Kernel.Contracts.AuditRow>();
            while (reader.Read())
            {
                rows.Add(new RosaOS.Kernel.Contracts.AuditRow(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetString(4), reader.GetString(5), reader.GetInt64(6) != 0, reader.GetDouble(7), reader.GetString(8) == "started" ? "started" : "done"));
            }
            return rows;
        }
    }

    private const string ProcessColumns = "SELECT worker_id, kind, pid, pid_start, event_id, system_prompt, robots, state, started_at, ended_at, outcome FROM processes";

    private List<ProcessInfo> ReadProcesses(Microsoft.Data.Sqlite.SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var rows = new List<ProcessInfo>();
        while (reader.Read())
        {
            try
            {
                rows.Add(new ProcessInfo
                {
                    WorkerId = reader.GetString(0),
                    Kind = reader.GetString(1),
                    Pid = reader.IsDBNull(2) ? null : reader.GetInt32(2),
                    PidStart = reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    EventId = reader.IsDBNull(4) ? null : reader.GetInt64(4),
                    SystemPrompt = reader.GetString(5),
                    Robots = reader.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries),
                    State = reader.GetString(7),
                    StartedAt = ParseTime(reader.GetString(8)),
                    EndedAt = reader.IsDBNull(9) ? null : ParseTime(reader.GetString(9)),
                    Outcome = reader.IsDBNull(10) ? null : reader.GetString(10),
                });
            }
            catch (Exception e) when (e is InvalidCastException or FormatException)
            {
                Report($"process row {reader.GetValue(0)} cannot be read ({e.Message}); skipped");
            }
        }
        return rows;
    }
}

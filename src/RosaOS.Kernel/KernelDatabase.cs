using Microsoft.Data.Sqlite;

namespace RosaOS.Kernel;

/// <summary>A journaled event.</summary>
/// <param name="Id">Journal id (order of acceptance).</param>
/// <param name="Kind">"speech", "chat" or "callback".</param>
/// <param name="Payload">The accepted JSON.</param>
/// <param name="Text">The text the kernel agent is given.</param>
public sealed record JournaledEvent(long Id, string Kind, string Payload, string Text);

/// <summary>
/// The kernel's SQLite database (data/rosaos.db): event journal, conversation history, process table,
/// tool-call audit log. The kernel is its single writer; one connection behind a lock keeps writes
/// ordered, and WAL keeps readers (rosa status, the UI later) from blocking it.
/// </summary>
public sealed class KernelDatabase : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    public KernelDatabase(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        Path = System.IO.Path.Combine(dataDirectory, "rosaos.db");
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path, Pooling = false }.ToString());
        _connection.Open();
        Execute("""
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, payload TEXT NOT NULL, text TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'pending', accepted_at TEXT NOT NULL, done_at TEXT, output TEXT);
            CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, message TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS processes (
                worker_id TEXT PRIMARY KEY, kind TEXT NOT NULL, pid INTEGER, system_prompt TEXT NOT NULL, robots TEXT NOT NULL,
                state TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT, outcome TEXT);
            CREATE TABLE IF NOT EXISTS audit (
                id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, worker_id TEXT NOT NULL, server TEXT NOT NULL, tool TEXT NOT NULL,
                arguments TEXT NOT NULL, outcome TEXT NOT NULL, is_error INTEGER NOT NULL, duration_ms REAL NOT NULL);
            """);
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Writes an event durably (synchronous=FULL) and returns its id; called before the event is acknowledged.</summary>
    public long AcceptEvent(string kind, string payload, string text)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO events (kind, payload, text, accepted_at) VALUES ($k, $p, $t, $a); SELECT last_insert_rowid();";
            command.Parameters.AddWithValue("$k", kind);
            command.Parameters.AddWithValue("$p", payload);
            command.Parameters.AddWithValue("$t", text);
            command.Parameters.AddWithValue("$a", Now());
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <summary>Marks an event's turn finished; it is never run again.</summary>
    public void CompleteEvent(long id, string output)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE events SET status='done', done_at=$d, output=$o WHERE id=$id";
            command.Parameters.AddWithValue("$d", Now());
            command.Parameters.AddWithValue("$o", output);
            command.Parameters.AddWithValue("$id", id);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Events accepted but not done (a crash or restart interrupted them), oldest first.</summary>
    public IReadOnlyList<JournaledEvent> PendingEvents()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, kind, payload, text FROM events WHERE status='pending' ORDER BY id";
            using var reader = command.ExecuteReader();
            var events = new List<JournaledEvent>();
            while (reader.Read())
            {
                events.Add(new JournaledEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
            return events;
        }
    }

    /// <summary>One event by id.</summary>
    public JournaledEvent? GetEvent(long id)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT id, kind, payload, text FROM events WHERE id=$id";
            command.Parameters.AddWithValue("$id", id);
            using var reader = command.ExecuteReader();
            return reader.Read() ? new JournaledEvent(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)) : null;
        }
    }

    /// <summary>Counts of events by status (for /health).</summary>
    public (long Pending, long Done) EventCounts()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT COALESCE(SUM(status='pending'),0), COALESCE(SUM(status='done'),0) FROM events";
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1));
        }
    }

    /// <summary>Appends conversation messages (serialised JSON).</summary>
    public void AppendHistory(IEnumerable<string> messages)
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var message in messages)
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO history (message) VALUES ($m)";
                command.Parameters.AddWithValue("$m", message);
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>The last <paramref name="count"/> history messages, oldest first.</summary>
    public IReadOnlyList<string> RecentHistory(int count)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT message FROM (SELECT id, message FROM history ORDER BY id DESC LIMIT $n) ORDER BY id";
            command.Parameters.AddWithValue("$n", count);
            using var reader = command.ExecuteReader();
            var messages = new List<string>();
            while (reader.Read())
            {
                messages.Add(reader.GetString(0));
            }
            return messages;
        }
    }

    /// <summary>Inserts or updates a process-table row.</summary>
    public void SaveProcess(ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(process);
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = """
                INSERT INTO processes (worker_id, kind, pid, system_prompt, robots, state, started_at, ended_at, outcome)
                VALUES ($w, $k, $p, $s, $r, $st, $sa, $ea, $o)
                ON CONFLICT(worker_id) DO UPDATE SET pid=$p, state=$st, ended_at=$ea, outcome=$o
                """;
            command.Parameters.AddWithValue("$w", process.WorkerId);
            command.Parameters.AddWithValue("$k", process.Kind);
            command.Parameters.AddWithValue("$p", (object?)process.Pid ?? DBNull.Value);
            command.Parameters.AddWithValue("$s", process.SystemPrompt);
            command.Parameters.AddWithValue("$r", string.Join(",", process.Robots));
            command.Parameters.AddWithValue("$st", process.State);
            command.Parameters.AddWithValue("$sa", process.StartedAt.ToString("O"));
            command.Parameters.AddWithValue("$ea", (object?)process.EndedAt?.ToString("O") ?? DBNull.Value);
            command.Parameters.AddWithValue("$o", (object?)process.Outcome ?? DBNull.Value);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Marks rows left 'running' by a previous kernel (its workers died with it) as lost.</summary>
    public int MarkOrphanedProcesses()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE processes SET state='lost', ended_at=$e, outcome='the kernel stopped while it ran' WHERE state='running'";
            command.Parameters.AddWithValue("$e", Now());
            return command.ExecuteNonQuery();
        }
    }

    /// <summary>Writes one tool call to the audit log.</summary>
    public void Audit(string workerId, string server, string tool, string arguments, string outcome, bool isError, double durationMs)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "INSERT INTO audit (at, worker_id, server, tool, arguments, outcome, is_error, duration_ms) VALUES ($a,$w,$s,$t,$g,$o,$e,$d)";
            command.Parameters.AddWithValue("$a", Now());
            command.Parameters.AddWithValue("$w", workerId);
            command.Parameters.AddWithValue("$s", server);
            command.Parameters.AddWithValue("$t", tool);
            command.Parameters.AddWithValue("$g", arguments);
            command.Parameters.AddWithValue("$o", outcome);
            command.Parameters.AddWithValue("$e", isError ? 1 : 0);
            command.Parameters.AddWithValue("$d", durationMs);
            command.ExecuteNonQuery();
        }
    }

    /// <summary>The latest audit rows, newest first.</summary>
    public IReadOnlyList<Dictionary<string, object?>> RecentAudit(int count)
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT at, worker_id, server, tool, arguments, outcome, is_error, duration_ms FROM audit ORDER BY id DESC LIMIT $n";
            command.Parameters.AddWithValue("$n", count);
            using var reader = command.ExecuteReader();
            var rows = new List<Dictionary<string, object?>>();
            while (reader.Read())
            {
                rows.Add(new Dictionary<string, object?>
                {
                    ["at"] = reader.GetString(0),
                    ["worker_id"] = reader.GetString(1),
                    ["server"] = reader.GetString(2),
                    ["tool"] = reader.GetString(3),
                    ["arguments"] = reader.GetString(4),
                    ["outcome"] = reader.GetString(5),
                    ["is_error"] = reader.GetInt64(6) != 0,
                    ["duration_ms"] = reader.GetDouble(7),
                });
            }
            return rows;
        }
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Now() => DateTimeOffset.UtcNow.ToString("O");
}

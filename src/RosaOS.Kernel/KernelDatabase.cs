using System.Globalization;
using Microsoft.Data.Sqlite;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel's SQLite database (data/rosaos.db): event journal with idempotency keys, the steps of each
/// kernel turn, conversation history, process table, the previous run's child processes, and the
/// tool-call audit log. The kernel is its single writer (one kernel per data folder, see
/// <see cref="DataFolder"/>); one connection behind a lock keeps writes ordered, and WAL keeps readers
/// from blocking it. A row that cannot be read is reported through <see cref="CorruptRow"/> and skipped.
/// </summary>
public sealed partial class KernelDatabase : IDisposable
{
    /// <summary>Schema version in PRAGMA user_version; each step below brings an older file up to date.</summary>
    private const int SchemaVersion = 2;

    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    public KernelDatabase(string dataDirectory, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
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
            CREATE TABLE IF NOT EXISTS conversation_starts (at TEXT NOT NULL);
            """);
        Migrate();
        CreateScheduleTables();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Called with a description of every row that could not be read and was skipped.</summary>
    public Action<string>? CorruptRow { get; set; }

    /// <summary>The database file and its WAL/shared-memory files.</summary>
    public IEnumerable<string> Files => [Path, Path + "-wal", Path + "-shm"];

    public void Dispose() => _connection.Dispose();

    private void Migrate()
    {
        var version = Convert.ToInt32(Scalar("PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version < 2)
        {
            // Version 2: idempotency keys, resumable turns, expiry, child-process identities, audit call phases.
            using var transaction = _connection.BeginTransaction();
            Execute("""
                ALTER TABLE events ADD COLUMN reported INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE history ADD COLUMN at TEXT;
                ALTER TABLE processes ADD COLUMN event_id INTEGER;
                ALTER TABLE processes ADD COLUMN pid_start INTEGER;
                ALTER TABLE audit ADD COLUMN call_id TEXT;
                ALTER TABLE audit ADD COLUMN status TEXT NOT NULL DEFAULT 'done';
                CREATE TABLE idempotency (scope TEXT NOT NULL, key TEXT NOT NULL, at TEXT NOT NULL, ref INTEGER, PRIMARY KEY (scope, key));
                CREATE TABLE turn_steps (
                    event_id INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, name TEXT, arguments TEXT,
                    result TEXT, status TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (event_id, seq));
                CREATE TABLE children (pid INTEGER NOT NULL, pid_start INTEGER NOT NULL, kind TEXT NOT NULL, started_at TEXT NOT NULL, PRIMARY KEY (pid, pid_start));
                CREATE INDEX IF NOT EXISTS events_by_status ON events (status, id);
                CREATE INDEX IF NOT EXISTS audit_by_worker ON audit (worker_id, call_id);
                CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
                CREATE INDEX IF NOT EXISTS idempotency_by_time ON idempotency (at);
                """, transaction);
            Execute($"PRAGMA user_version={SchemaVersion}", transaction);
            transaction.Commit();
        }
    }

    private string Now() => _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    /// <summary>Claims an idempotency key inside <paramref name="transaction"/>; false when it was already used.</summary>
    private bool ClaimKey(string scope, string? key, long? reference, SqliteTransaction transaction)
    {
        if (key is null)
        {
            return true;
        }
        using var command = Command("INSERT OR IGNORE INTO idempotency (scope, key, at, ref) VALUES ($s, $k, $a, $r)", transaction,
            ("$s", scope), ("$k", key), ("$a", Now()), ("$r", reference));
        return command.ExecuteNonQuery() == 1;
    }

    private void Report(string what) => CorruptRow?.Invoke(what);

    private static DateTimeOffset ParseTime(string text)
        => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

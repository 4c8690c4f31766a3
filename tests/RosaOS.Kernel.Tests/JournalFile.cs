using System.Globalization;
using Microsoft.Data.Sqlite;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The kernel's database file opened by a test while no kernel runs on it: to read what the kernel
/// recorded, and to put it in states a real installation reaches (thousands of pending events, a
/// damaged row, rows weeks old) that would take too long to produce through the API.
/// </summary>
public sealed class JournalFile : IDisposable
{
    private readonly SqliteConnection _connection;

    public JournalFile(string dataDir)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "rosaos.db"), Pooling = false }.ToString());
        _connection.Open();
    }

    public long Count(string sql) => Convert.ToInt64(Scalar(sql), CultureInfo.InvariantCulture);

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Prepare(sql, parameters);
        return command.ExecuteScalar();
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Prepare(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public List<string[]> Rows(string sql)
    {
        using var command = Prepare(sql, []);
        using var reader = command.ExecuteReader();
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!)]);
        }
        return rows;
    }

    /// <summary>Runs <paramref name="sql"/> for each parameter set in one transaction.</summary>
    public void ExecuteMany(string sql, IEnumerable<(string Name, object? Value)[]> parameterSets)
    {
        using var transaction = _connection.BeginTransaction();
        foreach (var parameters in parameterSets)
        {
            using var command = Prepare(sql, parameters);
            command.Transaction = transaction;
            command.ExecuteNonQuery();
        }
        transaction.Commit();
    }

    public static string Ago(TimeSpan age) => (DateTimeOffset.UtcNow - age).ToString("O", CultureInfo.InvariantCulture);

    public void Dispose() => _connection.Dispose();

    private SqliteCommand Prepare(string sql, (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }
}

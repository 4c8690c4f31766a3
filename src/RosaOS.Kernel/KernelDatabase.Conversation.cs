namespace RosaOS.Kernel;

public sealed partial class KernelDatabase
{
    /// <summary>Forgets the kernel's conversation (the history table); events, audit and processes stay. Returns the rows removed.</summary>
    public long ClearHistory()
    {
        lock (_lock)
        {
            using var delete = Command("DELETE FROM history", null);
            return delete.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Starts the conversation over: forgets the history and marks the moment, so the page's conversation after a reload
    /// begins there too (the journal and audit keep everything). Returns the history rows removed.
    /// </summary>
    public long StartConversationOver()
    {
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            using var delete = Command("DELETE FROM history", transaction);
            var removed = delete.ExecuteNonQuery();
            using var mark = Command("INSERT INTO conversation_starts (at) VALUES ($a)", transaction, ("$a", Now()));
            mark.ExecuteNonQuery();
            transaction.Commit();
            return removed;
        }
    }

    /// <summary>When the conversation was last started over (ISO 8601 UTC), or null.</summary>
    private string? ConversationStart()
        => Scalar("SELECT MAX(at) FROM conversation_starts") is string at ? at : null;
}

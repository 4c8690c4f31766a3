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
}

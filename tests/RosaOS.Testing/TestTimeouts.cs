namespace RosaOS.Testing;

/// <summary>
/// Generous limits for waits in tests: CI machines have two cores and many processes. A wait that
/// hits one of these is a failure, never a retry.
/// </summary>
public static class TestTimeouts
{
    /// <summary>A rosa service starting and answering.</summary>
    public static TimeSpan Startup { get; } = TimeSpan.FromSeconds(60);

    /// <summary>A process exiting after a signal.</summary>
    public static TimeSpan Shutdown { get; } = TimeSpan.FromSeconds(20);

    /// <summary>An effect that should follow quickly (a move starting, a callback arriving).</summary>
    public static TimeSpan Effect { get; } = TimeSpan.FromSeconds(30);
}

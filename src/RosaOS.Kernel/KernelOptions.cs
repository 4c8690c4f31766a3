namespace RosaOS.Kernel;

/// <summary>Settings of `rosa kernel`; validated at start so a bad value stops it with a clear message.</summary>
public sealed record KernelOptions
{
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>HTTP API port (RAG_AGENT_PORT, 8765).</summary>
    public int Port { get; init; } = 8765;

    /// <summary>Process-manager MCP port (PROCESS_SERVER_PORT, 7001).</summary>
    public int ProcessPort { get; init; } = 7001;

    public string DataDirectory { get; init; } = "data";

    public string ConfigDirectory { get; init; } = "config";

    /// <summary>Long-lived pooled workers (the original kept two).</summary>
    public int PoolSize { get; init; } = 2;

    /// <summary>Most tasks running at once, pooled and one-off together.</summary>
    public int MaxWorkers { get; init; } = 6;

    /// <summary>A task still running after this is killed and reported as failed.</summary>
    public TimeSpan TaskTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest system prompt launch_process accepts.</summary>
    public int MaxSystemPromptChars { get; init; } = 20_000;

    /// <summary>Longest event text (/chat prompt, /stt text, callback message) accepted.</summary>
    public int MaxEventChars { get; init; } = 50_000;

    /// <summary>Kernel-agent messages kept in the prompt (older ones stay in the database).</summary>
    public int HistoryWindow { get; init; } = 40;

    /// <summary>Capacity of the in-memory event queue; HTTP callers wait when it is full (the journal already holds the event).</summary>
    public int QueueCapacity { get; init; } = 1024;

    public int WorkerMaxTurns { get; init; } = 25;

    public int WorkerMaxToolCalls { get; init; } = 50;

    public int WorkerMaxPromptChars { get; init; } = 200_000;

    /// <summary>Throws with every problem found.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535)
        {
            problems.Add($"port {Port} is not 0..65535");
        }
        if (ProcessPort is < 0 or > 65535 || (ProcessPort == Port && Port != 0))
        {
            problems.Add($"process-manager port {ProcessPort} must be 0..65535 and differ from the API port");
        }
        if (PoolSize is < 0 or > 16)
        {
            problems.Add("pool size must be 0..16");
        }
        if (MaxWorkers < 1 || MaxWorkers < PoolSize)
        {
            problems.Add("max workers must be at least 1 and at least the pool size");
        }
        if (TaskTimeout <= TimeSpan.Zero)
        {
            problems.Add("task timeout must be positive");
        }
        if (MaxSystemPromptChars < 10 || MaxEventChars < 10 || HistoryWindow < 0 || QueueCapacity < 1)
        {
            problems.Add("prompt/event limits must be at least 10, history window at least 0, queue capacity at least 1");
        }
        if (WorkerMaxTurns < 1 || WorkerMaxToolCalls < 0 || WorkerMaxPromptChars < 100)
        {
            problems.Add("worker limits: turns at least 1, tool calls at least 0, prompt chars at least 100");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid kernel options: " + string.Join("; ", problems) + ".");
        }
    }
}

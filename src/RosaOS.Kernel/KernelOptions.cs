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

    /// <summary>
    /// Pool workers started ahead of any task (null: all of <see cref="PoolSize"/>). The others start one at a
    /// time when a task takes the last idle one, so an idle small host keeps one process, not two (issue 19).
    /// </summary>
    public int? PoolWarm { get; init; }

    /// <summary>Pool workers kept idle and ready.</summary>
    public int EffectivePoolWarm => Math.Min(PoolWarm ?? PoolSize, PoolSize);

    /// <summary>Most tasks running at once, pooled and one-off together.</summary>
    public int MaxWorkers { get; init; } = 6;

    /// <summary>A task still running after this is killed and reported as failed.</summary>
    public TimeSpan TaskTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest system prompt launch_process accepts.</summary>
    public int MaxSystemPromptChars { get; init; } = 20_000;

    /// <summary>Longest event text (/chat prompt, /stt text, callback message) accepted.</summary>
    public int MaxEventChars { get; init; } = 50_000;

    /// <summary>The kernel agent gets <c>reply(text)</c>: speech queued on the Reachy Mini driver without launching a worker.</summary>
    public bool ReplyTool { get; init; }

    /// <summary>The driver whose <c>speak</c> tool the reply tool calls.</summary>
    public string ReplyDriver { get; init; } = "reachy-mini";

    /// <summary>Kernel-agent messages kept in the prompt (older ones stay in the database).</summary>
    public int HistoryWindow { get; init; } = 40;

    /// <summary>A spoken request older than this when its turn would start is not run (the user is told instead).</summary>
    public TimeSpan SpeechTtl { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A chat message older than this when its turn would start is not run.</summary>
    public TimeSpan ChatTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>A worker callback older than this when its turn would start is not run.</summary>
    public TimeSpan CallbackTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Finished events, history, audit, turn steps, process rows and rotated logs older than this are deleted.</summary>
    public TimeSpan KeepFor { get; init; } = TimeSpan.FromDays(28);

    /// <summary>Most rows kept per table (events, history, audit); the oldest finished ones go first.</summary>
    public int KeepRows { get; init; } = 200_000;

    /// <summary>Captured and downloaded images older than this are deleted (the people registry is kept).</summary>
    public TimeSpan KeepImagesFor { get; init; } = TimeSpan.FromDays(28);

    /// <summary>Most bytes of captured and downloaded images kept; the oldest go first.</summary>
    public long KeepImagesBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Idempotency keys are remembered this long (longer than any client retries).</summary>
    public TimeSpan KeepKeysFor { get; init; } = TimeSpan.FromDays(2);

    /// <summary>How often retention runs (also once at start).</summary>
    public TimeSpan RetentionInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>The time-to-live of an event kind.</summary>
    public TimeSpan TtlOf(string kind) => kind switch
    {
        "speech" => SpeechTtl,
        "chat" => ChatTtl,
        _ => CallbackTtl,
    };

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
        if (PoolWarm is < 0)
        {
            problems.Add($"pool warm count {PoolWarm} must be 0 or more (at most the pool size is started ahead)");
        }
        if (MaxWorkers < 1 || MaxWorkers < PoolSize)
        {
            problems.Add("max workers must be at least 1 and at least the pool size");
        }
        if (TaskTimeout <= TimeSpan.Zero)
        {
            problems.Add("task timeout must be positive");
        }
        if (MaxSystemPromptChars < 10 || MaxEventChars < 10 || HistoryWindow < 0)
        {
            problems.Add("prompt/event limits must be at least 10, history window at least 0");
        }
        if (SpeechTtl <= TimeSpan.Zero || ChatTtl <= TimeSpan.Zero || CallbackTtl <= TimeSpan.Zero)
        {
            problems.Add("event time-to-live values (--speech-ttl, --chat-ttl, --callback-ttl) must be positive seconds");
        }
        if (KeepFor < TimeSpan.FromHours(1) || KeepRows < 1000 || KeepImagesFor < TimeSpan.FromHours(1) || KeepImagesBytes < 1024 * 1024)
        {
            problems.Add("retention: --keep-days at least 1/24 (an hour), --keep-rows at least 1000, --keep-images-days at least 1/24, --keep-images-mb at least 1");
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

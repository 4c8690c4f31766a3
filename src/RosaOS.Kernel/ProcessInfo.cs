using System.Globalization;

namespace RosaOS.Kernel;

/// <summary>A row of the process table: one task, from launch to its end.</summary>
public sealed class ProcessInfo
{
    /// <summary>The task's identity from launch to callback (the original's worker_id).</summary>
    public required string WorkerId { get; init; }

    /// <summary>"pool" or "one-off".</summary>
    public required string Kind { get; init; }

    public int? Pid { get; set; }

    /// <summary>The worker process's start time (clock ticks since boot): with the pid, what identifies it.</summary>
    public long? PidStart { get; set; }

    /// <summary>The journal event whose kernel turn launched it (null when launched over MCP).</summary>
    public long? EventId { get; init; }

    public required string SystemPrompt { get; init; }

    public required IReadOnlyList<string> Robots { get; init; }

    /// <summary>running, done, failed, terminated, lost.</summary>
    public string State { get; set; } = "running";

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset? EndedAt { get; set; }

    public string? Outcome { get; set; }

    /// <summary>The row of GET /api/processes, get_processes and the process_* events.</summary>
    public RosaOS.Kernel.Contracts.ProcessRow ToRow() => new(WorkerId, SystemPrompt, Robots, Kind, Pid, State,
        StartedAt.ToString("O", CultureInfo.InvariantCulture), EndedAt?.ToString("O", CultureInfo.InvariantCulture), Outcome);

    /// <summary>launch_process's answer for this task (the original's wording).</summary>
    public string LaunchAnswer(string note = "")
        => (Kind == "pool" ? "Worker launched successfully (pool). Worker ID: " : "Worker launched successfully. Worker ID: ") + WorkerId + note;
}

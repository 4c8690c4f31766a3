namespace RosaOS.ReachyMini.Protocol;

// Simulation-only endpoints of `rosa sim` under /sim (not part of the real daemon's API).

/// <summary>One entry of <c>GET /sim/speaker/log</c>: audio played on the simulated speaker.</summary>
public sealed record SpeakerLogEntry
{
    public long Id { get; init; }

    /// <summary>The words, when the sender said what the audio contains; null for plain sounds.</summary>
    public string? Text { get; init; }

    /// <summary>"wav" for audio posted to /sim/speaker, "file" for the daemon's play_sound route.</summary>
    public string Source { get; init; } = "wav";

    public string? File { get; init; }
    public double DurationS { get; init; }
    public int SampleRate { get; init; }
    public int Channels { get; init; }
    public int BitsPerSample { get; init; }
    public string Format { get; init; } = "";
    public long Bytes { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    public bool Interrupted { get; init; }
}

/// <summary>One entry of <c>GET /sim/moves</c>: a move the simulated robot ran or refused.</summary>
public sealed record MoveLogEntry
{
    public Guid Uuid { get; init; }

    /// <summary>goto, recorded, wake_up or goto_sleep.</summary>
    public string Kind { get; init; } = "";

    /// <summary>For recorded moves: "dataset/move".</summary>
    public string? Name { get; init; }

    public double DurationS { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>running, completed, cancelled, or dropped (another move was running).</summary>
    public string Outcome { get; init; } = "";
}

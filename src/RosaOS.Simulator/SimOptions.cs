namespace RosaOS.Simulator;

/// <summary>Settings of <c>rosa sim</c> (validated by <see cref="Validate"/> before the host starts).</summary>
public sealed class SimOptions
{
    /// <summary>HTTP port (the daemon's 8000).</summary>
    public int Port { get; set; } = 8000;

    /// <summary>Bind address (loopback unless asked otherwise).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Robot name reported in the daemon status.</summary>
    public string RobotName { get; set; } = "reachy_mini";

    /// <summary>Run wake_up() when the backend starts (the daemon's default).</summary>
    public bool WakeUpOnStart { get; set; } = true;

    /// <summary>Run the sleep sequence when the daemon is stopped by a signal.</summary>
    public bool GotoSleepOnStop { get; set; } = true;

    /// <summary>Start the backend at launch.</summary>
    public bool Autostart { get; set; } = true;

    /// <summary>No camera or audio (camera_specs_name "").</summary>
    public bool NoMedia { get; set; }

    /// <summary>Dataset name → folder of move files (<c>--dataset NAME=DIR</c>).</summary>
    public Dictionary<string, string> DatasetMappings { get; } = new(StringComparer.Ordinal);

    /// <summary>Folders holding <c>owner/name/</c> datasets or the Hugging Face cache layout (<c>--datasets DIR</c>).</summary>
    public List<string> DatasetRoots { get; } = [];

    /// <summary>Folder of the daemon's built-in sounds (wake_up.wav, go_sleep.wav, …; <c>--sounds DIR</c>); null = look for an
    /// installed reachy_mini Python package.</summary>
    public string? SoundsDirectory { get; set; }

    /// <summary>Throws with a message for the user when a setting is unusable.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port {Port} is not a TCP port (0..65535).");
        }
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("--host must not be empty.");
        }
        if (string.IsNullOrWhiteSpace(RobotName) || RobotName.Length > 64)
        {
            throw new ArgumentException("--robot-name must have 1 to 64 characters.");
        }
    }
}

namespace RosaOS.Mcp.ReachyMini;

/// <summary>Where the voice of the robot comes out.</summary>
public enum SpeakerMode
{
    /// <summary>The simulator's virtual speaker when the daemon is <c>rosa sim</c>, else the "Reachy Mini Audio" device, else the daemon's sound route.</summary>
    Auto,

    /// <summary><c>rosa sim</c>'s <c>/sim/speaker</c>.</summary>
    Sim,

    /// <summary>A local PortAudio output device (the robot's USB audio, 16 kHz).</summary>
    PortAudio,

    /// <summary>The daemon's <c>/api/media</c> sound routes.</summary>
    Daemon,
}

/// <summary>Settings of <c>rosa reachy</c> (command line first, then the original's environment variables).</summary>
public sealed class ReachyServerOptions
{
    /// <summary>The driver's name (its drivers.json key): names its emergency-stop latch in the data folder.</summary>
    public string Name { get; set; } = "reachy-mini";

    /// <summary>HTTP port (REACHY_MCP_PORT, default 5001).</summary>
    public int Port { get; set; } = 5001;

    /// <summary>Bind address; loopback unless told otherwise.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>Serve MCP over stdio instead of HTTP.</summary>
    public bool Stdio { get; set; }

    /// <summary>The daemon (robot or <c>rosa sim</c>).</summary>
    public Uri Daemon { get; set; } = new("http://localhost:8000");

    /// <summary>Playback choice.</summary>
    public SpeakerMode Speaker { get; set; } = SpeakerMode.Auto;

    /// <summary>PortAudio output device name (substring match).</summary>
    public string AudioDevice { get; set; } = "Reachy Mini Audio";

    /// <summary>TTS_ENGINE: groq (default, as the original), elevenlabs, or espeak (offline).</summary>
    public string TtsEngine { get; set; } = "groq";

    /// <summary>TTS_VOICE: the network engine's voice (Groq default autumn).</summary>
    public string? TtsVoice { get; set; }

    /// <summary>Longest wait for a network TTS engine before falling back to espeak-ng.</summary>
    public TimeSpan TtsTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>espeak-ng voice of the offline engine.</summary>
    public string EspeakVoice { get; set; } = "en-us";

    /// <summary>The speech input loop and move_to_audio (Speech/SpeechInputService.cs).</summary>
    public Speech.SpeechInputOptions Hearing { get; set; } = new();

    /// <summary>
    /// The approval section of this driver's drivers.json entry (tool names only): the calls that wait for a person's decision.
    /// Null: no call waits.
    /// </summary>
    public RosaOS.Configuration.ApprovalOptions? Approval { get; set; }

    /// <summary>
    /// The head-pat reaction (the original's headpat module): play <see cref="HeadPatEmotion"/> when the head is moved by
    /// hand. Off unless <c>--head-pat</c>: through REST another client's streamed set_target looks like a hand, and a reaction
    /// is a motion nobody asked for (the head_touched watches work either way).
    /// </summary>
    public bool HeadPat { get; set; }

    /// <summary>The emotion the head-pat reaction plays (a list_emotions name).</summary>
    public string HeadPatEmotion { get; set; } = "loving";

    /// <summary>Where watches report (the kernel) and are kept (the data folder).</summary>
    public RosaOS.Hosting.Watches.WatchSettings Watches { get; set; } = RosaOS.Hosting.Watches.WatchSettings.Resolve(null);

    /// <summary>Throws with a message naming the bad setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException("--name must not be empty (it is the drivers.json key, e.g. reachy-mini).");
        }
        if (!Stdio)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(Port, "--port");
            ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, "--port");
        }
        if (!Daemon.IsAbsoluteUri || (Daemon.Scheme != Uri.UriSchemeHttp && Daemon.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"--daemon must be an http(s) URL (got '{Daemon}').");
        }
        if (TtsEngine is not ("groq" or "elevenlabs" or "espeak" or "espeak-ng" or "local"))
        {
            throw new ArgumentException($"TTS_ENGINE must be groq, elevenlabs or espeak (got '{TtsEngine}').");
        }
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TtsTimeout, TimeSpan.Zero, "--tts-timeout");
        Hearing.Validate();
        if (Emotions.EmotionCatalog.Default.VariantsOf(HeadPatEmotion ?? "") is null)
        {
            throw new ArgumentException($"--head-pat-emotion must be an emotion of list_emotions (e.g. loving, cheerful), got '{HeadPatEmotion}'.");
        }
        // Refuses ROS-only patterns now, not after the server started.
        _ = RosaOS.EmergencyStop.ApprovalSetup.ToolPolicy(Name, Approval);
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.ReachyMini.Client;
using RosaOS.Speech.Input;

namespace RosaOS.Mcp.ReachyMini.Speech;

/// <summary>Where the speech loop hears from.</summary>
public enum MicrophoneMode
{
    /// <summary><c>rosa sim</c>'s virtual microphone when the daemon is the simulator, else the PortAudio device.</summary>
    Auto,

    /// <summary><c>GET {daemon}/sim/microphone/stream</c>.</summary>
    Sim,

    /// <summary>A local PortAudio input device ("Reachy Mini Audio").</summary>
    PortAudio,
}

/// <summary>Settings of the speech input loop of <c>rosa reachy</c>.</summary>
public sealed class SpeechInputOptions
{
    /// <summary>Run the loop (on by default, as the original; <c>--no-listen</c> turns it off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Microphone choice.</summary>
    public MicrophoneMode Microphone { get; set; } = MicrophoneMode.Auto;

    /// <summary>PortAudio input device name (substring match).</summary>
    public string InputDevice { get; set; } = "Reachy Mini Audio";

    /// <summary>OpenAI-compatible transcription base URL; null means Groq when GROQ_API_KEY is set, else offline only.</summary>
    public Uri? TranscriptionUrl { get; set; }

    /// <summary>Bearer key for <see cref="TranscriptionUrl"/> (GROQ_API_KEY when the URL is Groq's).</summary>
    public string? TranscriptionKey { get; set; }

    /// <summary>Transcription model.</summary>
    public string TranscriptionModel { get; set; } = "whisper-large-v3-turbo";

    /// <summary>Use pocketsphinx when the cloud is absent or failing.</summary>
    public bool OfflineFallback { get; set; } = true;

    /// <summary>The loop's own settings (wake word, callback URL, timings).</summary>
    public SpeechLoopOptions Loop { get; set; } = new();

    /// <summary>The settings from the original's environment: GROQ_API_KEY, GROQ_BASE_URL, STT_CALLBACK_URL, RAG_AGENT_PORT.</summary>
    public static SpeechInputOptions FromEnvironment()
    {
        var options = new SpeechInputOptions();
        if (RosaEnvironment.Get("STT_CALLBACK_URL") is { } callback)
        {
            options.Loop.CallbackUrl = new Uri(callback, UriKind.Absolute);
        }
        else
        {
            options.Loop.CallbackUrl = new Uri($"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}/stt");
        }
        if (RosaEnvironment.Get("GROQ_API_KEY") is { } key)
        {
            options.TranscriptionKey = key;
            options.TranscriptionUrl = RosaEnvironment.Get("GROQ_BASE_URL") is { } groq ? new Uri(groq, UriKind.Absolute) : TranscriptionOptions.GroqBaseUrl;
        }
        return options;
    }

    /// <summary>Throws with the bad setting named.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(InputDevice);
        ArgumentException.ThrowIfNullOrWhiteSpace(TranscriptionModel);
        if (TranscriptionUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            throw new ArgumentException($"--stt-url must be an http(s) URL (got '{url}').");
        }
        if (TranscriptionUrl is null && !OfflineFallback)
        {
            throw new ArgumentException("No transcription: set GROQ_API_KEY or --stt-url, or allow the offline fallback.");
        }
        Loop.Validate();
    }
}

/// <summary>
/// Runs the speech loop in the background of <c>rosa reachy</c>: picks the microphone, VAD and transcription
/// engines, and keeps the loop alive; it never blocks the MCP tools (own HTTP clients, own task).
/// </summary>
public sealed partial class SpeechInputService(SpeechInputOptions options, ReachyServerOptions server, RobotTarget target,
    IHttpClientFactory httpClients, ISpeechRobot robot, ILoggerFactory loggers) : BackgroundService
{
    // The simulator's microphone stream: the daemon's client (a refused connection while rosa sim restarts is retried).
    private readonly HttpClient _stream = httpClients.CreateClient(DaemonHttp.ClientName);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly ILogger _logger = loggers.CreateLogger<SpeechInputService>();
    private SpeechLoop? _loop;

    /// <summary>The loop's status, or null before it started.</summary>
    public SpeechLoopStatus? Status => _loop?.Status;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yield at once so host start-up (and the MCP endpoint) never waits on the microphone.
        await Task.Yield();
        try
        {
            var mode = options.Microphone;
            if (mode == MicrophoneMode.Auto)
            {
                // The daemon may start after us: wait for the one decision of this process.
                mode = await target.WaitAsync(stoppingToken) == RobotKind.Simulator ? MicrophoneMode.Sim : MicrophoneMode.PortAudio;
            }
            IAudioSource source = mode == MicrophoneMode.Sim
                ? new HttpMicrophoneSource(_stream, server.Daemon)
                : new PortAudioSource(options.InputDevice);
            // Silero (ONNX Runtime, ~45 MiB) loads on the first sound above the noise floor, not while the microphone is quiet.
            var vad = VoiceActivityDetectors.CreateOnFirstSound(SileroVoiceActivityDetector.DefaultModelPath(RosaEnvironment.ToolsDirectory), _logger);
            var stt = CreateTranscriber();
            _loop = new SpeechLoop(source, vad, stt, robot, _http, options.Loop, loggers.CreateLogger<SpeechLoop>());
            await _loop.RunAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogLoopDied(_logger, ex);
        }
    }

    private ISpeechToText CreateTranscriber()
    {
        ISpeechToText? offline = options.OfflineFallback ? new PocketSphinxTranscriber(options.Loop.WakeWord) : null;
        if (options.TranscriptionUrl is null)
        {
            LogOfflineOnly(_logger);
            return offline!;
        }
        var cloud = new OpenAiTranscriber(_http, new TranscriptionOptions
        {
            BaseUrl = options.TranscriptionUrl,
            ApiKey = options.TranscriptionKey,
            Model = options.TranscriptionModel,
        });
        return offline is null ? cloud : new FallbackTranscriber(cloud, offline, _logger);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _stream.Dispose();
        _http.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No GROQ_API_KEY or --stt-url: speech is transcribed offline by pocketsphinx (wake word and simple commands only).")]
    private static partial void LogOfflineOnly(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The speech input loop stopped unexpectedly; the MCP tools keep working.")]
    private static partial void LogLoopDied(ILogger logger, Exception exception);
}

/// <summary>Registration of the speech input loop and the move_to_audio tool's robot.</summary>
public static class SpeechInputSetup
{
    /// <summary>Adds the hearing robot (for move_to_audio) and, when enabled, the background loop.</summary>
    public static IServiceCollection AddSpeechInput(this IServiceCollection services, ReachyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options.Hearing);
        // Gestures go through the one motion controller, so the emergency stop applies to them.
        services.AddSingleton<ISpeechRobot>(sp => new MotionSpeechRobot(sp.GetRequiredService<Motion.MotionController>(),
            sp.GetService<RosaOS.EmergencyStop.EmergencyStopService>(), sp.GetService<RosaOS.Speech.SpeechQueue>(), FaceCentringAfterTurn(sp)));
        if (options.Hearing.Enabled)
        {
            services.AddSingleton<SpeechInputService>();
            services.AddHostedService(sp => sp.GetRequiredService<SpeechInputService>());
        }
        return services;
    }

    /// <summary>
    /// The original's face centring after the DoA turn (wake word and move_to_audio), when the vision services are there: the
    /// head camera, the Haar detector, and head nudges through the motion controller (so the stop refuses them). Looks at
    /// most 3 frames for a face before giving up, so an empty view does not hold up listening. A camera that cannot deliver
    /// only ends the centring (the turn stands); the emergency stop's refusal propagates.
    /// </summary>
    private static Func<CancellationToken, Task<string?>>? FaceCentringAfterTurn(IServiceProvider services)
    {
        if (services.GetService<RosaOS.Vision.Faces.FaceDetector>() is not { } detector || services.GetService<RosaOS.Vision.Camera.ICameraSource>() is not { } camera
            || services.GetService<RosaOS.Vision.Camera.IHeadActuator>() is not { } head)
        {
            return null;
        }
        var options = new RosaOS.Vision.Faces.CenteringOptions { GiveUpWithoutFaceAfter = 3 };
        return async cancellationToken =>
        {
            try
            {
                var result = await new RosaOS.Vision.Faces.FaceCentering(detector, camera, head, options).CenterAsync(cancellationToken);
                return result.Message;
            }
            catch (Exception e) when (e is RosaOS.Vision.Camera.CameraUnavailableException or RosaOS.Vision.VisionException)
            {
                return $"No face centring: {e.Message}";
            }
        };
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.ReachyMini.Client;
using RosaOS.Speech;
using RosaOS.Speech.Playback;
using RosaOS.Speech.Tts;

namespace RosaOS.Mcp.ReachyMini.Speech;

/// <summary>Builds the text-to-speech chain and the playback sink from the options and the original's environment variables.</summary>
public static partial class SpeechSetup
{
    /// <summary>
    /// The <see cref="IHttpClientFactory"/> name of the network engines' client: pooled connections and no retry, because a
    /// failing engine hands the sentence to the next one (espeak-ng last) within the TTS timeout.
    /// </summary>
    public const string TtsHttpClient = "speech-tts";

    /// <summary>The engines to try, most preferred first; espeak-ng always ends the chain.</summary>
    public static IReadOnlyList<ITextToSpeech> CreateEngines(ReachyServerOptions options, IHttpClientFactory? httpClients = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var engines = new List<ITextToSpeech>();
        var engine = options.TtsEngine;
        if (engine == "elevenlabs" && RosaEnvironment.Get("ELEVENLABS_API_KEY") is { } elevenKey)
        {
            engines.Add(new ElevenLabsSpeech(elevenKey, RosaEnvironment.Get("ELEVENLABS_VOICE_ID"), RosaEnvironment.Get("ELEVENLABS_MODEL"),
                RosaEnvironment.Get("ELEVENLABS_BASE_URL"), options.TtsTimeout, httpClients?.CreateClient(TtsHttpClient)));
        }
        // As in the original, Groq follows ElevenLabs and is the default network engine.
        if (engine is "groq" or "elevenlabs" && RosaEnvironment.Get("GROQ_API_KEY") is { } groqKey)
        {
            engines.Add(new GroqSpeech(groqKey, RosaEnvironment.Get("GROQ_BASE_URL"), options.TtsVoice, RosaEnvironment.Get("GROQ_TTS_MODEL"), options.TtsTimeout,
                httpClients?.CreateClient(TtsHttpClient)));
        }
        engines.Add(new EspeakNgSpeech(options.EspeakVoice));
        return engines;
    }

    /// <summary>Registers the speech queue and its sink.</summary>
    public static IServiceCollection AddReachySpeech(this IServiceCollection services, ReachyServerOptions options)
    {
        services.AddHttpClient(TtsHttpClient);
        services.AddSingleton<ITextToSpeech>(sp => new FallbackSpeech(CreateEngines(options, sp.GetRequiredService<IHttpClientFactory>()),
            sp.GetRequiredService<ILogger<FallbackSpeech>>()));
        services.AddSingleton<IAudioSink>(sp => new AutoSink(options, sp.GetRequiredService<RobotTarget>(),
            sp.GetRequiredService<ReachyDaemonClient>(), sp.GetRequiredService<ILogger<AutoSink>>()));
        services.AddSingleton<SpeechQueue>();
        return services;
    }
}

/// <summary>
/// Picks the sink on first use from <see cref="SpeakerMode"/> and, in auto mode, <see cref="RobotTarget"/>'s decision
/// (the daemon may not be up when the server starts), then keeps it.
/// </summary>
public sealed partial class AutoSink(ReachyServerOptions options, RobotTarget target, ReachyDaemonClient daemon, ILogger<AutoSink> logger) : IAudioSink, IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IAudioSink? _sink;

    /// <inheritdoc/>
    public string Name => _sink?.Name ?? $"{options.Speaker.ToString().ToLowerInvariant()} (not chosen yet)";

    /// <inheritdoc/>
    public async Task PlayAsync(RosaOS.Speech.Audio.WavAudio audio, string? text, CancellationToken cancellationToken)
    {
        var sink = _sink ?? await ChooseAsync(cancellationToken);
        await sink.PlayAsync(audio, text, cancellationToken);
    }

    private async Task<IAudioSink> ChooseAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_sink is not null)
            {
                return _sink;
            }
            var mode = options.Speaker;
            if (mode == SpeakerMode.Auto)
            {
                mode = await target.GetAsync(cancellationToken) == RobotKind.Simulator ? SpeakerMode.Sim
                    : PortAudioSink.HasDevice(options.AudioDevice) ? SpeakerMode.PortAudio
                    : SpeakerMode.Daemon;
            }
            _sink = mode switch
            {
                SpeakerMode.Sim => new SimulatedSpeakerSink(daemon),
                SpeakerMode.PortAudio => new PortAudioSink(options.AudioDevice),
                _ => new DaemonSoundSink(daemon),
            };
            LogChosen(_sink.Name);
            return _sink;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _lock.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech plays on {Sink}.")]
    private partial void LogChosen(string sink);
}

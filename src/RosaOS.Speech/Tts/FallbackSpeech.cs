using Microsoft.Extensions.Logging;

namespace RosaOS.Speech.Tts;

/// <summary>
/// Tries engines in order (e.g. ElevenLabs, Groq, espeak-ng) and answers with the first that works, so a
/// network engine that times out, is rate-limited or unreachable never leaves the robot silent.
/// Its input limit is the first engine's, so text is chunked for the preferred engine.
/// </summary>
public sealed partial class FallbackSpeech : ITextToSpeech
{
    private readonly IReadOnlyList<ITextToSpeech> _engines;
    private readonly ILogger _logger;

    /// <summary>Creates the chain; at least one engine.</summary>
    public FallbackSpeech(IReadOnlyList<ITextToSpeech> engines, ILogger<FallbackSpeech> logger)
    {
        ArgumentNullException.ThrowIfNull(engines);
        ArgumentOutOfRangeException.ThrowIfZero(engines.Count);
        _engines = engines;
        _logger = logger;
    }

    /// <summary>The engines, most preferred first.</summary>
    public IReadOnlyList<ITextToSpeech> Engines => _engines;

    /// <inheritdoc/>
    public string Name => string.Join(" → ", _engines.Select(e => e.Name));

    /// <inheritdoc/>
    public int MaxInputLength => _engines[0].MaxInputLength;

    /// <inheritdoc/>
    public async Task<SynthesizedSpeech> SynthesizeAsync(string text, CancellationToken cancellationToken)
    {
        SpeechSynthesisException? last = null;
        foreach (var engine in _engines)
        {
            try
            {
                return await engine.SynthesizeAsync(text, cancellationToken);
            }
            catch (SpeechSynthesisException e)
            {
                LogEngineFailed(engine.Name, e.Message);
                last = e;
            }
        }
        throw last!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Text-to-speech engine {Engine} failed, trying the next one: {Reason}")]
    private partial void LogEngineFailed(string engine, string reason);
}

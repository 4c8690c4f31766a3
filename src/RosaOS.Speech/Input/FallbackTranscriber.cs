using Microsoft.Extensions.Logging;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>
/// The cloud engine first; when it fails (no network, timeout, 4xx/5xx) the offline engine answers instead, so a
/// wake word is never lost to an outage. A transient failure gets one quick retry before falling back.
/// </summary>
public sealed partial class FallbackTranscriber(ISpeechToText primary, ISpeechToText? offline, ILogger logger) : ISpeechToText
{
    /// <summary>Pause before the one retry of a transient failure.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc />
    public string Name => offline is null ? primary.Name : $"{primary.Name}, else {offline.Name}";

    /// <inheritdoc />
    public async Task<string> TranscribeAsync(AudioClip audio, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await primary.TranscribeAsync(audio, cancellationToken);
            }
            catch (TranscriptionException ex) when (ex.Transient && attempt == 1)
            {
                LogRetrying(logger, primary.Name, ex.Message);
                await Task.Delay(RetryDelay, cancellationToken);
            }
            catch (TranscriptionException ex) when (offline is not null)
            {
                LogFallingBack(logger, primary.Name, ex.Message, offline.Name);
                return await offline.TranscribeAsync(audio, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transcription by {Engine} failed ({Reason}); retrying once.")]
    private static partial void LogRetrying(ILogger logger, string engine, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transcription by {Engine} failed ({Reason}); using {Offline}.")]
    private static partial void LogFallingBack(ILogger logger, string engine, string reason, string offline);
}

using RosaOS.ReachyMini.Client;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Playback;

/// <summary>
/// Plays through the daemon's media routes (real robot without a local audio device): the WAV is uploaded
/// with <c>POST /api/media/sounds/upload</c>, played with <c>POST /api/media/play_sound</c>, and stopped
/// with <c>POST /api/media/stop_sound</c>. The daemon does not report the end of a sound, so the sink
/// waits for the sound's length.
/// </summary>
public sealed class DaemonSoundSink : IAudioSink
{
    private readonly IReachyDaemon _daemon;

    /// <summary>Plays through <paramref name="daemon"/>.</summary>
    public DaemonSoundSink(IReachyDaemon daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        _daemon = daemon;
    }

    /// <inheritdoc/>
    public string Name => "daemon";

    /// <inheritdoc/>
    public async Task PlayAsync(WavAudio audio, string? text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var path = await _daemon.UploadSoundAsync(audio.ToWav(), $"rosa-speech-{Guid.NewGuid():N}.wav", cancellationToken);
        await _daemon.PlaySoundAsync(path, cancellationToken);
        try
        {
            await Task.Delay(audio.Duration, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await _daemon.StopSoundAsync(stop.Token);
            }
            catch (Exception e) when (e is ReachyDaemonException or OperationCanceledException)
            {
            }
            throw;
        }
    }
}

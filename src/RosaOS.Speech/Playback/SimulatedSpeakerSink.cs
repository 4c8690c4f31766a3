using RosaOS.ReachyMini.Client;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Playback;

/// <summary>The virtual speaker of <c>rosa sim</c> (<c>POST /sim/speaker</c>), sent with the words so its log shows what the robot said.</summary>
public sealed class SimulatedSpeakerSink : IAudioSink
{
    private readonly ReachyDaemonClient _daemon;

    /// <summary>Plays through the simulator behind <paramref name="daemon"/>.</summary>
    public SimulatedSpeakerSink(ReachyDaemonClient daemon)
    {
        ArgumentNullException.ThrowIfNull(daemon);
        _daemon = daemon;
    }

    /// <inheritdoc/>
    public string Name => "sim-speaker";

    /// <inheritdoc/>
    public async Task PlayAsync(WavAudio audio, string? text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        try
        {
            await _daemon.PlayOnSimulatedSpeakerAsync(audio.ToWav(), text, wait: true, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The simulator keeps playing a sound whose request was abandoned: stop it explicitly.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                await _daemon.StopSimulatedSpeakerAsync(stop.Token);
            }
            catch (Exception e) when (e is ReachyDaemonException or OperationCanceledException)
            {
            }
            throw;
        }
    }
}

using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Playback;

/// <summary>
/// Where the robot's voice comes out: the real robot's speaker (PortAudio device or the daemon's sound
/// route) or the simulated speaker of <c>rosa sim</c>. One sound at a time; cancelling the token stops
/// the sound at once.
/// </summary>
public interface IAudioSink
{
    /// <summary>Short name for logs ("sim-speaker", "portaudio:Reachy Mini Audio", "daemon").</summary>
    string Name { get; }

    /// <summary>Plays <paramref name="audio"/> to the end (or until cancelled, which stops it); <paramref name="text"/> is what it says, for logs.</summary>
    Task PlayAsync(WavAudio audio, string? text, CancellationToken cancellationToken);
}

using RosaOS.Speech.Audio;
using RosaOS.Speech.PortAudio;

namespace RosaOS.Speech.Playback;

/// <summary>Plays on a local output device through PortAudio, mono at 16 kHz (the robot's "Reachy Mini Audio" USB device).</summary>
public sealed class PortAudioSink(string deviceName, int sampleRate = 16000) : IAudioSink
{
    /// <inheritdoc/>
    public string Name => $"portaudio:{deviceName}";

    /// <summary>True when an output device named like <paramref name="name"/> exists (false without libportaudio2 or a sound card).</summary>
    public static bool HasDevice(string name)
    {
        try
        {
            return PortAudioDevices.List().Any(d => d.MaxOutputChannels > 0 && d.Name.Contains(name, StringComparison.OrdinalIgnoreCase));
        }
        catch (PortAudioException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public Task PlayAsync(WavAudio audio, string? text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var samples = audio.ToMono(sampleRate).Samples;
        // Blocking writes run on their own thread; cancellation aborts the stream, which unblocks the write.
        return Task.Factory.StartNew(() =>
        {
            using var stream = PortAudioStream.Open(deviceName, output: true, sampleRate);
            using var abort = cancellationToken.Register(stream.Abort);
            const int block = 1024;
            for (var i = 0; i < samples.Length; i += block)
            {
                cancellationToken.ThrowIfCancellationRequested();
                stream.Write(samples.AsSpan(i, Math.Min(block, samples.Length - i)));
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }
}

using System.Runtime.CompilerServices;
using RosaOS.Speech.PortAudio;

namespace RosaOS.Speech.Input;

/// <summary>
/// Captures a real input device through the PortAudio binding (Debian's libportaudio2), chosen by a case-insensitive
/// substring of its name (default "Reachy Mini Audio", the robot's XMOS board), as mono float32 at 16 kHz.
/// </summary>
public sealed class PortAudioSource : IAudioSource
{
    private const int BlockFrames = 1600; // 0.1 s
    private readonly string _deviceName;

    /// <summary>A source for the first input device whose name contains <paramref name="deviceName"/>.</summary>
    public PortAudioSource(string deviceName = "Reachy Mini Audio")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceName);
        _deviceName = deviceName;
    }

    /// <inheritdoc />
    public string Description => $"PortAudio input \"{_deviceName}\"";

    /// <inheritdoc />
    public async IAsyncEnumerable<float[]> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PortAudioStream stream;
        try
        {
            stream = PortAudioStream.Open(_deviceName, output: false, sampleRate: Audio.AudioMath.SpeechRate);
        }
        catch (PortAudioException ex)
        {
            throw new AudioSourceException(ex.Message, ex);
        }
        using (stream)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var block = new float[BlockFrames];
                try
                {
                    // A blocking read of 0.1 s, off the caller's thread.
                    await Task.Run(() => stream.Read(block), cancellationToken);
                }
                catch (PortAudioException ex)
                {
                    throw new AudioSourceException($"Lost \"{stream.Device.Name}\" while capturing: {ex.Message}", ex);
                }
                yield return block;
            }
        }
    }
}

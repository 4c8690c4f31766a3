namespace RosaOS.Speech.PortAudio;

/// <summary>
/// A blocking mono float32 stream on one device, for output (speaker) or input (microphone). Not
/// thread-safe; <see cref="Abort"/> may be called from another thread to stop a write at once.
/// </summary>
public sealed class PortAudioStream : IDisposable
{
    private readonly PortAudioSession _session;
    private IntPtr _stream;

    private PortAudioStream(PortAudioSession session, IntPtr stream, AudioDevice device, int sampleRate, bool output)
    {
        _session = session;
        _stream = stream;
        Device = device;
        SampleRate = sampleRate;
        IsOutput = output;
    }

    /// <summary>The device.</summary>
    public AudioDevice Device { get; }

    /// <summary>Frames per second.</summary>
    public int SampleRate { get; }

    /// <summary>True for playback, false for capture.</summary>
    public bool IsOutput { get; }

    /// <summary>Opens and starts a mono stream on the device named like <paramref name="deviceName"/>.</summary>
    public static unsafe PortAudioStream Open(string deviceName, bool output, int sampleRate = 16000)
    {
        var device = PortAudioDevices.Find(deviceName, output);
        var session = PortAudioSession.Open();
        var parameters = new PortAudioNative.StreamParameters
        {
            Device = device.Index,
            ChannelCount = 1,
            SampleFormat = (nuint)PortAudioNative.PaFloat32,
            SuggestedLatency = 0.05,
        };
        var error = output
            ? PortAudioNative.OpenStream(out var stream, null, &parameters, sampleRate, 0, 0, IntPtr.Zero, IntPtr.Zero)
            : PortAudioNative.OpenStream(out stream, &parameters, null, sampleRate, 0, 0, IntPtr.Zero, IntPtr.Zero);
        if (error != 0)
        {
            session.Dispose();
            throw new PortAudioException($"Cannot open '{device.Name}' at {sampleRate} Hz: {PortAudioNative.ErrorText(error)}");
        }
        error = PortAudioNative.StartStream(stream);
        if (error != 0)
        {
            _ = PortAudioNative.CloseStream(stream);
            session.Dispose();
            throw new PortAudioException($"Cannot start '{device.Name}': {PortAudioNative.ErrorText(error)}");
        }
        return new PortAudioStream(session, stream, device, sampleRate, output);
    }

    /// <summary>Writes samples, blocking until the device took them (underflows are not errors).</summary>
    public unsafe void Write(ReadOnlySpan<float> samples)
    {
        ObjectDisposedException.ThrowIf(_stream == IntPtr.Zero, this);
        fixed (float* p = samples)
        {
            var error = PortAudioNative.WriteStream(_stream, p, (nuint)samples.Length);
            if (error != 0 && error != PortAudioNative.PaOutputUnderflowed)
            {
                throw new PortAudioException("Pa_WriteStream failed: " + PortAudioNative.ErrorText(error));
            }
        }
    }

    /// <summary>Reads samples, blocking until the buffer is full (overflows are not errors).</summary>
    public unsafe void Read(Span<float> samples)
    {
        ObjectDisposedException.ThrowIf(_stream == IntPtr.Zero, this);
        fixed (float* p = samples)
        {
            var error = PortAudioNative.ReadStream(_stream, p, (nuint)samples.Length);
            if (error != 0 && error != PortAudioNative.PaInputOverflowed)
            {
                throw new PortAudioException("Pa_ReadStream failed: " + PortAudioNative.ErrorText(error));
            }
        }
    }

    /// <summary>Stops the stream at once, dropping buffered audio.</summary>
    public void Abort()
    {
        if (_stream != IntPtr.Zero)
        {
            _ = PortAudioNative.AbortStream(_stream);
        }
    }

    /// <summary>Lets buffered output play out, then closes the stream.</summary>
    public void Dispose()
    {
        if (_stream == IntPtr.Zero)
        {
            return;
        }
        _ = PortAudioNative.StopStream(_stream);
        _ = PortAudioNative.CloseStream(_stream);
        _stream = IntPtr.Zero;
        _session.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>
/// Captures a real input device through Debian's libportaudio2 (<c>libportaudio.so.2</c>), chosen by a case-insensitive
/// substring of its name (default "Reachy Mini Audio", the robot's XMOS board). Reads float32 with the device's channels
/// (at most 2) at 16 kHz, or at the device's own rate and resampled when it refuses 16 kHz.
/// </summary>
public sealed class PortAudioSource : IAudioSource
{
    private const double BlockSeconds = 0.1;
    private readonly string _deviceName;

    /// <summary>A source for the first input device whose name contains <paramref name="deviceName"/>.</summary>
    public PortAudioSource(string deviceName = "Reachy Mini Audio")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceName);
        _deviceName = deviceName;
    }

    /// <inheritdoc />
    public string Description => $"PortAudio input \"{_deviceName}\"";

    /// <summary>Names of the input devices PortAudio sees now (empty without a sound card).</summary>
    public static IReadOnlyList<string> ListInputDevices()
    {
        Check(NativeMethods.Pa_Initialize(), "initialise PortAudio");
        try
        {
            return EnumerateInputs().Select(d => d.Name).ToArray();
        }
        finally
        {
            _ = NativeMethods.Pa_Terminate();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<float[]> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            Check(NativeMethods.Pa_Initialize(), "initialise PortAudio");
        }
        catch (DllNotFoundException ex)
        {
            throw new AudioSourceException("libportaudio.so.2 is not installed (apt-get install libportaudio2).", ex);
        }
        var stream = IntPtr.Zero;
        try
        {
            var inputs = EnumerateInputs();
            var device = inputs.FirstOrDefault(d => d.Name.Contains(_deviceName, StringComparison.OrdinalIgnoreCase));
            if (device.Name is null)
            {
                var seen = inputs.Count == 0 ? "none" : string.Join(", ", inputs.Select(d => $"\"{d.Name}\""));
                throw new AudioSourceException($"No input device named \"{_deviceName}\" (input devices: {seen}).");
            }
            var channels = Math.Clamp(device.Info.MaxInputChannels, 1, 2);
            var parameters = new PaStreamParameters
            {
                Device = device.Index,
                ChannelCount = channels,
                SampleFormat = new CULong(PaFloat32),
                SuggestedLatency = device.Info.DefaultHighInputLatency,
            };
            double rate = AudioMath.SpeechRate;
            if (NativeMethods.Pa_IsFormatSupported(ref parameters, IntPtr.Zero, rate) != 0)
            {
                rate = device.Info.DefaultSampleRate;
            }
            var frames = (int)(rate * BlockSeconds);
            Check(NativeMethods.Pa_OpenStream(out stream, ref parameters, IntPtr.Zero, rate, new CULong((uint)frames), new CULong(0), IntPtr.Zero, IntPtr.Zero),
                $"open \"{device.Name}\"");
            Check(NativeMethods.Pa_StartStream(stream), $"start \"{device.Name}\"");
            var buffer = new float[frames * channels];
            while (!cancellationToken.IsCancellationRequested)
            {
                var s = stream;
                // Blocking read of one 0.1 s block off the thread pool's async path.
                var error = await Task.Run(() => NativeMethods.Pa_ReadStream(s, buffer, new CULong((uint)frames)), cancellationToken);
                if (error != 0 && error != PaInputOverflowed)
                {
                    throw new AudioSourceException($"Lost \"{device.Name}\" while capturing: {ErrorText(error)}.");
                }
                var mono = AudioMath.DownmixInterleaved(buffer, channels);
                yield return (int)rate == AudioMath.SpeechRate ? mono : AudioMath.Resample(mono, (int)rate, AudioMath.SpeechRate);
            }
        }
        finally
        {
            if (stream != IntPtr.Zero)
            {
                _ = NativeMethods.Pa_StopStream(stream);
                _ = NativeMethods.Pa_CloseStream(stream);
            }
            _ = NativeMethods.Pa_Terminate();
        }
    }

    private static List<(int Index, string Name, PaDeviceInfo Info)> EnumerateInputs()
    {
        var list = new List<(int, string, PaDeviceInfo)>();
        var count = NativeMethods.Pa_GetDeviceCount();
        for (var i = 0; i < count; i++)
        {
            var ptr = NativeMethods.Pa_GetDeviceInfo(i);
            if (ptr == IntPtr.Zero)
            {
                continue;
            }
            var info = Marshal.PtrToStructure<PaDeviceInfo>(ptr);
            if (info.MaxInputChannels > 0)
            {
                list.Add((i, Marshal.PtrToStringUTF8(info.Name) ?? $"device {i}", info));
            }
        }
        return list;
    }

    private static void Check(int error, string what)
    {
        if (error < 0)
        {
            throw new AudioSourceException($"PortAudio could not {what}: {ErrorText(error)}.");
        }
    }

    private static string ErrorText(int error) => Marshal.PtrToStringUTF8(NativeMethods.Pa_GetErrorText(error)) ?? $"error {error}";

    private const uint PaFloat32 = 0x1;
    private const int PaInputOverflowed = -9981;

    [StructLayout(LayoutKind.Sequential)]
    private struct PaDeviceInfo
    {
        public int StructVersion;
        public IntPtr Name;
        public int HostApi;
        public int MaxInputChannels;
        public int MaxOutputChannels;
        public double DefaultLowInputLatency;
        public double DefaultLowOutputLatency;
        public double DefaultHighInputLatency;
        public double DefaultHighOutputLatency;
        public double DefaultSampleRate;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PaStreamParameters
    {
        public int Device;
        public int ChannelCount;
        public CULong SampleFormat;
        public double SuggestedLatency;
        public IntPtr HostApiSpecificStreamInfo;
    }

    // The C API of portaudio.h (v19); `unsigned long` is CULong.
    private static class NativeMethods
    {
        private const string Lib = "libportaudio.so.2";

        [DllImport(Lib)] public static extern int Pa_Initialize();
        [DllImport(Lib)] public static extern int Pa_Terminate();
        [DllImport(Lib)] public static extern int Pa_GetDeviceCount();
        [DllImport(Lib)] public static extern IntPtr Pa_GetDeviceInfo(int device);
        [DllImport(Lib)] public static extern IntPtr Pa_GetErrorText(int error);
        [DllImport(Lib)] public static extern int Pa_IsFormatSupported(ref PaStreamParameters input, IntPtr output, double sampleRate);
        [DllImport(Lib)]
        public static extern int Pa_OpenStream(out IntPtr stream, ref PaStreamParameters input, IntPtr output, double sampleRate,
            CULong framesPerBuffer, CULong flags, IntPtr callback, IntPtr userData);
        [DllImport(Lib)] public static extern int Pa_StartStream(IntPtr stream);
        [DllImport(Lib)] public static extern int Pa_StopStream(IntPtr stream);
        [DllImport(Lib)] public static extern int Pa_CloseStream(IntPtr stream);
        [DllImport(Lib)] public static extern int Pa_ReadStream(IntPtr stream, [Out] float[] buffer, CULong frames);
    }
}

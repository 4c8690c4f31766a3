using System.Runtime.InteropServices;

namespace RosaOS.Speech.PortAudio;

// A minimal binding to PortAudio (Debian's libportaudio2, Homebrew's portaudio, a portaudio.dll on Windows):
// device listing and blocking read/write streams. No NuGet audio library covers output and input devices by name
// on all three systems.
internal static partial class PortAudioNative
{
    // A logical name, mapped to each system's file by the resolver below.
    private const string Library = "portaudio";

    // Explicit (not beforefieldinit): runs before the first P/Invoke of this class.
    static PortAudioNative() => NativeLibrary.SetDllImportResolver(typeof(PortAudioNative).Assembly, Resolve);

    /// <summary>The file names (and, on macOS, the Homebrew paths) tried for PortAudio on this system, in order.</summary>
    internal static IReadOnlyList<string> Candidates()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["portaudio.dll", "libportaudio-2.dll", "portaudio_x64.dll"];
        }
        if (OperatingSystem.IsMacOS())
        {
            return ["libportaudio.2.dylib", "/opt/homebrew/lib/libportaudio.2.dylib", "/usr/local/lib/libportaudio.2.dylib", "libportaudio.dylib"];
        }
        return ["libportaudio.so.2", "libportaudio.so"];
    }

    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }
        foreach (var candidate in Candidates())
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }
        return IntPtr.Zero;
    }

    /// <summary>What to tell a user whose system has no PortAudio.</summary>
    internal static string MissingAdvice => $"PortAudio was not found (tried {string.Join(", ", Candidates())}); "
        + (OperatingSystem.IsMacOS() ? "brew install portaudio" : OperatingSystem.IsWindows() ? "put portaudio.dll on PATH" : "apt install libportaudio2") + ".";

    public const ulong PaFloat32 = 0x00000001;
    public const ulong PaInt16 = 0x00000008;
    public const int PaOutputUnderflowed = -9980;
    public const int PaInputOverflowed = -9981;

    [StructLayout(LayoutKind.Sequential)]
    public struct DeviceInfo
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
    public struct StreamParameters
    {
        public int Device;
        public int ChannelCount;
        public nuint SampleFormat;
        public double SuggestedLatency;
        public IntPtr HostApiSpecificStreamInfo;
    }

    [LibraryImport(Library, EntryPoint = "Pa_Initialize")]
    public static partial int Initialize();

    [LibraryImport(Library, EntryPoint = "Pa_Terminate")]
    public static partial int Terminate();

    [LibraryImport(Library, EntryPoint = "Pa_GetDeviceCount")]
    public static partial int GetDeviceCount();

    [LibraryImport(Library, EntryPoint = "Pa_GetDeviceInfo")]
    public static partial IntPtr GetDeviceInfo(int device);

    [LibraryImport(Library, EntryPoint = "Pa_GetErrorText")]
    public static partial IntPtr GetErrorText(int error);

    [LibraryImport(Library, EntryPoint = "Pa_OpenStream")]
    public static unsafe partial int OpenStream(out IntPtr stream, StreamParameters* input, StreamParameters* output,
        double sampleRate, nuint framesPerBuffer, nuint flags, IntPtr callback, IntPtr userData);

    [LibraryImport(Library, EntryPoint = "Pa_StartStream")]
    public static partial int StartStream(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "Pa_StopStream")]
    public static partial int StopStream(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "Pa_AbortStream")]
    public static partial int AbortStream(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "Pa_CloseStream")]
    public static partial int CloseStream(IntPtr stream);

    [LibraryImport(Library, EntryPoint = "Pa_WriteStream")]
    public static unsafe partial int WriteStream(IntPtr stream, float* buffer, nuint frames);

    [LibraryImport(Library, EntryPoint = "Pa_ReadStream")]
    public static unsafe partial int ReadStream(IntPtr stream, float* buffer, nuint frames);

    public static string ErrorText(int error) => Marshal.PtrToStringUTF8(GetErrorText(error)) ?? $"PortAudio error {error}";
}

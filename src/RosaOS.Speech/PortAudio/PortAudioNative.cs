using System.Runtime.InteropServices;

namespace RosaOS.Speech.PortAudio;

// A minimal binding to Debian's libportaudio.so.2 (package libportaudio2): device listing and blocking
// read/write streams. No NuGet audio library covers Linux output and input devices by name.
internal static partial class PortAudioNative
{
    private const string Library = "libportaudio.so.2";

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

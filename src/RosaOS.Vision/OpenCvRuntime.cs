using System.Runtime.InteropServices;
using OpenCvSharp;

namespace RosaOS.Vision;

/// <summary>
/// Whether OpenCV's native half (OpenCvSharpExtern) loads on this machine. NuGet serves it for linux-x64 only;
/// on macOS, Windows and linux-arm64 the library must come from the user (see docs/platforms.md), and without it
/// the camera, the simulated room and face detection say so instead of failing with a loader error.
/// </summary>
public static class OpenCvRuntime
{
    private static readonly Lazy<string?> s_problem = new(Probe);

    /// <summary>Null when OpenCV works; otherwise why not and what to do.</summary>
    public static string? Problem => s_problem.Value;

    /// <summary>Throws <see cref="OpenCvUnavailableException"/> when OpenCV's native library cannot be used.</summary>
    public static void EnsureAvailable()
    {
        if (Problem is { } problem)
        {
            throw new OpenCvUnavailableException(problem);
        }
    }

    private static string? Probe()
    {
        try
        {
            _ = Cv2.GetVersionString();
            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return $"OpenCV's native library (OpenCvSharpExtern) is not available for {RuntimeInformation.RuntimeIdentifier}: "
                + "camera, simulated room and face features are off. On linux-x64 it comes with rosaOS; elsewhere see docs/platforms.md.";
        }
    }
}

/// <summary>OpenCV's native library is missing on this machine.</summary>
public sealed class OpenCvUnavailableException(string message) : IOException(message);

using System.Globalization;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace RosaOS.Vision.Camera;

/// <summary>How to open the real robot's camera directly.</summary>
public sealed record OpenCvCameraOptions
{
    /// <summary>
    /// A V4L2 device index ("0"), a device path ("/dev/video0"), or any source OpenCV's VideoCapture opens (a video
    /// file, a GStreamer or RTSP URL). Set with ROSAOS_CAMERA_DEVICE.
    /// </summary>
    public string Device { get; init; } = "0";

    /// <summary>Requested frame width (the Lite camera's default mode is 1920×1080; 1280×720 keeps frames small).</summary>
    public int Width { get; init; } = 1280;

    /// <summary>Requested frame height.</summary>
    public int Height { get; init; } = 720;

    /// <summary>JPEG quality of captured frames.</summary>
    public int JpegQuality { get; init; } = 90;
}

/// <summary>
/// The real robot's camera read directly with OpenCV. Since daemon 1.5 the daemon owns the camera, so
/// <paramref name="beforeOpen"/> asks it to let go first (<c>POST /api/media/release</c>); the device is opened on the
/// first capture and kept open. Frames are encoded as JPEG.
/// </summary>
public sealed partial class OpenCvCameraSource(OpenCvCameraOptions options, Func<CancellationToken, Task>? beforeOpen, ILogger<OpenCvCameraSource> logger)
    : ICameraSource, IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private VideoCapture? _capture;

    /// <inheritdoc />
    public async Task<byte[]> CaptureJpegAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var capture = _capture ?? await OpenAsync(cancellationToken);
            using var frame = new Mat();
            // VideoCapture.Read blocks on the device; run it off the request thread.
            var ok = await Task.Run(() => capture.Read(frame), cancellationToken);
            if (!ok || frame.Empty())
            {
                // A camera that stops delivering (unplugged, taken back by the daemon) is reopened on the next call.
                capture.Dispose();
                _capture = null;
                throw new CameraUnavailableException($"The camera {options.Device} delivered no frame; it may be unplugged or in use by the daemon.");
            }
            Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, options.JpegQuality));
            return jpeg;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _capture?.Dispose();
        _capture = null;
        _gate.Dispose();
    }

    private async Task<VideoCapture> OpenAsync(CancellationToken cancellationToken)
    {
        if (beforeOpen is not null)
        {
            await beforeOpen(cancellationToken);
        }
        if (OpenCvRuntime.Problem is { } problem)
        {
            throw new CameraUnavailableException(problem);
        }
        // Each system's native capture API: V4L2 on Linux, AVFoundation on macOS, Media Foundation on Windows.
        var api = OperatingSystem.IsMacOS() ? VideoCaptureAPIs.AVFOUNDATION : OperatingSystem.IsWindows() ? VideoCaptureAPIs.MSMF : VideoCaptureAPIs.V4L2;
        var capture = int.TryParse(options.Device, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            ? new VideoCapture(index, api)
            : new VideoCapture(options.Device);
        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new CameraUnavailableException($"The camera {options.Device} could not be opened. Check that it is plugged in and that " +
                "ROSAOS_CAMERA_DEVICE names it (an index such as 0, or a path such as /dev/video0).");
        }
        capture.Set(VideoCaptureProperties.FrameWidth, options.Width);
        capture.Set(VideoCaptureProperties.FrameHeight, options.Height);
        LogOpened(options.Device, capture.FrameWidth, capture.FrameHeight);
        _capture = capture;
        return capture;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Camera {Device} opened at {Width}x{Height}.")]
    private partial void LogOpened(string device, int width, int height);
}

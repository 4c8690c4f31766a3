using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using RosaOS.Testing;
using RosaOS.Vision.Camera;

namespace RosaOS.Vision.Tests;

public sealed class CameraSourceTests(VisionFixture vision) : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("camera");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task OpenCvSource_ReadsFramesFromTheDevice_AfterAskingTheDaemonToReleaseIt()
    {
        // A recording of the room (face in view, then away) stands in for the USB device: VideoCapture opens both alike.
        var video = Path.Combine(_dir, "camera.avi");
        using (var writer = new VideoWriter(video, FourCC.MJPG, 10, new Size(1280, 720)))
        {
            Assert.True(writer.IsOpened());
            foreach (var orientation in new[] { vision.AtFace, VisionFixture.Degrees(-90, 0) })
            {
                using var frame = vision.Room.Render(orientation);
                writer.Write(frame);
            }
        }
        var released = 0;
        using var camera = new OpenCvCameraSource(new OpenCvCameraOptions { Device = video }, _ =>
        {
            released++;
            return Task.CompletedTask;
        }, NullLogger<OpenCvCameraSource>.Instance);

        using var first = VisionFixture.Decode(await camera.CaptureJpegAsync(Ct));
        using var second = VisionFixture.Decode(await camera.CaptureJpegAsync(Ct));

        Assert.Equal(1, released);
        Assert.Equal((1280, 720), (first.Width, first.Height));
        Assert.Single(vision.Detector.DetectFaces(first));
        Assert.Empty(vision.Detector.DetectFaces(second));
        // The recording is over: like an unplugged camera, it says so.
        var ex = await Assert.ThrowsAsync<CameraUnavailableException>(() => camera.CaptureJpegAsync(Ct));
        Assert.Contains("delivered no frame", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenCvSource_MissingDevice_SaysHowToConfigureIt()
    {
        using var camera = new OpenCvCameraSource(new OpenCvCameraOptions { Device = "/dev/video-none" }, null, NullLogger<OpenCvCameraSource>.Instance);

        var ex = await Assert.ThrowsAsync<CameraUnavailableException>(() => camera.CaptureJpegAsync(Ct));

        Assert.Contains("ROSAOS_CAMERA_DEVICE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSource_ReturnsTheServedFrame_AndExplainsFailures()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapGet("/frame.jpg", () => Results.Bytes(vision.Room.RenderJpeg(vision.AtFace), "image/jpeg"));
        app.MapGet("/text", () => Results.Text("hello"));
        app.MapGet("/broken", () => Results.StatusCode(503));
        await app.StartAsync(Ct);
        var port = LoopbackPort.Of(app);
        using var http = new HttpClient();

        using var frame = VisionFixture.Decode(await new HttpFrameCameraSource(http, new Uri($"http://127.0.0.1:{port}/frame.jpg")).CaptureJpegAsync(Ct));
        var notJpeg = await Assert.ThrowsAsync<CameraUnavailableException>(() => new HttpFrameCameraSource(http, new Uri($"http://127.0.0.1:{port}/text")).CaptureJpegAsync(Ct));
        var failing = await Assert.ThrowsAsync<CameraUnavailableException>(() => new HttpFrameCameraSource(http, new Uri($"http://127.0.0.1:{port}/broken")).CaptureJpegAsync(Ct));
        var down = await Assert.ThrowsAsync<CameraUnavailableException>(() => new HttpFrameCameraSource(http, new Uri($"http://127.0.0.1:{FreePort.Next()}/frame.jpg")).CaptureJpegAsync(Ct));

        Assert.Single(vision.Detector.DetectFaces(frame));
        Assert.Contains("not a JPEG", notJpeg.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 503", failing.Message, StringComparison.Ordinal);
        Assert.Contains("not reachable", down.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

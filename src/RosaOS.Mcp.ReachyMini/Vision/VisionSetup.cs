using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.ReachyMini.Client;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Vision;
using RosaOS.Vision.Camera;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Images;
using RosaOS.Vision.Model;

namespace RosaOS.Mcp.ReachyMini.Vision;

/// <summary>
/// Registers the vision services of <c>rosa reachy</c>: the images folder (<c>ROSAOS_DATA_DIR/images</c>, URLs only with
/// ROSAOS_VISION_ALLOW_URLS=true), the people registry, the vision model (ROSAOS_VISION_* or GROQ_API_KEY), the camera
/// (the simulator's frames when the daemon is <c>rosa sim</c>, else the USB camera ROSAOS_CAMERA_DEVICE after the daemon
/// released it) and the head actuator used by face centring.
/// </summary>
public static class VisionSetup
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of image downloads (public addresses only, no retry: a user's URL either works or is reported).</summary>
    public const string ImagesHttpClient = "vision-images";

    /// <summary>Adds the services <see cref="Tools.VisionTools"/> uses.</summary>
    public static IServiceCollection AddReachyVision(this IServiceCollection services)
    {
        // Downloads reach public addresses only (checked after DNS, on every redirect) unless ROSAOS_VISION_URL_ALLOW names them.
        services.AddHttpClient(ImagesHttpClient)
            .ConfigurePrimaryHttpMessageHandler(() => PublicAddressHandler.Create(PublicAddressHandler.AllowListFromEnvironment()));
        services.AddSingleton(sp => new ImageStore(new ImageStoreOptions
        {
            ImagesDirectory = Path.Combine(RosaEnvironment.DataDirectory, "images"),
            AllowUrls = string.Equals(RosaEnvironment.Get("ROSAOS_VISION_ALLOW_URLS"), "true", StringComparison.OrdinalIgnoreCase),
        }, sp.GetRequiredService<IHttpClientFactory>().CreateClient(ImagesHttpClient)));
        services.AddSingleton(_ => new FaceDetector(RosaEnvironment.Get("ROSAOS_HAAR_DIR")));
        services.AddSingleton(sp => new PeopleRegistry(sp.GetRequiredService<ImageStore>().PeopleDirectory, sp.GetRequiredService<FaceDetector>()));
        services.AddSingleton(sp => new VisionModelClient(VisionModelOptions.FromEnvironment(RosaEnvironment.Get), sp.GetRequiredService<ILogger<VisionModelClient>>()));
        services.AddSingleton<ICameraSource>(sp => new ReachyCamera(sp.GetRequiredService<RobotTarget>(), sp.GetRequiredService<IReachyDaemon>(),
            sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<IHeadActuator>(sp => new DaemonHeadActuator(sp.GetRequiredService<MotionController>()));
        services.AddSingleton(sp => new VisionService(sp.GetRequiredService<ICameraSource>(), sp.GetRequiredService<ImageStore>(),
            sp.GetRequiredService<PeopleRegistry>(), sp.GetRequiredService<FaceDetector>(), sp.GetRequiredService<VisionModelClient>()));
        return services;
    }

    /// <summary>The read-only head camera endpoint: the browser UI shows it through the kernel (docs/ui.md).</summary>
    public const string CameraFramePath = "/camera/frame.jpg";

    /// <summary>
    /// Maps <c>GET /camera/frame.jpg</c>: the head camera's latest frame as JPEG, from whichever source <see cref="ICameraSource"/> chose
    /// (the simulator's rendered frames or the real robot's camera), or 503 with the reason. Reading moves nothing, so it needs no lease.
    /// </summary>
    public static IEndpointRouteBuilder MapCameraFrame(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet(CameraFramePath, async (HttpContext context, ICameraSource camera) =>
        {
            try
            {
                var jpeg = await camera.CaptureJpegAsync(context.RequestAborted);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Bytes(jpeg, "image/jpeg");
            }
            catch (CameraUnavailableException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: 503);
            }
        });
        return endpoints;
    }
}

/// <summary>
/// The head camera, chosen on first use from <see cref="RobotTarget"/>'s decision (the daemon may start after this server):
/// <c>rosa sim</c>'s rendered frames, or the real robot's camera opened with OpenCV once the daemon has released it
/// (<c>POST /api/media/release</c>).
/// </summary>
public sealed partial class ReachyCamera(RobotTarget target, IReachyDaemon daemon, IHttpClientFactory httpClients, ILoggerFactory loggers)
    : ICameraSource, IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly ILogger _logger = loggers.CreateLogger<ReachyCamera>();
    private ICameraSource? _source;

    /// <inheritdoc />
    public async Task<byte[]> CaptureJpegAsync(CancellationToken cancellationToken)
        => await (_source ?? await ChooseAsync(cancellationToken)).CaptureJpegAsync(cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        (_source as IDisposable)?.Dispose();
        _lock.Dispose();
    }

    private async Task<ICameraSource> ChooseAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_source is not null)
            {
                return _source;
            }
            bool simulator;
            try
            {
                simulator = await target.GetAsync(cancellationToken) == RobotKind.Simulator;
            }
            catch (ReachyDaemonException ex)
            {
                throw new CameraUnavailableException($"The robot is not reachable, so its camera is not either ({ex.Reason}).", ex);
            }
            if (simulator)
            {
                var http = httpClients.CreateClient(DaemonHttp.ClientName);
                http.Timeout = TimeSpan.FromSeconds(10);
                _source = new HttpFrameCameraSource(http, new Uri(daemon.BaseAddress, "/sim/camera/frame.jpg"));
            }
            else
            {
                var device = new OpenCvCameraOptions { Device = RosaOS.Hosting.RosaEnvironment.Get("ROSAOS_CAMERA_DEVICE") ?? "0" };
                _source = new OpenCvCameraSource(device, ReleaseMediaAsync, loggers.CreateLogger<OpenCvCameraSource>());
            }
            LogChosen(simulator ? "the simulator's head camera" : "the robot's camera (OpenCV)");
            return _source;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task ReleaseMediaAsync(CancellationToken cancellationToken)
    {
        // The daemon (≥ 1.5) owns the camera; it must let go before another process can open the device.
        try
        {
            await daemon.ReleaseMediaAsync(cancellationToken);
        }
        catch (ReachyDaemonException ex)
        {
            throw new CameraUnavailableException($"The daemon did not release the camera ({ex.Call}: {ex.Reason}).", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pictures come from {Camera}.")]
    private partial void LogChosen(string camera);
}

/// <summary>Turns the head for face centring through the daemon, one short goto at a time, waiting for each to end.</summary>
public sealed class DaemonHeadActuator(MotionController motion) : IHeadActuator
{
    private static readonly TimeSpan s_moveTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<(double Yaw, double Pitch)> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var pose = await motion.Daemon.GetPresentHeadPoseAsync(cancellationToken);
        if (pose.M is { } m)
        {
            var o = RosaOS.Vision.Room.CameraOrientation.FromMatrix(m);
            return (o.Yaw, o.Pitch);
        }
        return (pose.Yaw, pose.Pitch);
    }

    /// <inheritdoc />
    public async Task LookAsync(double yaw, double pitch, CancellationToken cancellationToken)
    {
        var request = new GotoRequest { HeadPose = AnyPose.FromXyzRpy(0, 0, 0, 0, pitch, yaw), Duration = 0.1 };
        var uuid = await motion.StartGotoAsync(request, "face centring nudge", cancellationToken);
        await motion.Daemon.WaitForMoveEndAsync(uuid, s_moveTimeout, cancellationToken);
    }
}

using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.Simulator.Robot;
using RosaOS.Vision.Room;

namespace RosaOS.Simulator.Camera;

/// <summary>
/// The simulated head camera: renders the virtual room (RosaOS.Vision) from the robot's present head pose, with the
/// daemon's <c>generic</c> camera specs (1280×720, fx = fy = 640) that <c>GET /api/camera/specs</c> reports. The room is
/// built on the first frame, from scikit-image's pictures that scripts/install.sh puts in .tools/skimage.
/// </summary>
public sealed partial class SimCamera(RobotCore robot, ILogger<SimCamera> logger) : IDisposable
{
    private readonly Lock _lock = new();
    private VirtualRoom? _room;
    private string? _failure;

    /// <summary>Where the room's pictures are read from.</summary>
    public static string PicturesDirectory => Path.Combine(RosaEnvironment.ToolsDirectory, "skimage");

    /// <summary>The view of the present head pose as JPEG, with the orientation it was rendered for; null with a reason when the room cannot be built.</summary>
    public (byte[]? Jpeg, CameraOrientation Orientation, string? Failure) Capture(int quality)
    {
        var room = Room();
        var orientation = CameraOrientation.FromMatrix(robot.Snapshot.HeadPose);
        return room is null ? (null, orientation, _failure) : (room.RenderJpeg(orientation, quality), orientation, null);
    }

    /// <inheritdoc />
    public void Dispose() => _room?.Dispose();

    private VirtualRoom? Room()
    {
        lock (_lock)
        {
            if (_room is null && _failure is null)
            {
                try
                {
                    _room = VirtualRoom.Create(PicturesDirectory);
                    LogRoomBuilt(PicturesDirectory, _room.PanoramaWidth);
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException)
                {
                    _failure = ex.Message;
                    LogRoomFailed(ex.Message);
                }
            }
            return _room;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated camera ready: virtual room from {Pictures}, panorama {Width} px wide.")]
    private partial void LogRoomBuilt(string pictures, int width);

    [LoggerMessage(Level = LogLevel.Error, Message = "Simulated camera unavailable: {Reason}")]
    private partial void LogRoomFailed(string reason);
}

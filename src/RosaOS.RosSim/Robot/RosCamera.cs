using Microsoft.Extensions.Logging;
using OpenCvSharp;
using RosaOS.Vision.Room;

namespace RosaOS.RosSim.Robot;

/// <summary>
/// The OAK-D preview camera (250×250, about 69° horizontal field of view) rendered from the robot's pose with the simulated
/// room of RosaOS.Vision: the view turns to the wall point the robot faces (as seen from the room's centre, where the room's
/// panorama is taken) and zooms by how much nearer that wall point is than from the centre. JPEG encoding by OpenCV.
/// </summary>
public sealed partial class RosCamera(string picturesDirectory, ILogger logger) : IDisposable
{
    /// <summary>Image side in pixels (the TurtleBot 4's preview stream).</summary>
    public const int Size = 250;

    private const double BaseSide = 480;
    private static readonly double s_baseFocal = BaseSide / 2 / Math.Tan(60 * Math.PI / 180);
    private static readonly double s_oakFocal = Size / 2.0 / Math.Tan(34.5 * Math.PI / 180);
    private readonly Lock _lock = new();
    private VirtualRoom? _room;
    private string? _failure;

    /// <summary>Why the camera cannot render (the pictures are missing), or null.</summary>
    public string? Failure => _failure;

    /// <summary>The view from (x, y) facing <paramref name="yaw"/> as JPEG, or null when the room cannot be built.</summary>
    public byte[]? Render(World world, double x, double y, double yaw)
    {
        ArgumentNullException.ThrowIfNull(world);
        var room = Room();
        if (room is null)
        {
            return null;
        }
        var (qx, qy) = world.WallPoint(x, y, yaw);
        var fromCentre = Math.Max(0.3, Math.Sqrt((qx * qx) + (qy * qy)));
        var fromRobot = Math.Max(0.3, Math.Sqrt(((qx - x) * (qx - x)) + ((qy - y) * (qy - y))));
        var zoom = fromCentre / fromRobot;
        using var wide = room.Render(new CameraOrientation(Math.Atan2(qy, qx), 0.05, 0));
        var half = Math.Clamp(s_baseFocal * (Size / 2.0) / (s_oakFocal * zoom), 8, (BaseSide / 2) - 1);
        var rect = new Rect((int)Math.Round((BaseSide / 2) - half), (int)Math.Round((BaseSide / 2) - half), (int)Math.Round(2 * half), (int)Math.Round(2 * half));
        using var crop = new Mat(wide, rect);
        using var frame = new Mat();
        Cv2.Resize(crop, frame, new OpenCvSharp.Size(Size, Size), interpolation: InterpolationFlags.Area);
        Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 85));
        return jpeg;
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
                    _room = VirtualRoom.Create(picturesDirectory, camera: new CameraModel((int)BaseSide, (int)BaseSide, s_baseFocal, s_baseFocal, BaseSide / 2, BaseSide / 2));
                }
                catch (Exception ex) when (ex is IOException or InvalidDataException)
                {
                    _failure = ex.Message;
                    LogNoCamera(ex.Message);
                }
            }
            return _room;
        }
    }

    [LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error, Message = "Simulated OAK-D camera unavailable: {Reason}")]
    private partial void LogNoCamera(string reason);
}

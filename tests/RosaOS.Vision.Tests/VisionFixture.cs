using OpenCvSharp;
using RosaOS.Testing;
using RosaOS.Vision.Camera;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Room;

[assembly: AssemblyFixture(typeof(RosaOS.Vision.Tests.VisionFixture))]

namespace RosaOS.Vision.Tests;

/// <summary>One virtual room and one face detector for the whole test assembly (both are thread-safe).</summary>
public sealed class VisionFixture : IDisposable
{
    public VisionFixture()
    {
        Room = VirtualRoom.Create(PicturesDirectory);
        Detector = new FaceDetector();
        FaceDirection = LocateFace();
    }

    public static string PicturesDirectory => Path.Combine(TestPaths.ToolsDir, "skimage");

    public VirtualRoom Room { get; }

    public FaceDetector Detector { get; }

    /// <summary>Azimuth and elevation (radians) of the astronaut's face in the room, from the layout and a detection on the source photograph.</summary>
    public (double Azimuth, double Elevation) FaceDirection { get; }

    /// <summary>Looking straight at the face.</summary>
    public CameraOrientation AtFace => new(FaceDirection.Azimuth, -FaceDirection.Elevation, 0);

    public static CameraOrientation Degrees(double yaw, double pitch, double roll = 0)
        => new(yaw * Math.PI / 180, pitch * Math.PI / 180, roll * Math.PI / 180);

    public static Mat Decode(byte[] jpeg) => Cv2.ImDecode(jpeg, ImreadModes.Color);

    /// <summary>Renders a view to a JPEG file in <paramref name="directory"/> and returns its path.</summary>
    public string Snapshot(CameraOrientation orientation, string directory, string name)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllBytes(path, Room.RenderJpeg(orientation));
        return path;
    }

    public void Dispose()
    {
        Room.Dispose();
        Detector.Dispose();
    }

    private (double, double) LocateFace()
    {
        var person = RoomLayout.Person;
        using var photo = Cv2.ImRead(Path.Combine(PicturesDirectory, person.File));
        var face = Detector.DetectFaces(photo).Single();
        var degreesPerPixel = person.WidthDeg / photo.Width;
        var azimuth = person.AzimuthDeg + (((photo.Width / 2.0) - (face.X + (face.Width / 2.0))) * degreesPerPixel);
        var elevation = person.ElevationDeg + (((photo.Height / 2.0) - (face.Y + (face.Height / 2.0))) * degreesPerPixel);
        return (azimuth * Math.PI / 180, elevation * Math.PI / 180);
    }
}

/// <summary>
/// A simulated head inside the test: a camera that renders the virtual room where the head points, and an actuator
/// that moves it instantly, as the mockup-sim daemon does. Counts the frames and moves it was asked for.
/// </summary>
public sealed class RoomHead(VirtualRoom room, CameraOrientation start) : ICameraSource, IHeadActuator
{
    private CameraOrientation _orientation = start;

    public CameraOrientation Orientation => _orientation;

    public int Frames { get; private set; }

    public int Moves { get; private set; }

    public Task<byte[]> CaptureJpegAsync(CancellationToken cancellationToken)
    {
        Frames++;
        return Task.FromResult(room.RenderJpeg(_orientation));
    }

    public Task<(double Yaw, double Pitch)> ReadHeadAsync(CancellationToken cancellationToken)
        => Task.FromResult((_orientation.Yaw, _orientation.Pitch));

    public Task LookAsync(double yaw, double pitch, CancellationToken cancellationToken)
    {
        Moves++;
        _orientation = _orientation with { Yaw = yaw, Pitch = pitch };
        return Task.CompletedTask;
    }

    public void PointAt(CameraOrientation orientation) => _orientation = orientation;
}

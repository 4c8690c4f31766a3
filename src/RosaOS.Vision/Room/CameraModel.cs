namespace RosaOS.Vision.Room;

/// <summary>
/// A pinhole camera: image size and intrinsics in pixels. The simulated robot uses the daemon's
/// <c>generic</c> specs (the mockup-sim's webcam): 1280×720, fx = fy = 640, centre (640, 360), no distortion,
/// which is a 90° horizontal and 58.7° vertical field of view.
/// </summary>
public sealed record CameraModel(int Width, int Height, double Fx, double Fy, double Cx, double Cy)
{
    /// <summary>The daemon's <c>generic</c> camera specs (what <c>--mockup-sim</c> reports).</summary>
    public static CameraModel Generic { get; } = new(1280, 720, 640, 640, 640, 360);

    /// <summary>Horizontal field of view in radians.</summary>
    public double HorizontalFov => 2 * Math.Atan(Width / (2 * Fx));

    /// <summary>Vertical field of view in radians.</summary>
    public double VerticalFov => 2 * Math.Atan(Height / (2 * Fy));

    /// <summary>Throws when the model cannot form an image.</summary>
    public void Validate()
    {
        if (Width is < 16 or > 4096 || Height is < 16 or > 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(Width), $"Camera size {Width}x{Height} is outside 16..4096 pixels.");
        }
        if (!(Fx > 0) || !(Fy > 0) || !double.IsFinite(Fx) || !double.IsFinite(Fy) || !double.IsFinite(Cx) || !double.IsFinite(Cy))
        {
            throw new ArgumentOutOfRangeException(nameof(Fx), "Camera focal lengths must be positive and finite.");
        }
    }
}

/// <summary>
/// Where the head camera looks, in the robot's base frame (x forward, y left, z up), radians, the daemon's
/// conventions: R = Rz(yaw)·Ry(pitch)·Rx(roll); +yaw looks left, +pitch looks down, +roll tilts toward the robot's right.
/// </summary>
/// <remarks>
/// The daemon's head pose is already in the base frame (body yaw turns the body under the head, which holds
/// its world direction), so body yaw does not enter the view. The head's few centimetres of translation are
/// ignored: the room's pictures are far enough away for parallax not to matter.
/// </remarks>
public readonly record struct CameraOrientation(double Yaw, double Pitch, double Roll)
{
    /// <summary>Looking straight ahead.</summary>
    public static CameraOrientation Forward => default;

    /// <summary>The orientation of a row-major 4×4 head pose matrix (the daemon's <c>Matrix4x4Pose</c>).</summary>
    public static CameraOrientation FromMatrix(IReadOnlyList<double> rowMajor)
    {
        ArgumentNullException.ThrowIfNull(rowMajor);
        if (rowMajor.Count < 12)
        {
            throw new ArgumentException("A pose matrix has 16 values.", nameof(rowMajor));
        }
        // scipy's extrinsic "xyz" decomposition, non-degenerate branch.
        var r20 = Math.Clamp(rowMajor[8], -1, 1);
        return new CameraOrientation(
            Yaw: Math.Atan2(rowMajor[4], rowMajor[0]),
            Pitch: Math.Asin(-r20),
            Roll: Math.Atan2(rowMajor[9], rowMajor[10]));
    }

    /// <summary>True when every angle is a finite number.</summary>
    public bool IsFinite => double.IsFinite(Yaw) && double.IsFinite(Pitch) && double.IsFinite(Roll);
}

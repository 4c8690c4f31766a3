using OpenCvSharp;

namespace RosaOS.Vision.Room;

/// <summary>
/// The simulated head camera's world: an equirectangular panorama of a room around the robot with pictures on
/// its walls, seen through a pinhole camera that follows the head's orientation. Rendering is one remap of the
/// panorama (a ray per pixel, rotated by the head) and a JPEG encode; the last frame is reused while the head is still.
/// </summary>
/// <remarks>Thread-safe: renders are serialised (they share the ray maps), readers of the cached frame are not blocked long.</remarks>
public sealed class VirtualRoom : IDisposable
{
    private readonly Mat _panorama;
    private readonly CameraModel _camera;
    private readonly float[] _mapX;
    private readonly float[] _mapY;
    private readonly Mat _mapXMat;
    private readonly Mat _mapYMat;
    private readonly Mat _frame;
    private readonly Lock _lock = new();
    private CameraOrientation? _cachedOrientation;
    private int _cachedQuality;
    private byte[]? _cachedJpeg;

    private VirtualRoom(Mat panorama, CameraModel camera, RoomLayout layout)
    {
        _panorama = panorama;
        _camera = camera;
        Layout = layout;
        _mapX = new float[camera.Width * camera.Height];
        _mapY = new float[camera.Width * camera.Height];
        // The Mats wrap (and pin) the managed arrays: the maps are filled in place, in parallel, then remapped.
        _mapXMat = Mat.FromPixelData(camera.Height, camera.Width, MatType.CV_32FC1, _mapX);
        _mapYMat = Mat.FromPixelData(camera.Height, camera.Width, MatType.CV_32FC1, _mapY);
        _frame = new Mat(camera.Height, camera.Width, MatType.CV_8UC3);
    }

    /// <summary>The camera the room is seen through.</summary>
    public CameraModel Camera => _camera;

    /// <summary>What hangs where.</summary>
    public RoomLayout Layout { get; }

    /// <summary>Panorama width in pixels (360° of azimuth).</summary>
    public int PanoramaWidth => _panorama.Width;

    /// <summary>
    /// Builds the room: paints walls, floor and ceiling, and hangs each picture of <paramref name="layout"/> read from
    /// <paramref name="picturesDirectory"/>. The panorama's resolution matches the camera's centre resolution.
    /// </summary>
    /// <exception cref="FileNotFoundException">A picture is missing (run scripts/install.sh, which fetches them).</exception>
    public static VirtualRoom Create(string picturesDirectory, RoomLayout? layout = null, CameraModel? camera = null)
    {
        OpenCvRuntime.EnsureAvailable();
        layout ??= RoomLayout.Default;
        camera ??= CameraModel.Generic;
        layout.Validate();
        camera.Validate();
        // One panorama pixel per camera pixel at the image centre: pictures keep their detail when looked at.
        var width = (int)Math.Round(2 * Math.PI * Math.Max(camera.Fx, camera.Fy) / 2) * 2;
        var height = width / 2;
        var panorama = new Mat(height, width, MatType.CV_8UC3);
        try
        {
            PaintRoom(panorama);
            foreach (var picture in layout.Pictures)
            {
                HangPicture(panorama, picturesDirectory, picture);
            }
            return new VirtualRoom(panorama, camera, layout);
        }
        catch
        {
            panorama.Dispose();
            throw;
        }
    }

    /// <summary>Renders the view for <paramref name="orientation"/> as a JPEG (reuses the last frame when the head has not moved).</summary>
    public byte[] RenderJpeg(CameraOrientation orientation, int quality = 85)
    {
        if (!orientation.IsFinite)
        {
            throw new ArgumentOutOfRangeException(nameof(orientation), "Head orientation angles must be finite numbers.");
        }
        quality = Math.Clamp(quality, 10, 100);
        lock (_lock)
        {
            if (_cachedJpeg is not null && _cachedOrientation == orientation && _cachedQuality == quality)
            {
                return _cachedJpeg;
            }
            RenderInto(orientation);
            Cv2.ImEncode(".jpg", _frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
            _cachedOrientation = orientation;
            _cachedQuality = quality;
            _cachedJpeg = jpeg;
            return jpeg;
        }
    }

    /// <summary>Renders the view for <paramref name="orientation"/> as a new BGR image that the caller owns.</summary>
    public Mat Render(CameraOrientation orientation)
    {
        if (!orientation.IsFinite)
        {
            throw new ArgumentOutOfRangeException(nameof(orientation), "Head orientation angles must be finite numbers.");
        }
        lock (_lock)
        {
            RenderInto(orientation);
            return _frame.Clone();
        }
    }

    /// <summary>Where a direction (azimuth/elevation in radians, base frame) lands in the image seen with <paramref name="orientation"/>, or null when behind the camera.</summary>
    public Point2d? Project(CameraOrientation orientation, double azimuth, double elevation)
    {
        var world = (X: Math.Cos(elevation) * Math.Cos(azimuth), Y: Math.Cos(elevation) * Math.Sin(azimuth), Z: Math.Sin(elevation));
        var r = RotationMatrix(orientation);
        // Camera axes are R's columns; the inverse rotation is R transposed.
        var cx = (r[0] * world.X) + (r[3] * world.Y) + (r[6] * world.Z);
        var cy = (r[1] * world.X) + (r[4] * world.Y) + (r[7] * world.Z);
        var cz = (r[2] * world.X) + (r[5] * world.Y) + (r[8] * world.Z);
        if (cx <= 1e-6)
        {
            return null;
        }
        return new Point2d(_camera.Cx - (_camera.Fx * cy / cx), _camera.Cy - (_camera.Fy * cz / cx));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _frame.Dispose();
        _mapXMat.Dispose();
        _mapYMat.Dispose();
        _panorama.Dispose();
    }

    private void RenderInto(CameraOrientation orientation)
    {
        var r = RotationMatrix(orientation);
        var (w, h) = (_camera.Width, _camera.Height);
        var (fx, fy, cx, cy) = ((float)_camera.Fx, (float)_camera.Fy, (float)_camera.Cx, (float)_camera.Cy);
        var panoW = (float)_panorama.Width;
        var panoH = (float)_panorama.Height;
        var r00 = (float)r[0]; var r01 = (float)r[1]; var r02 = (float)r[2];
        var r10 = (float)r[3]; var r11 = (float)r[4]; var r12 = (float)r[5];
        var r20 = (float)r[6]; var r21 = (float)r[7]; var r22 = (float)r[8];
        var mapX = _mapX;
        var mapY = _mapY;
        Parallel.For(0, h, v =>
        {
            // Camera ray for pixel (u, v): forward x, image right = -y, image down = -z.
            var dz = -(v + 0.5f - cy) / fy;
            var row = v * w;
            for (var u = 0; u < w; u++)
            {
                var dy = -(u + 0.5f - cx) / fx;
                var wx = r00 + (r01 * dy) + (r02 * dz);
                var wy = r10 + (r11 * dy) + (r12 * dz);
                var wz = r20 + (r21 * dy) + (r22 * dz);
                var azimuth = MathF.Atan2(wy, wx);
                var elevation = MathF.Atan2(wz, MathF.Sqrt((wx * wx) + (wy * wy)));
                mapX[row + u] = ((0.5f - (azimuth / (2 * MathF.PI))) * panoW) - 0.5f;
                mapY[row + u] = ((0.5f - (elevation / MathF.PI)) * panoH) - 0.5f;
            }
        });
        // Wrap joins the panorama's ±180° seam; elevation never leaves the panorama.
        Cv2.Remap(_panorama, _frame, _mapXMat, _mapYMat, InterpolationFlags.Linear, BorderTypes.Wrap);
    }

    /// <summary>Row-major R = Rz(yaw)·Ry(pitch)·Rx(roll).</summary>
    private static double[] RotationMatrix(CameraOrientation o)
    {
        var (cy, sy) = (Math.Cos(o.Yaw), Math.Sin(o.Yaw));
        var (cp, sp) = (Math.Cos(o.Pitch), Math.Sin(o.Pitch));
        var (cr, sr) = (Math.Cos(o.Roll), Math.Sin(o.Roll));
        return
        [
            cy * cp, (cy * sp * sr) - (sy * cr), (cy * sp * cr) + (sy * sr),
            sy * cp, (sy * sp * sr) + (cy * cr), (sy * sp * cr) - (cy * sr),
            -sp, cp * sr, cp * cr,
        ];
    }

    private static void PaintRoom(Mat panorama)
    {
        var (w, h) = (panorama.Width, panorama.Height);
        int RowAt(double elevationDeg) => (int)Math.Round((0.5 - (elevationDeg / 180)) * h);
        int ColAt(double azimuthDeg) => (int)Math.Round((0.5 - (azimuthDeg / 360)) * w);
        var ceiling = RowAt(40);
        var floor = RowAt(-25);
        panorama.SetTo(new Scalar(200, 215, 225)); // warm off-white walls (BGR)
        Cv2.Rectangle(panorama, new Rect(0, 0, w, ceiling), new Scalar(235, 235, 235), -1);
        Cv2.Rectangle(panorama, new Rect(0, floor, w, h - floor), new Scalar(60, 95, 140), -1); // wooden floor
        Cv2.Line(panorama, new Point(0, floor), new Point(w, floor), new Scalar(40, 60, 90), 6);
        Cv2.Line(panorama, new Point(0, ceiling), new Point(w, ceiling), new Scalar(170, 170, 170), 4);
        // Room corners every 90° and floor boards give the view visible structure when the head turns.
        foreach (var corner in new[] { 45.0, 135, -45, -135 })
        {
            Cv2.Line(panorama, new Point(ColAt(corner), ceiling), new Point(ColAt(corner), floor), new Scalar(150, 165, 175), 5);
        }
        for (var az = -180.0; az < 180; az += 10)
        {
            Cv2.Line(panorama, new Point(ColAt(az), floor), new Point(ColAt(az), h), new Scalar(45, 75, 115), 2);
        }
    }

    private static void HangPicture(Mat panorama, string picturesDirectory, RoomPicture picture)
    {
        var path = Path.Combine(picturesDirectory, picture.File);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Room picture {path} is missing; scripts/install.sh fetches scikit-image's sample images into $ROSAOS_TOOLS_DIR/skimage (default .tools/skimage).", path);
        }
        using var image = Cv2.ImRead(path, ImreadModes.Color);
        if (image.Empty())
        {
            throw new InvalidDataException($"Room picture {path} could not be decoded.");
        }
        var (w, h) = (panorama.Width, panorama.Height);
        var pixelsPerDegree = w / 360.0;
        var width = (int)Math.Round(picture.WidthDeg * pixelsPerDegree);
        var height = (int)Math.Round(width * (double)image.Height / image.Width);
        var centreX = (0.5 - (picture.AzimuthDeg / 360)) * w;
        var centreY = (0.5 - (picture.ElevationDeg / 180)) * h;
        var rect = new Rect((int)Math.Round(centreX - (width / 2.0)), (int)Math.Round(centreY - (height / 2.0)), width, height);
        var frame = new Rect(rect.X - 8, rect.Y - 8, rect.Width + 16, rect.Height + 16);
        Cv2.Rectangle(panorama, frame, new Scalar(30, 30, 30), -1);
        using (var resized = new Mat())
        using (var target = new Mat(panorama, rect))
        {
            Cv2.Resize(image, resized, new Size(width, height), interpolation: InterpolationFlags.Area);
            resized.CopyTo(target);
        }
        var labelOrigin = new Point(rect.X, rect.Bottom + 34);
        Cv2.PutText(panorama, picture.Label, labelOrigin, HersheyFonts.HersheySimplex, 0.8, new Scalar(40, 40, 40), 2, LineTypes.AntiAlias);
    }
}

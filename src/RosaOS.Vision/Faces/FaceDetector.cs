using OpenCvSharp;

namespace RosaOS.Vision.Faces;

/// <summary>Settings of one Haar cascade pass.</summary>
public sealed record HaarParameters(double ScaleFactor, int MinNeighbors, int MinSize);

/// <summary>
/// Frontal faces and eyes with OpenCV's stock Haar cascades (Debian's opencv-data), with the parameters of the
/// original rosaOS: faces for naming and centring (scale 1.1, ≥ 60 px; 10 neighbours, see <see cref="FaceParameters"/>), the eye-contact
/// check (9 neighbours, ≥ 80 px, exactly one face, two eyes apart in its upper part).
/// </summary>
/// <remarks>A CascadeClassifier is not thread-safe, so detections are serialised.</remarks>
public sealed class FaceDetector : IDisposable
{
    /// <summary>Where Debian's opencv-data installs the cascades.</summary>
    public const string DefaultCascadeDirectory = "/usr/share/opencv4/haarcascades";

    /// <summary>
    /// Faces to name or centre on: the original's centring parameters (scale 1.1, ≥ 60 px) with 10 neighbours instead of 6,
    /// because 6 found a second "face" on the astronaut's suit in 5 of 45 views around her face, and 10 in none, while
    /// still finding her face in all of them.
    /// </summary>
    public static HaarParameters FaceParameters { get; } = new(1.1, 10, 60);

    /// <summary>The single face of an eye-contact check (the original's stricter parameters).</summary>
    public static HaarParameters EyeContactParameters { get; } = new(1.1, 9, 80);

    /// <summary>Eyes inside a face.</summary>
    public static HaarParameters EyeParameters { get; } = new(1.1, 8, 12);

    /// <summary>The eye-contact check searches wider frames for the face at this width (the eyes at full resolution).</summary>
    public const int MaxSearchWidth = 640;

    // The original accepts a face centred within ±80% of the image size: in effect anywhere in the frame.
    private const double CentreMargin = 0.8;

    private readonly CascadeClassifier _faces;
    private readonly CascadeClassifier _eyes;
    private readonly Lock _lock = new();

    /// <summary>Loads the frontal-face and eye cascades from <paramref name="cascadeDirectory"/>.</summary>
    /// <exception cref="FileNotFoundException">The cascades are not installed (apt package opencv-data).</exception>
    /// <exception cref="OpenCvUnavailableException">OpenCV's native library is missing on this machine.</exception>
    public FaceDetector(string? cascadeDirectory = null)
    {
        OpenCvRuntime.EnsureAvailable();
        var dir = cascadeDirectory ?? DefaultCascadeDirectory;
        _faces = Load(Path.Combine(dir, "haarcascade_frontalface_default.xml"));
        try
        {
            _eyes = Load(Path.Combine(dir, "haarcascade_eye.xml"));
        }
        catch
        {
            _faces.Dispose();
            throw;
        }
    }

    /// <summary>Faces in a BGR or grey image, largest first.</summary>
    public IReadOnlyList<Rect> DetectFaces(Mat image, HaarParameters? parameters = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var gray = ToGray(image);
        return DetectFacesInGray(gray, parameters ?? FaceParameters);
    }

    /// <summary>
    /// The original's eye-contact test on one frame: exactly one frontal face (strict parameters), near the
    /// centre, with two horizontally separated eyes in its upper part.
    /// </summary>
    public bool IsMakingEyeContact(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Empty())
        {
            return false;
        }
        using var gray = ToGray(image);
        var faces = DetectFacesInGray(gray, EyeContactParameters, MaxSearchWidth);
        if (faces.Count != 1)
        {
            return false;
        }
        var face = faces[0];
        var (cx, cy) = (face.X + (face.Width / 2.0), face.Y + (face.Height / 2.0));
        if (Math.Abs(cx - (gray.Width / 2.0)) > CentreMargin * gray.Width || Math.Abs(cy - (gray.Height / 2.0)) > CentreMargin * gray.Height)
        {
            return false;
        }
        return HasTwoEyes(gray, face);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _faces.Dispose();
        _eyes.Dispose();
    }

    /// <summary>Grey copy of a BGR, BGRA or grey image (always a new Mat the caller disposes).</summary>
    internal static Mat ToGray(Mat image)
    {
        var gray = new Mat();
        switch (image.Channels())
        {
            case 1:
                image.CopyTo(gray);
                break;
            case 4:
                Cv2.CvtColor(image, gray, ColorConversionCodes.BGRA2GRAY);
                break;
            default:
                Cv2.CvtColor(image, gray, ColorConversionCodes.BGR2GRAY);
                break;
        }
        return gray;
    }

    private List<Rect> DetectFacesInGray(Mat gray, HaarParameters p, int searchWidth = int.MaxValue)
    {
        // The eye-contact check runs on every frame of the speech loop: its faces (≥ 80 px) are still ≥ 40 px at half
        // width, above the cascade's 24 px window, so it searches at most 640 px wide, several times faster. Naming
        // and centring keep full resolution: LBPH needs the tighter box.
        var scale = gray.Width > searchWidth ? (double)searchWidth / gray.Width : 1.0;
        Rect[] found;
        using (var small = new Mat())
        {
            var search = gray;
            if (scale < 1)
            {
                Cv2.Resize(gray, small, new Size(searchWidth, (int)Math.Round(gray.Height * scale)), interpolation: InterpolationFlags.Area);
                search = small;
            }
            var minSize = Math.Max(24, (int)Math.Round(p.MinSize * scale));
            lock (_lock)
            {
                found = _faces.DetectMultiScale(search, p.ScaleFactor, p.MinNeighbors, HaarDetectionTypes.ScaleImage, new Size(minSize, minSize));
            }
        }
        var bounds = new Rect(0, 0, gray.Width, gray.Height);
        return [.. found
            .Select(r => new Rect((int)Math.Round(r.X / scale), (int)Math.Round(r.Y / scale), (int)Math.Round(r.Width / scale), (int)Math.Round(r.Height / scale)).Intersect(bounds))
            .OrderByDescending(r => r.Width * r.Height)];
    }

    private bool HasTwoEyes(Mat gray, Rect face)
    {
        // Eyes sit in the band from 15% to 70% of the face height.
        var top = face.Y + (int)(face.Height * 0.15);
        var height = (int)(face.Height * 0.55);
        var roi = new Rect(face.X, top, face.Width, height).Intersect(new Rect(0, 0, gray.Width, gray.Height));
        if (roi.Height < 20 || roi.Width <= 0)
        {
            return false;
        }
        Rect[] eyes;
        using (var band = new Mat(gray, roi))
        {
            lock (_lock)
            {
                eyes = _eyes.DetectMultiScale(band, EyeParameters.ScaleFactor, EyeParameters.MinNeighbors, HaarDetectionTypes.ScaleImage,
                    new Size(EyeParameters.MinSize, EyeParameters.MinSize));
            }
        }
        if (eyes.Length < 2)
        {
            return false;
        }
        // Two eyes are apart horizontally; two hits on one eye are not.
        var centres = eyes.Select(e => e.X + (e.Width / 2.0)).Order().ToArray();
        return centres[^1] - centres[0] >= face.Width * 0.2;
    }

    private static CascadeClassifier Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Haar cascade {path} is missing; install Debian's opencv-data (scripts/install.sh does).", path);
        }
        var cascade = new CascadeClassifier(path);
        if (cascade.Empty())
        {
            cascade.Dispose();
            throw new InvalidDataException($"Haar cascade {path} could not be loaded.");
        }
        return cascade;
    }
}

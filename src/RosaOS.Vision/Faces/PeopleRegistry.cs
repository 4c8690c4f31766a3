using System.Globalization;
using System.Text;
using OpenCvSharp;
using OpenCvSharp.Face;

namespace RosaOS.Vision.Faces;

/// <summary>A face found in an image and who it is, if known.</summary>
/// <param name="Box">Where the face is, in pixels.</param>
/// <param name="Name">The registered person it matches, or null when it matches nobody closely enough.</param>
/// <param name="Distance">LBPH histogram distance to the closest person (lower is closer); NaN when nobody is registered.</param>
/// <param name="Confidence">0..1, how sure the match is (1 = identical, 0 = at or beyond the unknown threshold).</param>
public sealed record FaceMatch(Rect Box, string? Name, double Distance, double Confidence);

/// <summary>
/// The people the robot knows: one folder per person under <c>images/people/</c> holding their pictures, and an
/// LBPH recognizer (OpenCV's face module) trained on the Haar-detected faces in them, retrained on every save.
/// </summary>
public sealed class PeopleRegistry : IDisposable
{
    /// <summary>LBPH distance above which a face is "unknown". Same person across views scores well below it.</summary>
    public const double DefaultUnknownDistance = 70;

    private const int FaceSize = 128;
    private static readonly string[] s_imageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    private readonly FaceDetector _detector;
    private readonly double _unknownDistance;
    private readonly Lock _lock = new();
    private LBPHFaceRecognizer? _recognizer;
    private string[] _labels = [];
    private bool _trained;

    /// <summary>A registry stored under <paramref name="peopleDirectory"/> (created when missing).</summary>
    public PeopleRegistry(string peopleDirectory, FaceDetector detector, double unknownDistance = DefaultUnknownDistance)
    {
        ArgumentNullException.ThrowIfNull(peopleDirectory);
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(unknownDistance);
        Directory = Path.GetFullPath(peopleDirectory);
        _detector = detector;
        _unknownDistance = unknownDistance;
    }

    /// <summary>The registry's folder.</summary>
    public string Directory { get; }

    /// <summary>Names of the registered people.</summary>
    public IReadOnlyList<string> People
    {
        get
        {
            lock (_lock)
            {
                EnsureTrained();
                return _labels;
            }
        }
    }

    /// <summary>
    /// A person's name made safe as a folder name: letters, digits, spaces, '-', '_' and apostrophes; at most 64 characters.
    /// </summary>
    /// <exception cref="VisionException">Nothing usable is left of the name.</exception>
    public static string SanitizeName(string? personName)
    {
        var builder = new StringBuilder();
        foreach (var c in (personName ?? "").Normalize(NormalizationForm.FormC))
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_' or '\'')
            {
                builder.Append(c);
            }
            else if (char.IsWhiteSpace(c) && builder.Length > 0 && builder[^1] != ' ')
            {
                builder.Append(' ');
            }
        }
        var name = builder.ToString().Trim();
        if (name.Length > 64)
        {
            name = name[..64].TrimEnd();
        }
        return name.Length > 0
            ? name
            : throw new VisionException($"'{personName}' is not usable as a person's name: give a name with letters or digits.");
    }

    /// <summary>
    /// Copies the picture at <paramref name="imagePath"/> into <paramref name="personName"/>'s folder and retrains.
    /// Returns the saved file's path.
    /// </summary>
    /// <exception cref="VisionException">The file is not an image, or no face is visible in it.</exception>
    public string Save(string imagePath, string personName)
    {
        var name = SanitizeName(personName);
        using (var image = BoundedImage.Read(imagePath))
        {
            if (image.Empty())
            {
                throw new VisionException($"{Path.GetFileName(imagePath)} is not a readable image.");
            }
            if (_detector.DetectFaces(image).Count == 0)
            {
                throw new VisionException($"No face found in {Path.GetFileName(imagePath)}: save a picture in which {name}'s face is visible and frontal.");
            }
        }
        var folder = Path.Combine(Directory, name);
        System.IO.Directory.CreateDirectory(folder);
        var extension = Path.GetExtension(imagePath).ToLowerInvariant();
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        var destination = Path.Combine(folder, $"{name.Replace(' ', '_')}_{stamp}_{Guid.NewGuid().ToString("N")[..6]}{extension}");
        File.Copy(imagePath, destination, overwrite: false);
        lock (_lock)
        {
            Train();
        }
        return destination;
    }

    /// <summary>Every face in <paramref name="image"/>, largest first, with who it is.</summary>
    public IReadOnlyList<FaceMatch> Recognize(Mat image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var boxes = _detector.DetectFaces(image);
        if (boxes.Count == 0)
        {
            return [];
        }
        using var gray = FaceDetector.ToGray(image);
        var matches = new List<FaceMatch>(boxes.Count);
        lock (_lock)
        {
            EnsureTrained();
            foreach (var box in boxes)
            {
                if (_recognizer is null)
                {
                    matches.Add(new FaceMatch(box, null, double.NaN, 0));
                    continue;
                }
                using var face = Normalize(gray, box);
                _recognizer.Predict(face, out var label, out var distance);
                var known = label >= 0 && label < _labels.Length && distance <= _unknownDistance;
                var confidence = Math.Round(Math.Clamp(1 - (distance / _unknownDistance), 0, 1), 2);
                matches.Add(new FaceMatch(box, known ? _labels[label] : null, Math.Round(distance, 1), known ? confidence : 0));
            }
        }
        return matches;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _recognizer?.Dispose();
            _recognizer = null;
        }
    }

    private void EnsureTrained()
    {
        if (!_trained)
        {
            Train();
        }
    }

    private void Train()
    {
        var faces = new List<Mat>();
        var labels = new List<int>();
        var names = new List<string>();
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                foreach (var folder in System.IO.Directory.EnumerateDirectories(Directory).Order(StringComparer.Ordinal))
                {
                    var label = names.Count;
                    var count = faces.Count;
                    foreach (var file in System.IO.Directory.EnumerateFiles(folder).Where(IsImage).Order(StringComparer.Ordinal))
                    {
                        AddFaces(file, label, faces, labels);
                    }
                    if (faces.Count > count)
                    {
                        names.Add(Path.GetFileName(folder));
                    }
                }
            }
            _recognizer?.Dispose();
            _recognizer = null;
            if (faces.Count > 0)
            {
                _recognizer = LBPHFaceRecognizer.Create();
                _recognizer.Train(faces, labels);
            }
            _labels = [.. names];
            _trained = true;
        }
        finally
        {
            foreach (var face in faces)
            {
                face.Dispose();
            }
        }
    }

    private void AddFaces(string file, int label, List<Mat> faces, List<int> labels)
    {
        using var image = BoundedImage.Read(file);
        if (image.Empty())
        {
            return;
        }
        var boxes = _detector.DetectFaces(image);
        if (boxes.Count == 0)
        {
            return;
        }
        using var gray = FaceDetector.ToGray(image);
        // A saved picture is of one person: the largest face is theirs.
        faces.Add(Normalize(gray, boxes[0]));
        labels.Add(label);
    }

    private static Mat Normalize(Mat gray, Rect box)
    {
        using var crop = new Mat(gray, box.Intersect(new Rect(0, 0, gray.Width, gray.Height)));
        using var resized = new Mat();
        Cv2.Resize(crop, resized, new Size(FaceSize, FaceSize), interpolation: InterpolationFlags.Area);
        var equalized = new Mat();
        Cv2.EqualizeHist(resized, equalized);
        return equalized;
    }

    private static bool IsImage(string path) => s_imageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());
}

using OpenCvSharp;
using RosaOS.Vision.Camera;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Images;
using RosaOS.Vision.Model;

namespace RosaOS.Vision;

/// <summary>A picture just taken: where it was saved and its size.</summary>
/// <param name="Path">Full path of the saved JPEG.</param>
/// <param name="Argument">The name to pass back to the image tools (relative to the images folder).</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="Jpeg">The JPEG bytes.</param>
public sealed record PictureTaken(string Path, string Argument, int Width, int Height, byte[] Jpeg);

/// <summary>A face found by detect_faces.</summary>
public sealed record DetectedFace(string? Name, double Confidence, double Distance, int X, int Y, int Width, int Height);

/// <summary>
/// What the Reachy Mini vision tools do, independent of MCP: take_picture, describe_image, detect_faces,
/// analyze_face and save_image_person, over a camera, the images folder, the people registry and the vision model.
/// Failures the caller can act on are <see cref="VisionException"/>s or <see cref="CameraUnavailableException"/>s.
/// </summary>
public sealed class VisionService(ICameraSource camera, ImageStore images, PeopleRegistry people, FaceDetector detector, VisionModelClient model)
{
    /// <summary>The question describe_image asks by default (the original's).</summary>
    public const string DefaultQuestion = "What is in the image?";

    /// <summary>The vision model client (to know whether one is configured).</summary>
    public VisionModelClient Model => model;

    /// <summary>Grabs a fresh frame (one stale frame is dropped first, as the original does) and saves it under the images folder.</summary>
    public async Task<PictureTaken> TakePictureAsync(CancellationToken cancellationToken)
    {
        _ = await camera.CaptureJpegAsync(cancellationToken);
        var jpeg = await camera.CaptureJpegAsync(cancellationToken);
        using var frame = BoundedImage.Decode(jpeg, "the camera frame");
        if (frame.Empty())
        {
            throw new CameraUnavailableException("The camera returned a frame that is not a decodable JPEG.");
        }
        var path = images.SaveCapture(jpeg);
        return new PictureTaken(path, images.ToArgument(path), frame.Width, frame.Height, jpeg);
    }

    /// <summary>The vision model's answer to <paramref name="question"/> about <paramref name="image"/> (an image argument).</summary>
    public async Task<string> DescribeAsync(string? image, string? question, CancellationToken cancellationToken)
    {
        var path = await images.ResolveAsync(image, cancellationToken);
        if (!model.IsConfigured)
        {
            // Without a model: faces and known people, OCR text and colours, instead of only an error.
            IReadOnlyList<DetectedFace> faces;
            using var frame = Read(path, image);
            faces = [.. people.Recognize(frame).Select(m => new DetectedFace(m.Name, m.Confidence, m.Distance, m.Box.X, m.Box.Y, m.Box.Width, m.Box.Height))];
            return await OfflineDescriber.DescribeAsync(path, frame, faces, cancellationToken);
        }
        return await model.AskAsync(path, string.IsNullOrWhiteSpace(question) ? DefaultQuestion : question, cancellationToken);
    }

    /// <summary>The faces in <paramref name="image"/>, largest first, named when they match someone in the registry.</summary>
    public async Task<IReadOnlyList<DetectedFace>> DetectFacesAsync(string? image, CancellationToken cancellationToken)
    {
        var path = await images.ResolveAsync(image, cancellationToken);
        using var frame = Read(path, image);
        return [.. people.Recognize(frame).Select(m => new DetectedFace(m.Name, m.Confidence, m.Distance, m.Box.X, m.Box.Y, m.Box.Width, m.Box.Height))];
    }

    /// <summary>
    /// Age range, gender presentation and emotion of each face in <paramref name="image"/>, from the vision model; an empty
    /// list (and no model call) when no face is found. <c>Raw</c> is the model's answer when it was not JSON.
    /// </summary>
    public async Task<(int FacesFound, IReadOnlyList<FaceAnalysis>? Faces, string? Raw)> AnalyzeFacesAsync(string? image, CancellationToken cancellationToken)
    {
        var path = await images.ResolveAsync(image, cancellationToken);
        IReadOnlyList<Rect> boxes;
        using (var frame = Read(path, image))
        {
            boxes = detector.DetectFaces(frame);
        }
        if (boxes.Count == 0)
        {
            return (0, [], null);
        }
        var (faces, raw) = await model.AnalyzeFacesAsync(path, boxes, cancellationToken);
        return (boxes.Count, faces, faces is null ? raw : null);
    }

    /// <summary>Saves <paramref name="image"/> as a picture of <paramref name="personName"/> and retrains; returns the saved file's argument.</summary>
    public async Task<string> SavePersonAsync(string? image, string? personName, CancellationToken cancellationToken)
    {
        var name = PeopleRegistry.SanitizeName(personName);
        var path = await images.ResolveAsync(image, cancellationToken);
        var saved = people.Save(path, name);
        return images.ToArgument(saved);
    }

    /// <summary>Names of the people the robot knows.</summary>
    public IReadOnlyList<string> KnownPeople => people.People;

    private static Mat Read(string path, string? argument)
    {
        var frame = BoundedImage.Read(path);
        if (frame.Empty())
        {
            frame.Dispose();
            throw new VisionException($"'{argument}' is not a readable image.");
        }
        return frame;
    }
}

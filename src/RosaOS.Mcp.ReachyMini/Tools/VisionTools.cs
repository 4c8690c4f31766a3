using System.ComponentModel;
using System.Globalization;
using System.Text;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using RosaOS.Vision;
using RosaOS.Vision.Camera;
using RosaOS.Vision.Faces;

// Argument names are the snake_case MCP contract of the original server, not C# style.
#pragma warning disable CA1707

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>The head camera and what the robot makes of images: pictures, descriptions, faces and the people it knows.</summary>
[McpServerToolType]
public sealed class VisionTools(VisionService vision, ICameraSource camera, IHeadActuator head, FaceDetector detector)
{
    [McpServerTool(Name = "take_picture", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = true)]
    [Description("Take a picture with Reachy Mini's head camera and save it. Returns the saved image's name (pass it to describe_image, " +
        "detect_faces, analyze_face or save_image_person) and, for text-only models, a description of what the camera sees; " +
        "with for_text_only_model=false the image itself is returned.")]
    public async Task<CallToolResult> TakePicture(
        [Description("true (default) when you cannot see images: a text description is returned; false to receive the image.")] bool for_text_only_model = true,
        CancellationToken cancellationToken = default)
    {
        var picture = await RunAsync(() => vision.TakePictureAsync(cancellationToken));
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"Picture saved as {picture.Argument} ({picture.Width}x{picture.Height})."));
        if (!for_text_only_model)
        {
            return new CallToolResult { Content = [new TextContentBlock { Text = text.ToString() }, ImageContentBlock.FromBytes(picture.Jpeg, "image/jpeg")] };
        }
        // Without a vision model the description is the offline one (faces, known people, text, colours).
        text.Append(" Description: ").Append(await RunAsync(() => vision.DescribeAsync(picture.Argument, null, cancellationToken)));
        return new CallToolResult { Content = [new TextContentBlock { Text = text.ToString() }] };
    }

    [McpServerTool(Name = "describe_image", Destructive = false, Idempotent = true, OpenWorld = true, ReadOnly = true)]
    [Description("Answer a question about an image with a vision model. image: a name take_picture returned, or a path under the images folder.")]
    public Task<string> DescribeImage(
        [Description("The image: a name such as reachy/reachy_....jpg returned by take_picture.")] string image,
        [Description("What to ask about the image.")] string question = VisionService.DefaultQuestion,
        CancellationToken cancellationToken = default)
        => RunAsync(() => vision.DescribeAsync(image, question, cancellationToken));

    [McpServerTool(Name = "detect_faces", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = true)]
    [Description("Find the faces in an image and say who they are, matching the people saved with save_image_person (with a confidence from 0 to 1).")]
    public async Task<string> DetectFaces(
        [Description("The image: a name returned by take_picture, or a path under the images folder.")] string image,
        CancellationToken cancellationToken = default)
        => FacesSentence(await RunAsync(() => vision.DetectFacesAsync(image, cancellationToken)));

    [McpServerTool(Name = "analyze_face", Destructive = false, Idempotent = true, OpenWorld = true, ReadOnly = true)]
    [Description("Estimate the age range, gender presentation and emotion of the face(s) in an image, with a vision model.")]
    public async Task<string> AnalyzeFace(
        [Description("The image: a name returned by take_picture, or a path under the images folder.")] string image,
        CancellationToken cancellationToken = default)
    {
        var (found, faces, raw) = await RunAsync(() => vision.AnalyzeFacesAsync(image, cancellationToken));
        if (found == 0)
        {
            return "No face found in the image.";
        }
        if (faces is null)
        {
            return $"{found} face(s) found. The vision model said: {raw}";
        }
        return $"{found} face(s) found. " + string.Join(" ", faces.Select(f =>
            $"Face {f.Face}: age {f.AgeRange ?? "unknown"}, gender presentation {f.GenderPresentation ?? "unknown"}, emotion {f.Emotion ?? "unknown"}."));
    }

    [McpServerTool(Name = "save_image_person", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [McpMeta(EstopContract.MetaKey, EstopContract.Roles.Allowed)]
    [Description("Remember a person: save an image showing their face under their name, so detect_faces recognises them from now on.")]
    public async Task<string> SaveImagePerson(
        [Description("The image with the person's face: a name returned by take_picture.")] string image,
        [Description("The person's name.")] string person_name,
        CancellationToken cancellationToken = default)
    {
        var saved = await RunAsync(() => vision.SavePersonAsync(image, person_name, cancellationToken));
        return $"Saved to {saved}. Known people: {string.Join(", ", vision.KnownPeople)}.";
    }

    [McpServerTool(Name = "center_on_face", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Turn the head in small steps until the largest face in view is in the middle of the camera picture (at most 30 frames).")]
    public async Task<string> CenterOnFace(CancellationToken cancellationToken = default)
    {
        var result = await RunAsync(() => new FaceCentering(detector, camera, head).CenterAsync(cancellationToken));
        return string.Create(CultureInfo.InvariantCulture,
            $"{result.Message} Head yaw {result.Yaw * 180 / Math.PI:0.#}°, pitch {result.Pitch * 180 / Math.PI:0.#}°.");
    }

    private static string FacesSentence(IReadOnlyList<DetectedFace> faces)
    {
        if (faces.Count == 0)
        {
            return "No face found.";
        }
        var parts = faces.Select((f, i) => string.Create(CultureInfo.InvariantCulture,
            $"face {i + 1} at x={f.X}, y={f.Y}, {f.Width}x{f.Height} px: {(f.Name is null ? "unknown person" : $"{f.Name} (confidence {f.Confidence:0.00})")}"));
        return $"Found {faces.Count} face(s): {string.Join("; ", parts)}.";
    }

    private static async Task<T> RunAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await ToolErrors.RunAsync(action);
        }
        catch (VisionException ex)
        {
            throw new McpException(ex.Message, ex);
        }
        catch (CameraUnavailableException ex)
        {
            throw new McpException(ex.Message, ex);
        }
    }
}

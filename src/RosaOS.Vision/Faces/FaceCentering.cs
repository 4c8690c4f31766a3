using OpenCvSharp;
using RosaOS.Vision.Camera;

namespace RosaOS.Vision.Faces;

/// <summary>One nudge of the head toward a face: radians to add to yaw and pitch, or none when it is centred.</summary>
public readonly record struct CenteringStep(bool Centred, double DeltaYaw, double DeltaPitch);

/// <summary>How a centring run ended.</summary>
/// <param name="Centred">The largest face's centre ended inside the middle box.</param>
/// <param name="FaceSeen">A face was seen at least once.</param>
/// <param name="Iterations">Frames examined.</param>
/// <param name="Yaw">The head's final yaw, radians.</param>
/// <param name="Pitch">The head's final pitch, radians.</param>
/// <param name="Message">A sentence for the model or the user.</param>
public sealed record CenteringResult(bool Centred, bool FaceSeen, int Iterations, double Yaw, double Pitch, string Message);

/// <summary>Limits of the centring loop (the original's constants).</summary>
public sealed record CenteringOptions
{
    /// <summary>Frames examined before giving up (the original's 30).</summary>
    public int MaxIterations { get; init; } = 30;

    /// <summary>The middle box is this fraction of the image's width and height (the original's 0.20).</summary>
    public double BoxFraction { get; init; } = 0.20;

    /// <summary>Degrees turned per nudge on each axis (the original's 2°).</summary>
    public double StepDegrees { get; init; } = 2.0;

    /// <summary>The head's pitch is kept within ± this many degrees (the SDK's documented safety limit is 40°).</summary>
    public double MaxPitchDegrees { get; init; } = 40;

    /// <summary>The head's yaw is kept within ± this many degrees (the body's own limit is 160°).</summary>
    public double MaxYawDegrees { get; init; } = 160;

    /// <summary>
    /// Stop after this many frames when none has shown a face (default: <see cref="MaxIterations"/>). After a turn toward a voice
    /// nobody may be in view; looking 30 frames for no one would hold up listening to the request.
    /// </summary>
    public int? GiveUpWithoutFaceAfter { get; init; }

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(GiveUpWithoutFaceAfter ?? 1, 1, nameof(GiveUpWithoutFaceAfter));
        if (!(BoxFraction is > 0 and < 1) || !(StepDegrees is > 0 and <= 20) || !(MaxPitchDegrees is > 0 and <= 40) || !(MaxYawDegrees is > 0 and <= 180))
        {
            throw new ArgumentOutOfRangeException(nameof(BoxFraction), "Centring needs 0 < box < 1, 0 < step ≤ 20°, pitch limit ≤ 40°, yaw limit ≤ 180°.");
        }
    }
}

/// <summary>
/// Brings the largest face into the middle of the picture the way the original does: grab a fresh frame, find
/// the largest face, and nudge yaw and pitch by a fixed step toward it until its centre is inside the middle box.
/// </summary>
public sealed class FaceCentering(FaceDetector detector, ICameraSource camera, IHeadActuator head, CenteringOptions? options = null)
{
    private readonly CenteringOptions _options = Validated(options ?? new CenteringOptions());

    /// <summary>The nudge for a face at <paramref name="face"/> in a <paramref name="width"/>×<paramref name="height"/> image.</summary>
    public static CenteringStep Nudge(int width, int height, Rect face, CenteringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var boxW = width * options.BoxFraction;
        var boxH = height * options.BoxFraction;
        var (left, right) = ((width - boxW) / 2, (width + boxW) / 2);
        var (top, bottom) = ((height - boxH) / 2, (height + boxH) / 2);
        var cx = face.X + (face.Width / 2.0);
        var cy = face.Y + (face.Height / 2.0);
        if (cx >= left && cx <= right && cy >= top && cy <= bottom)
        {
            return new CenteringStep(true, 0, 0);
        }
        var step = options.StepDegrees * Math.PI / 180;
        // Face right of the box: turn right (−yaw). Face below the box: look down (+pitch).
        var dYaw = cx > right ? -step : cx < left ? step : 0;
        var dPitch = cy > bottom ? step : cy < top ? -step : 0;
        return new CenteringStep(false, dYaw, dPitch);
    }

    /// <summary>Runs the loop; stoppable through <paramref name="cancellationToken"/> between nudges.</summary>
    public async Task<CenteringResult> CenterAsync(CancellationToken cancellationToken)
    {
        var (yaw, pitch) = await head.ReadHeadAsync(cancellationToken);
        var maxPitch = _options.MaxPitchDegrees * Math.PI / 180;
        var maxYaw = _options.MaxYawDegrees * Math.PI / 180;
        var faceSeen = false;
        var clamped = false;
        for (var i = 1; i <= _options.MaxIterations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The first frame after a move may predate it: drop one, as the original does.
            _ = await camera.CaptureJpegAsync(cancellationToken);
            var jpeg = await camera.CaptureJpegAsync(cancellationToken);
            using var frame = BoundedImage.DecodeOrEmpty(jpeg);
            if (frame.Empty())
            {
                throw new CameraUnavailableException("The camera returned a frame that is not a decodable image.");
            }
            var faces = detector.DetectFaces(frame);
            if (faces.Count == 0)
            {
                if (!faceSeen && i >= (_options.GiveUpWithoutFaceAfter ?? _options.MaxIterations))
                {
                    return new CenteringResult(false, false, i, yaw, pitch, $"No face seen in {i} frames.");
                }
                continue;
            }
            faceSeen = true;
            var step = Nudge(frame.Width, frame.Height, faces[0], _options);
            if (step.Centred)
            {
                return new CenteringResult(true, true, i, yaw, pitch, $"Face centred after {i} frame(s).");
            }
            var nextYaw = Math.Clamp(yaw + step.DeltaYaw, -maxYaw, maxYaw);
            var nextPitch = Math.Clamp(pitch + step.DeltaPitch, -maxPitch, maxPitch);
            clamped |= nextYaw != yaw + step.DeltaYaw || nextPitch != pitch + step.DeltaPitch;
            if (nextYaw == yaw && nextPitch == pitch)
            {
                return new CenteringResult(false, true, i, yaw, pitch,
                    "The face is outside the head's reach: the head is at its limit (pitch ±" + _options.MaxPitchDegrees + "°, yaw ±" + _options.MaxYawDegrees + "°).");
            }
            (yaw, pitch) = (nextYaw, nextPitch);
            await head.LookAsync(yaw, pitch, cancellationToken);
        }
        var limit = clamped ? " The head reached a safety limit on the way." : "";
        return faceSeen
            ? new CenteringResult(false, true, _options.MaxIterations, yaw, pitch, $"Face found and head turned toward it, but not centred within {_options.MaxIterations} frames.{limit}")
            : new CenteringResult(false, false, _options.MaxIterations, yaw, pitch, $"No face seen in {_options.MaxIterations} frames.");
    }

    private static CenteringOptions Validated(CenteringOptions options)
    {
        options.Validate();
        return options;
    }
}

using OpenCvSharp;
using RosaOS.Vision.Camera;

namespace RosaOS.Vision.Faces;

/// <summary>
/// Eye contact over consecutive frames: the original requires three positive frames in a row before it
/// believes someone is looking at the robot, so one lucky frame does not wake the speech loop.
/// </summary>
public sealed class EyeContactTracker
{
    /// <summary>The original's number of consecutive positive frames.</summary>
    public const int DefaultRequiredFrames = 3;

    private readonly int _required;
    private int _consecutive;

    public EyeContactTracker(int requiredFrames = DefaultRequiredFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requiredFrames, 1);
        _required = requiredFrames;
    }

    /// <summary>Positive frames in a row so far.</summary>
    public int Consecutive => _consecutive;

    /// <summary>Records one frame's result; true once enough positive frames came in a row.</summary>
    public bool Observe(bool eyeContact)
    {
        _consecutive = eyeContact ? _consecutive + 1 : 0;
        return _consecutive >= _required;
    }

    /// <summary>Starts counting again.</summary>
    public void Reset() => _consecutive = 0;

    /// <summary>
    /// Reads frames until eye contact holds for the required number of frames in a row (true), or until
    /// <paramref name="cancellationToken"/> is cancelled. One stale frame is dropped first, as the original does.
    /// </summary>
    public static async Task<bool> WaitForEyeContactAsync(ICameraSource camera, FaceDetector detector, TimeSpan pollInterval,
        int requiredFrames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(detector);
        var tracker = new EyeContactTracker(requiredFrames);
        _ = await camera.CaptureJpegAsync(cancellationToken);
        using var timer = new PeriodicTimer(pollInterval);
        while (true)
        {
            var jpeg = await camera.CaptureJpegAsync(cancellationToken);
            using (var frame = BoundedImage.DecodeOrEmpty(jpeg))
            {
                if (tracker.Observe(!frame.Empty() && detector.IsMakingEyeContact(frame)))
                {
                    return true;
                }
            }
            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }
}

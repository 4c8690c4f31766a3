namespace RosaOS.Vision.Camera;

/// <summary>
/// The robot's head camera: the real one (OpenCV on the USB/CSI device once the daemon has released it) or the
/// simulated one (the frames `rosa sim` renders). Frames are JPEG, the form they are saved and sent in.
/// </summary>
public interface ICameraSource
{
    /// <summary>Grabs the next frame as JPEG bytes.</summary>
    /// <exception cref="CameraUnavailableException">The camera cannot deliver a frame; the message says why.</exception>
    Task<byte[]> CaptureJpegAsync(CancellationToken cancellationToken);
}

/// <summary>The camera could not deliver a frame; the message says why and what to do.</summary>
public sealed class CameraUnavailableException : Exception
{
    public CameraUnavailableException()
    {
    }

    public CameraUnavailableException(string message)
        : base(message)
    {
    }

    public CameraUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Where the head looks and how to turn it, for loops that aim the camera (face centring).</summary>
public interface IHeadActuator
{
    /// <summary>The present head yaw and pitch in radians (daemon conventions: +yaw left, +pitch down).</summary>
    Task<(double Yaw, double Pitch)> ReadHeadAsync(CancellationToken cancellationToken);

    /// <summary>Turns the head to <paramref name="yaw"/>/<paramref name="pitch"/> (radians) and returns once the move has finished.</summary>
    Task LookAsync(double yaw, double pitch, CancellationToken cancellationToken);
}

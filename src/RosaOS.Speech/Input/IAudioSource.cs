namespace RosaOS.Speech.Input;

/// <summary>
/// A microphone: yields mono blocks at <see cref="Audio.AudioMath.SpeechRate"/> (16 kHz) in [-1, 1], in capture order,
/// until cancelled. Each call opens the device afresh, so a caller recovers from a lost device by calling again.
/// </summary>
public interface IAudioSource
{
    /// <summary>What is being captured (device name or URL), for logs.</summary>
    string Description { get; }

    /// <summary>Opens the device and yields blocks until <paramref name="cancellationToken"/> fires.</summary>
    /// <exception cref="AudioSourceException">The device is absent, cannot be opened, or was lost while capturing.</exception>
    IAsyncEnumerable<float[]> CaptureAsync(CancellationToken cancellationToken);
}

/// <summary>The microphone is missing, refused to open, or went away.</summary>
public sealed class AudioSourceException : Exception
{
    /// <summary>Creates the exception with a reason a person can act on.</summary>
    public AudioSourceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and the underlying fault.</summary>
    public AudioSourceException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception with a generic reason.</summary>
    public AudioSourceException() : base("The audio source failed.")
    {
    }
}

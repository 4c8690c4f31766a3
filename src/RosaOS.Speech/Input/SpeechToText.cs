using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Turns an utterance into text. Implementations are safe to call from one loop at a time.</summary>
public interface ISpeechToText
{
    /// <summary>Which engine, for logs and status ("openai-compatible whisper-large-v3-turbo", "pocketsphinx").</summary>
    string Name { get; }

    /// <summary>The words heard, trimmed; empty when nothing intelligible was said.</summary>
    /// <exception cref="TranscriptionException">The engine failed; <see cref="TranscriptionException.Transient"/> says whether a retry may help.</exception>
    Task<string> TranscribeAsync(AudioClip audio, CancellationToken cancellationToken);
}

/// <summary>A transcription failed, with the reason and whether trying again may help.</summary>
public sealed class TranscriptionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TranscriptionException(string message, bool transient, Exception? innerException = null) : base(message, innerException)
        => Transient = transient;

    /// <summary>Creates a non-transient exception with a generic reason.</summary>
    public TranscriptionException() : base("Transcription failed.")
    {
    }

    /// <summary>Creates a non-transient exception.</summary>
    public TranscriptionException(string message) : base(message)
    {
    }

    /// <summary>Creates a non-transient exception wrapping a fault.</summary>
    public TranscriptionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>True for timeouts, network faults, 429 and 5xx: the same audio may succeed later.</summary>
    public bool Transient { get; }
}

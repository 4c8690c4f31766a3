using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tts;

/// <summary>A text-to-speech engine: one call turns text (within <see cref="MaxInputLength"/>) into audio.</summary>
public interface ITextToSpeech
{
    /// <summary>Short engine name for logs and answers ("groq", "elevenlabs", "espeak-ng").</summary>
    string Name { get; }

    /// <summary>Longest text accepted in one call; longer texts are split by <see cref="TextChunker"/>.</summary>
    int MaxInputLength { get; }

    /// <summary>Synthesises <paramref name="text"/>; throws <see cref="SpeechSynthesisException"/> when the engine fails.</summary>
    Task<SynthesizedSpeech> SynthesizeAsync(string text, CancellationToken cancellationToken);
}

/// <summary>Audio produced for a text, and the engine that actually produced it.</summary>
public sealed record SynthesizedSpeech(string Text, WavAudio Audio, string Engine);

/// <summary>An engine could not synthesise a text (network, quota, bad answer, missing program).</summary>
public sealed class SpeechSynthesisException : Exception
{
    public SpeechSynthesisException()
    {
    }

    public SpeechSynthesisException(string message) : base(message)
    {
    }

    public SpeechSynthesisException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

using System.Diagnostics;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tts;

/// <summary>
/// The offline engine: Debian's <c>espeak-ng</c>, run as a subprocess with the text on stdin (so a text
/// starting with "-" is never read as an option) and the WAV on stdout. Always available; also the fallback.
/// </summary>
public sealed class EspeakNgSpeech : ITextToSpeech
{
    private readonly string _program;
    private readonly string _voice;
    private readonly int _wordsPerMinute;

    /// <summary>Creates the engine; <paramref name="voice"/> is an espeak-ng voice such as "en-us".</summary>
    public EspeakNgSpeech(string voice = "en-us", int wordsPerMinute = 165, string program = "espeak-ng")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(voice);
        ArgumentOutOfRangeException.ThrowIfLessThan(wordsPerMinute, 80);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(wordsPerMinute, 450);
        _voice = voice;
        _wordsPerMinute = wordsPerMinute;
        _program = program;
    }

    /// <inheritdoc/>
    public string Name => "espeak-ng";

    /// <inheritdoc/>
    // Short chunks: the first one plays sooner, and an interruption cuts at a sentence boundary nearby.
    public int MaxInputLength => 150;

    /// <inheritdoc/>
    public async Task<SynthesizedSpeech> SynthesizeAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var psi = new ProcessStartInfo(_program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--stdout", "--stdin", "-b", "1", "-v", _voice, "-s", _wordsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SpeechSynthesisException($"espeak-ng is not installed ({e.Message}); run scripts/install.sh.", e);
        }
        try
        {
            var output = new MemoryStream();
            var copy = process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardInput.WriteAsync(text.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            await copy;
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new SpeechSynthesisException($"espeak-ng exited with code {process.ExitCode}: {(await errors).Trim()}");
            }
            WavAudio audio;
            try
            {
                audio = WavAudio.Parse(output.GetBuffer().AsSpan(0, (int)output.Length));
            }
            catch (InvalidDataException e)
            {
                throw new SpeechSynthesisException($"espeak-ng produced unreadable audio: {e.Message}", e);
            }
            return new SynthesizedSpeech(text, audio, Name);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Offline recognition settings.</summary>
public sealed class OfflineRecognitionOptions
{
    /// <summary>The phrases the command grammar accepts besides the wake word; lower-case words of the CMU dictionary.</summary>
    public IList<string> Commands { get; } =
    [
        "what do you see", "what can you see", "look left", "look right", "look up", "look down", "look at me",
        "turn left", "turn right", "move forward", "move backward", "go forward", "go back", "stop", "come here",
        "dance", "take a picture", "who am i", "how are you", "thank you", "good bye", "go to sleep", "wake up",
    ];

    /// <summary>Keyword-spotting threshold for the wake word (lower is more eager). 1e-30 spots espeak-ng's "hello" and not other phrases.</summary>
    public double KeywordThreshold { get; set; } = 1e-30;

    /// <summary>The pocketsphinx CLI (Debian package pocketsphinx).</summary>
    public string Executable { get; set; } = "pocketsphinx_continuous";

    /// <summary>Longest a recognition may take before it is abandoned.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// Offline speech recognition with Debian's pocketsphinx (en-US model): a JSGF grammar of the wake word and a few
/// robot commands, then keyword spotting for the wake word when the grammar finds nothing. Needs no network and no key, so the robot still
/// wakes up and takes simple commands without any cloud service.
/// </summary>
public sealed class PocketSphinxTranscriber : ISpeechToText
{
    private readonly string _wakeWord;
    private readonly OfflineRecognitionOptions _options;

    /// <summary>A recogniser for <paramref name="wakeWord"/> and the commands in <paramref name="options"/>.</summary>
    public PocketSphinxTranscriber(string wakeWord, OfflineRecognitionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(wakeWord);
        _wakeWord = Normalise(wakeWord);
        _options = options ?? new OfflineRecognitionOptions();
        if (_wakeWord.Length == 0)
        {
            throw new ArgumentException("The wake word must contain letters.", nameof(wakeWord));
        }
    }

    /// <inheritdoc />
    public string Name => "pocketsphinx";

    /// <summary>True when the pocketsphinx CLI is on the PATH.</summary>
    public bool IsInstalled => FindOnPath(_options.Executable) is not null;

    /// <inheritdoc />
    public async Task<string> TranscribeAsync(AudioClip audio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var dir = Directory.CreateTempSubdirectory("rosa-sphinx-");
        try
        {
            var samples = audio.SampleRate == AudioMath.SpeechRate ? audio.Samples : AudioMath.Resample(audio.Samples, audio.SampleRate, AudioMath.SpeechRate);
            samples = Dither(samples);
            var wav = Path.Combine(dir.FullName, "utterance.wav");
            await File.WriteAllBytesAsync(wav, AudioMath.ToPcm16Wav(samples, AudioMath.SpeechRate), cancellationToken);
            var keywords = Path.Combine(dir.FullName, "wake.list");
            await File.WriteAllTextAsync(keywords,
                $"{_wakeWord} /{_options.KeywordThreshold.ToString("0.###e+0", CultureInfo.InvariantCulture)}/\n", cancellationToken);
            // The grammar first: it tells "what do you see" from "hello" reliably. Keyword spotting only rescues a wake
            // word the grammar search lost (it returns nothing then); spotting first would hear "hello" in other phrases.
            var grammar = Path.Combine(dir.FullName, "commands.gram");
            await File.WriteAllTextAsync(grammar, Grammar(), cancellationToken);
            var recognised = await RunAsync(["-infile", wav, "-jsgf", grammar], cancellationToken);
            if (recognised.Length > 0)
            {
                return recognised;
            }
            var spotted = await RunAsync(["-infile", wav, "-kws", keywords], cancellationToken);
            return spotted.Contains(_wakeWord, StringComparison.Ordinal) ? _wakeWord : "";
        }
        finally
        {
            try
            {
                dir.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private string Grammar()
    {
        var phrases = _options.Commands.Select(Normalise).Where(p => p.Length > 0).Prepend(_wakeWord).Distinct();
        return $"#JSGF V1.0;\ngrammar commands;\npublic <utterance> = {string.Join(" | ", phrases)};\n";
    }

    private async Task<string> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(_options.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("-logfn");
        start.ArgumentList.Add("/dev/null");
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new TranscriptionException($"{_options.Executable} did not start.", transient: false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new TranscriptionException($"{_options.Executable} is not installed (apt-get install pocketsphinx pocketsphinx-en-us).", transient: false, ex);
        }
        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.Timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                var text = await stdout;
                var errors = await stderr;
                if (process.ExitCode != 0)
                {
                    throw new TranscriptionException($"{_options.Executable} failed ({process.ExitCode}): {errors.Trim()}", transient: false);
                }
                return Normalise(text);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                throw new TranscriptionException($"{_options.Executable} took longer than {_options.Timeout.TotalSeconds:0} s.", transient: true);
            }
        }
    }

    /// <summary>
    /// Adds a faint noise floor (−54 dBFS): pocketsphinx's noise and cepstral-mean estimates go wrong on digitally
    /// silent padding and then misrecognise ("turn left" → "how are you"); a real microphone never delivers zeros.
    /// </summary>
    private static float[] Dither(float[] samples)
    {
        var random = new Random(1234);
        var dithered = new float[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            dithered[i] = samples[i] + (float)((random.NextDouble() - 0.5) * 0.007);
        }
        return dithered;
    }

    /// <summary>Lower-case words separated by single spaces, letters and apostrophes only.</summary>
    internal static string Normalise(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            sb.Append(char.IsLetter(c) || c == '\'' ? c : ' ');
        }
        return string.Join(' ', sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static string? FindOnPath(string executable)
    {
        if (Path.IsPathRooted(executable))
        {
            return File.Exists(executable) ? executable : null;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);
    }
}

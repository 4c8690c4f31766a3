using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace RosaOS.Speech.Input;

/// <summary>
/// The offline "stop" keyword: Debian's <c>pocketsphinx_continuous</c> in keyword-spotting mode reads the microphone as a
/// continuous 16 kHz 16-bit stream on stdin (no network, no utterance segmentation: its own VAD ends a phrase after
/// 150 ms of silence), and every line naming the keyword calls <c>onKeyword</c>. The process is restarted when it exits.
/// </summary>
public sealed partial class StopKeywordSpotter(string keyword, string executable, ILogger logger)
{
    /// <summary>The keyword, normalised.</summary>
    public string Keyword { get; } = PocketSphinxTranscriber.Normalise(keyword);

    /// <summary>Feeds <paramref name="blocks"/> (mono 16 kHz float) to pocketsphinx until cancelled.</summary>
    public async Task RunAsync(ChannelReader<float[]> blocks, Func<CancellationToken, Task> onKeyword, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        ArgumentNullException.ThrowIfNull(onKeyword);
        var retry = TimeSpan.FromSeconds(0.5);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(blocks, onKeyword, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex.Message, retry.TotalSeconds);
            }
            try
            {
                await Task.Delay(retry, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
        }
    }

    private async Task RunOnceAsync(ChannelReader<float[]> blocks, Func<CancellationToken, Task> onKeyword, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // vad_threshold 3.5: the default (2.0) takes the microphone's noise floor for speech and never ends a phrase.
        // vad_postspeech 30 (0.3 s of silence ends a phrase): pocketsphinx_continuous prints a keyword only when its VAD ends
        // the phrase, and the phrase's cut decides the keyword's score. At 15 the simulated microphone's "stop" was found
        // 1 time in 6 (recorded from this very pipe and replayed from a file: the same misses, so not a process problem);
        // at 30, 6 in 6 (docs/speech-input.md has the grid).
        foreach (var arg in new[] { "-infile", "/dev/stdin", "-keyphrase", Keyword, "-kws_threshold", "1e-20", "-vad_postspeech", "30",
            "-vad_threshold", "3.5", "-logfn", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start.");
        LogListening(logger, Keyword, process.Id);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(stop.Token) is { } line)
            {
                if (PocketSphinxTranscriber.Normalise(line).Split(' ').Contains(Keyword, StringComparer.Ordinal))
                {
                    LogHeard(logger, Keyword);
                    try
                    {
                        await onKeyword(stop.Token);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogActionFailed(logger, ex.Message);
                    }
                }
            }
        }, CancellationToken.None);
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            var stdin = process.StandardInput.BaseStream;
            var buffer = new byte[8192];
            await foreach (var block in blocks.ReadAllAsync(cancellationToken))
            {
                if (buffer.Length < block.Length * 2)
                {
                    buffer = new byte[block.Length * 2];
                }
                for (var i = 0; i < block.Length; i++)
                {
                    var s = float.IsFinite(block[i]) ? Math.Clamp(block[i], -1f, 1f) : 0f;
                    BinaryPrimitives.WriteInt16LittleEndian(buffer.AsSpan(i * 2), (short)(s * 32767));
                }
                await stdin.WriteAsync(buffer.AsMemory(0, block.Length * 2), cancellationToken);
                await stdin.FlushAsync(cancellationToken);
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{executable} exited ({process.ExitCode}).");
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            if (!process.HasExited)
            {
                process.Kill();
            }
            await reader.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for the stop keyword \"{Keyword}\" offline (pocketsphinx pid {Pid}).")]
    private static partial void LogListening(ILogger logger, string keyword, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop keyword \"{Keyword}\" heard: engaging the emergency stop.")]
    private static partial void LogHeard(ILogger logger, string keyword);

    [LoggerMessage(Level = LogLevel.Error, Message = "The stop keyword could not engage the emergency stop: {Reason}.")]
    private static partial void LogActionFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop keyword spotting failed: {Reason}; restarting in {Seconds} s.")]
    private static partial void LogFailed(ILogger logger, string reason, double seconds);
}

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Speech.Input;

namespace RosaOS.Speech.Tests.Input;

/// <summary>
/// A microphone at the <see cref="IAudioSource"/> interface: real-time 0.1 s blocks of faint noise, with queued speech
/// played in between; can refuse to open a number of times, as a missing device would.
/// </summary>
internal sealed class ScriptedMicrophone : IAudioSource
{
    private readonly ConcurrentQueue<float[]> _pending = new();
    private int _failuresLeft;

    public ScriptedMicrophone(int failFirstOpens = 0) => _failuresLeft = failFirstOpens;

    public string Description => "scripted microphone";

    public int Opens;

    /// <summary>True while queued speech is being played.</summary>
    public volatile bool Speaking;

    public void Say(string text) => _pending.Enqueue(SpeechSamples.Say(text));

    public async IAsyncEnumerable<float[]> CaptureAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Opens);
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new AudioSourceException("No input device named \"Reachy Mini Audio\" (input devices: none).");
        }
        var noise = SpeechSamples.Noise(10, 0.002);
        var noiseAt = 0;
        float[]? playing = null;
        var playedAt = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var block = new float[1600];
            for (var i = 0; i < block.Length; i++)
            {
                if (playing is null && _pending.TryDequeue(out var next))
                {
                    playing = next;
                    playedAt = 0;
                    Speaking = true;
                }
                var sample = noise[noiseAt++ % noise.Length];
                if (playing is not null)
                {
                    sample += playing[playedAt++];
                    if (playedAt == playing.Length)
                    {
                        playing = null;
                        Speaking = false;
                    }
                }
                block[i] = sample;
            }
            yield return block;
        }
    }
}

/// <summary>The robot side of the loop, recorded: DoA while the microphone hears speech, head turns, listening pose.</summary>
internal sealed class RecordingRobot(ScriptedMicrophone microphone, double doaDegrees) : ISpeechRobot
{
    public ConcurrentQueue<double> Turns { get; } = new();

    public TaskCompletionSource ListeningStarted { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource ListeningStopped { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool FailMoves { get; set; }

    public Task<DoaInfo?> ReadDirectionAsync(CancellationToken cancellationToken)
        => Task.FromResult(microphone.Speaking ? new DoaInfo { Angle = doaDegrees * Math.PI / 180, SpeechDetected = true } : null);

    public Task TurnHeadAsync(double yawDegrees, CancellationToken cancellationToken)
    {
        if (FailMoves)
        {
            throw new HttpRequestException("Connection refused (127.0.0.1:8000)");
        }
        Turns.Enqueue(yawDegrees);
        return Task.CompletedTask;
    }

    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        ListeningStarted.TrySetResult();
        try
        {
            // A microphone that listens until cancelled: nothing waits on time here.
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        finally
        {
            ListeningStopped.TrySetResult();
        }
    }

    public void ResetListening()
    {
        ListeningStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        ListeningStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosaOS.Speech.Playback;
using RosaOS.Speech.Tts;

namespace RosaOS.Speech;

/// <summary>How one <see cref="SpeechQueue.SpeakAsync"/> request ended.</summary>
public enum SpeechOutcome
{
    /// <summary>Every chunk was played to the end.</summary>
    Spoken,

    /// <summary>A forceful request stopped it while it was playing.</summary>
    Interrupted,

    /// <summary>A forceful request cleared it from the queue before it started.</summary>
    Dropped,

    /// <summary>Synthesis or playback failed (see <see cref="SpeechResult.Error"/>).</summary>
    Failed,
}

/// <summary>The result of one request: outcome, engines used, seconds of audio played, chunks, and an error if any.</summary>
public sealed record SpeechResult(SpeechOutcome Outcome, string Engines, double AudioSeconds, int Chunks, int ChunksPlayed, string? Error = null);

/// <summary>A request in the queue: its number, how many were ahead of it, and its outcome when it has been spoken.</summary>
public sealed record QueuedSpeech(long Sequence, int Ahead, Task<SpeechResult> Done);

/// <summary>
/// The robot's single voice. Requests from any number of callers (worker agents calling <c>speak</c>
/// concurrently) are spoken one at a time in arrival order. A forceful request stops the current speech,
/// drops everything queued, and is spoken next. Long texts are split within the engine's input limit and
/// the next chunk is synthesised while the current one plays.
/// </summary>
public sealed partial class SpeechQueue : IAsyncDisposable
{
    /// <summary>Turn spans (same name as RosaOS.Hosting's TurnTracing.SourceName): speak, synthesis, first sample.</summary>
    private static readonly ActivitySource Turns = new("RosaOS.Turns");

    /// <summary>Longest text accepted in one request (about ten minutes of speech).</summary>
    public const int MaxTextLength = 10_000;

    private readonly ITextToSpeech _engine;
    private readonly IAudioSink _sink;
    private readonly ILogger _logger;
    private readonly Channel<Utterance> _queue;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private readonly Task _worker;
    private long _nextSequence;
    private long _droppedBelow;
    private string _dropReason = "a forceful speak request";
    private Utterance? _current;
    private DateTime? _finishedAt;

    /// <summary>Creates the queue and starts its worker.</summary>
    public SpeechQueue(ITextToSpeech engine, IAudioSink sink, ILogger<SpeechQueue> logger)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(sink);
        _engine = engine;
        _sink = sink;
        _logger = logger;
        _queue = Channel.CreateBounded<Utterance>(new BoundedChannelOptions(64)
        {
            // A caller waits for room rather than losing words; 64 pending utterances is minutes of speech.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        _worker = Task.Run(RunAsync);
    }

    /// <summary>The engine (or chain) in use.</summary>
    public string EngineName => _engine.Name;

    /// <summary>The playback sink in use.</summary>
    public string SinkName => _sink.Name;

    /// <summary>Utterances waiting, not counting the one playing.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>
    /// Speaking: something is playing or waiting to play; FinishedAt: when the last utterance ended (spoken,
    /// interrupted or failed; UTC), null before the first. The speech loop reads both for barge-in and the follow-up window.
    /// </summary>
    public (bool Speaking, DateTime? FinishedAt) Voice
    {
        get
        {
            lock (_lock)
            {
                return (_current is not null || _queue.Reader.Count > 0, _finishedAt);
            }
        }
    }

    /// <summary>
    /// Speaks <paramref name="text"/> and returns when it was spoken, interrupted, dropped or failed. With
    /// <paramref name="forcefullyInterrupt"/> the current speech stops and the queue is cleared first.
    /// Cancelling the token withdraws the request (and stops it if it is playing).
    /// </summary>
    public async Task<SpeechResult> SpeakAsync(string text, bool forcefullyInterrupt, CancellationToken cancellationToken)
    {
        var utterance = Prepare(text, forcefullyInterrupt, cancellationToken);
        await using var registration = cancellationToken.Register(() => utterance.Interrupt());
        await _queue.Writer.WriteAsync(utterance, cancellationToken);
        return await utterance.Done.Task;
    }

    /// <summary>
    /// Queues <paramref name="text"/> and returns once it is in the queue (as the original's speak): the words are spoken
    /// in arrival order whatever the caller does next; <see cref="QueuedSpeech.Done"/> completes when they were spoken,
    /// interrupted, dropped or failed. <paramref name="cancellationToken"/> only cancels waiting for room in the queue.
    /// </summary>
    public async Task<QueuedSpeech> QueueAsync(string text, bool forcefullyInterrupt, CancellationToken cancellationToken)
    {
        var utterance = Prepare(text, forcefullyInterrupt, CancellationToken.None);
        var ahead = _queue.Reader.Count + (_current is null ? 0 : 1);
        await _queue.Writer.WriteAsync(utterance, cancellationToken);
        return new QueuedSpeech(utterance.Sequence, forcefullyInterrupt ? 0 : ahead, utterance.Done.Task);
    }

    private Utterance Prepare(string text, bool forcefullyInterrupt, CancellationToken requestToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(text.Length, MaxTextLength, nameof(text));
        // Inside a traced turn (the worker's tool call carries it), the queueing is a span and the synthesis and first
        // sample become its children, whenever the queue gets to them.
        using var span = Activity.Current is null ? null : Turns.StartActivity("speak.queued", ActivityKind.Internal);
        span?.SetTag("characters", text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var utterance = new Utterance(text, requestToken) { Trace = span?.Context ?? default };
        lock (_lock)
        {
            utterance.Sequence = ++_nextSequence;
            if (forcefullyInterrupt)
            {
                ClearLocked(utterance.Sequence, "a forceful speak request");
            }
        }
        return utterance;
    }

    /// <summary>
    /// Stops the speech playing now and drops everything queued (the emergency stop); <paramref name="reason"/> is a noun
    /// phrase ("the emergency stop") given back in the results. Returns what it ended.
    /// </summary>
    public (bool Interrupted, int Dropped) InterruptAll(string reason)
    {
        lock (_lock)
        {
            return ClearLocked(_nextSequence + 1, reason);
        }
    }

    /// <summary>
    /// Interrupts the current utterance and drops every one numbered below <paramref name="below"/>; the worker checks the
    /// sequence, so an item it has just taken from the channel but not yet started is dropped too.
    /// </summary>
    private (bool Interrupted, int Dropped) ClearLocked(long below, string reason)
    {
        _droppedBelow = Math.Max(_droppedBelow, below);
        _dropReason = reason;
        var interrupted = _current is not null;
        _current?.Interrupt(reason);
        var dropped = 0;
        while (_queue.Reader.TryRead(out var waiting))
        {
            waiting.Complete(new SpeechResult(SpeechOutcome.Dropped, "", 0, 0, 0, reason));
            dropped++;
        }
        return (interrupted, dropped);
    }

    private async Task RunAsync()
    {
        try
        {
            await foreach (var utterance in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                lock (_lock)
                {
                    if (utterance.Sequence < _droppedBelow)
                    {
                        utterance.Complete(new SpeechResult(SpeechOutcome.Dropped, "", 0, 0, 0, _dropReason));
                        continue;
                    }
                    _current = utterance;
                }
                var result = await SpeakOneAsync(utterance);
                lock (_lock)
                {
                    _current = null;
                    _finishedAt = DateTime.UtcNow;
                }
                utterance.Complete(result);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<SpeechResult> SpeakOneAsync(Utterance utterance)
    {
        var token = utterance.Stop.Token;
        var chunks = TextChunker.Split(utterance.Text, _engine.MaxInputLength);
        var engines = new List<string>();
        var seconds = 0.0;
        var played = 0;
        var watch = Stopwatch.StartNew();
        LogSpeaking(utterance.Sequence, chunks.Count, utterance.Text.Length);
        var traced = utterance.Trace != default;
        var synthesisStart = DateTime.UtcNow;
        Task<SynthesizedSpeech>? next = chunks.Count > 0 ? _engine.SynthesizeAsync(chunks[0], token) : null;
        try
        {
            for (var i = 0; i < chunks.Count; i++)
            {
                var speech = await next!;
                // Synthesise ahead: the next chunk is being made while this one plays.
                next = i + 1 < chunks.Count ? _engine.SynthesizeAsync(chunks[i + 1], token) : null;
                if (!engines.Contains(speech.Engine))
                {
                    engines.Add(speech.Engine);
                }
                if (i == 0 && traced)
                {
                    RecordFirstChunk(utterance, synthesisStart, speech, chunks.Count);
                }
                await _sink.PlayAsync(speech.Audio, speech.Text, token);
                seconds += speech.Audio.Duration.TotalSeconds;
                played++;
            }
            LogSpoken(utterance.Sequence, seconds, watch.ElapsedMilliseconds);
            return new SpeechResult(SpeechOutcome.Spoken, string.Join(", ", engines), seconds, chunks.Count, played);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            LogInterrupted(utterance.Sequence, played, chunks.Count);
            return new SpeechResult(SpeechOutcome.Interrupted, string.Join(", ", engines), seconds, chunks.Count, played, utterance.InterruptReason);
        }
        catch (Exception e)
        {
            LogFailed(utterance.Sequence, e.Message);
            return new SpeechResult(SpeechOutcome.Failed, string.Join(", ", engines), seconds, chunks.Count, played, e.Message);
        }
        finally
        {
            if (next is not null)
            {
                // Observe an abandoned look-ahead synthesis so its failure is not unobserved.
                _ = next.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }

    /// <summary>The first chunk's synthesis, and the moment its first sample goes to the sink (the turn's end).</summary>
    private static void RecordFirstChunk(Utterance utterance, DateTime synthesisStart, SynthesizedSpeech speech, int chunks)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        try
        {
            using (var synthesis = Turns.StartActivity("tts.first_chunk", ActivityKind.Internal, utterance.Trace, startTime: synthesisStart))
            {
                synthesis?.SetTag("engine", speech.Engine);
                synthesis?.SetTag("chunks", chunks.ToString(System.Globalization.CultureInfo.InvariantCulture));
                synthesis?.SetTag("first_chunk_characters", speech.Text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            using var first = Turns.StartActivity("audio.first_sample", ActivityKind.Internal, utterance.Trace);
            first?.SetEndTime(first.StartTimeUtc);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    /// <summary>Stops the worker; pending requests end as dropped.</summary>
    public async ValueTask DisposeAsync()
    {
        // The server disposes it explicitly to drain speech before the host stops, then the container disposes it again.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _queue.Writer.TryComplete();
        lock (_lock)
        {
            _current?.Interrupt();
        }
        await _stopping.CancelAsync();
        try
        {
            await _worker;
        }
        catch (OperationCanceledException)
        {
        }
        while (_queue.Reader.TryRead(out var left))
        {
            left.Complete(new SpeechResult(SpeechOutcome.Dropped, "", 0, 0, 0, "the speech service shutting down"));
        }
        _stopping.Dispose();
    }

    private sealed class Utterance(string text, CancellationToken requestToken)
    {
        public string Text { get; } = text;
        public long Sequence { get; set; }
        public ActivityContext Trace { get; init; }
        public CancellationTokenSource Stop { get; } = CancellationTokenSource.CreateLinkedTokenSource(requestToken);
        public TaskCompletionSource<SpeechResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Why it was interrupted (null: its caller withdrew it).</summary>
        public string? InterruptReason { get; private set; }

        public void Interrupt(string? reason = null)
        {
            InterruptReason ??= reason;
            try
            {
                Stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Complete(SpeechResult result) => Done.TrySetResult(result);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech #{Sequence}: {Chunks} chunk(s), {Length} characters.")]
    private partial void LogSpeaking(long sequence, int chunks, int length);

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech #{Sequence} spoken: {Seconds:0.00} s of audio in {Elapsed} ms.")]
    private partial void LogSpoken(long sequence, double seconds, long elapsed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech #{Sequence} interrupted after {Played}/{Chunks} chunk(s).")]
    private partial void LogInterrupted(long sequence, int played, int chunks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Speech #{Sequence} failed: {Reason}")]
    private partial void LogFailed(long sequence, string reason);
}

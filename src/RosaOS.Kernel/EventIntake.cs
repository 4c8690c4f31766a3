using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// The front of the event queue. Every event is written to the journal before it is acknowledged (a
/// repeated idempotency key is answered as the first and writes nothing); the journal IS the queue. A
/// feeder moves pending ids into a small bounded channel in journal order and refills it as the kernel
/// loop drains it, so any number of pending events, at start or later, fits. /chat callers get a task
/// that completes with their turn's output.
/// </summary>
public sealed class EventIntake
{
    /// <summary>Ids held in memory ahead of the loop; the rest wait in the journal.</summary>
    private const int QueueCapacity = 256;

    private readonly KernelDatabase _database;
    private readonly EventHub _hub;
    private readonly Channel<long> _queue;
    private readonly Channel<bool> _wake;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _chatWaiters = new();
    private readonly Lock _chatLock = new();

    public EventIntake(KernelDatabase database, EventHub hub)
    {
        _database = database;
        _hub = hub;
        // Wait: the feeder pauses while the loop is busy; nothing is lost, the journal holds every event.
        // SingleReader: only the kernel loop consumes; SingleWriter: only the feeder produces, in journal order.
        _queue = Channel.CreateBounded<long>(new BoundedChannelOptions(QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        // DropWrite with capacity 1: a wake-up already pending is enough, however many events arrive meanwhile.
        _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    }

    /// <summary>The queue the kernel loop reads.</summary>
    public ChannelReader<long> Reader => _queue.Reader;

    /// <summary>Events fed to the loop and waiting.</summary>
    public int Backlog => _queue.Reader.Count;

    /// <summary>Moves pending events from the journal into the queue, oldest first, until stopped.</summary>
    public async Task FeedAsync(CancellationToken cancellationToken)
    {
        long last = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var ids = _database.PendingIds(last, QueueCapacity);
                if (ids.Count == 0)
                {
                    await _wake.Reader.ReadAsync(cancellationToken);
                    continue;
                }
                foreach (var id in ids)
                {
                    await _queue.Writer.WriteAsync(id, cancellationToken);
                    last = id;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A sentence the user spoke (POST /stt); false when the idempotency key was seen before.</summary>
    public bool AcceptSpeech(string text, string? idempotencyKey, string? traceParent = null)
    {
        // The turn's trace context rides in the payload, so a turn resumed after a restart stays in its trace.
        var payload = traceParent is null ? JsonSerializer.Serialize(new { text }) : JsonSerializer.Serialize(new { text, traceparent = traceParent });
        var (id, duplicate) = Accept("speech", payload, $"[User said] {text}", idempotencyKey);
        if (!duplicate)
        {
            _hub.Publish("user_message", new UserMessageEvent("speech", text, id, $"e{id}:in"), KernelJson.Default.UserMessageEvent);
        }
        return !duplicate;
    }

    /// <summary>A chat prompt (POST /chat); the task completes with the turn's output.</summary>
    public (long Id, Task<string> Output) AcceptChat(string prompt, string? traceParent = null)
    {
        // A chat turn's trace starts at the POST (or continues the caller's trace).
        using var received = TurnTracing.Source.StartActivity(TurnTracing.Spans.ChatReceived, System.Diagnostics.ActivityKind.Server,
            TurnTracing.Parse(traceParent));
        traceParent = TurnTracing.Format(received) ?? traceParent;
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        long id;
        // The waiter is registered under the same lock CompleteChat takes, so a turn cannot finish unseen.
        lock (_chatLock)
        {
            var payload = traceParent is null ? JsonSerializer.Serialize(new { prompt }) : JsonSerializer.Serialize(new { prompt, traceparent = traceParent });
            (id, _) = _database.AcceptEvent("chat", payload, prompt);
            received?.SetTag("event_id", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _chatWaiters[id] = done;
        }
        // Published once journaled, with the key the history gives the same line.
        _hub.Publish("user_message", new UserMessageEvent("chat", prompt, id, $"e{id}:in"), KernelJson.Default.UserMessageEvent);
        _wake.Writer.TryWrite(true);
        return (id, done.Task);
    }

    /// <summary>A worker's callback (POST /event, or a failure the kernel noticed); false when the idempotency key was seen before.</summary>
    public bool AcceptCallback(string workerId, string message, bool done, string? idempotencyKey)
        => !Accept("callback", JsonSerializer.Serialize(new { worker_id = workerId, message, done }),
            $"[Worker callback] {message} (worker_id={workerId}, done={(done ? "True" : "False")}).", idempotencyKey).Duplicate;

    /// <summary>
    /// A watched condition held on a robot (POST /api/robot-events from the driver that evaluates the watch); false when the
    /// idempotency key was seen before (the driver retries until the kernel answers, so a kernel restart loses no event).
    /// </summary>
    public bool AcceptRobotEvent(string robot, string watchId, string message, string? idempotencyKey)
    {
        var (id, duplicate) = Accept("robot_event", JsonSerializer.Serialize(new { robot, watch_id = watchId, message }),
            $"[Robot event] {message} (robot={robot}, watch_id={watchId})", idempotencyKey);
        if (!duplicate)
        {
            _hub.Publish("robot_event", new RobotNoticeEvent(id, robot, watchId, message), KernelJson.Default.RobotNoticeEvent);
        }
        return !duplicate;
    }

    /// <summary>An event was journaled elsewhere (a timer or a robot event, written with its own state change): the feeder looks again.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Hands a finished turn's output to its /chat caller, if one is waiting; false if not.</summary>
    public bool CompleteChat(long id, string output)
    {
        lock (_chatLock)
        {
            return _chatWaiters.TryRemove(id, out var waiter) && waiter.TrySetResult(output);
        }
    }

    /// <summary>The /chat caller went away: its turn still runs, and its output goes to /updates instead.</summary>
    public void AbandonChat(long id)
    {
        lock (_chatLock)
        {
            _chatWaiters.TryRemove(id, out _);
        }
    }

    private (long Id, bool Duplicate) Accept(string kind, string payload, string text, string? idempotencyKey)
    {
        var accepted = _database.AcceptEvent(kind, payload, text, idempotencyKey);
        if (!accepted.Duplicate)
        {
            _wake.Writer.TryWrite(true);
        }
        return accepted;
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;

namespace RosaOS.Kernel;

/// <summary>
/// The front of the event queue: every event is written to the journal before it is acknowledged,
/// then its id goes into the bounded queue the single kernel loop reads. /chat callers get a task
/// that completes with their turn's output.
/// </summary>
public sealed class EventIntake
{
    private readonly KernelDatabase _database;
    private readonly EventHub _hub;
    private readonly Channel<long> _queue;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<string>> _chatWaiters = new();

    public EventIntake(KernelDatabase database, EventHub hub, KernelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _hub = hub;
        // Wait: a full queue holds the HTTP caller back (backpressure) instead of dropping an event.
        // SingleReader: only the kernel loop consumes; events run one at a time in journal order.
        _queue = Channel.CreateBounded<long>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    /// <summary>The queue the kernel loop reads.</summary>
    public ChannelReader<long> Reader => _queue.Reader;

    /// <summary>Events waiting or running.</summary>
    public int Backlog => _queue.Reader.Count;

    /// <summary>Re-queues events a previous run accepted but did not finish; called once before the API opens.</summary>
    public int RequeuePending()
    {
        var pending = _database.PendingEvents();
        foreach (var e in pending)
        {
            if (!_queue.Writer.TryWrite(e.Id))
            {
                throw new InvalidOperationException($"{pending.Count} pending events do not fit the queue capacity; raise --queue-capacity.");
            }
        }
        return pending.Count;
    }

    /// <summary>A sentence the user spoke (POST /stt).</summary>
    public Task<long> AcceptSpeechAsync(string text, CancellationToken cancellationToken)
    {
        _hub.Publish("user_message", new { source = "speech", text });
        return AcceptAsync("speech", JsonSerializer.Serialize(new { text }), $"[User said] {text}", cancellationToken);
    }

    /// <summary>A chat prompt (POST /chat); the task completes with the turn's output.</summary>
    public async Task<(long Id, Task<string> Output)> AcceptChatAsync(string prompt, CancellationToken cancellationToken)
    {
        _hub.Publish("user_message", new { source = "chat", text = prompt });
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = _database.AcceptEvent("chat", JsonSerializer.Serialize(new { prompt }), prompt);
        _chatWaiters[id] = done;
        await _queue.Writer.WriteAsync(id, cancellationToken);
        return (id, done.Task);
    }

    /// <summary>A worker's callback (POST /event, or a failure the process manager noticed).</summary>
    public Task<long> AcceptCallbackAsync(string workerId, string message, bool done, CancellationToken cancellationToken)
        => AcceptAsync("callback", JsonSerializer.Serialize(new { worker_id = workerId, message, done }),
            $"[Worker callback] {message} (worker_id={workerId}, done={(done ? "True" : "False")}).", cancellationToken);

    /// <summary>Hands a finished turn's output to its /chat caller, if one is waiting; false if not.</summary>
    public bool CompleteChat(long id, string output)
        => _chatWaiters.TryRemove(id, out var waiter) && waiter.TrySetResult(output);

    private async Task<long> AcceptAsync(string kind, string payload, string text, CancellationToken cancellationToken)
    {
        var id = _database.AcceptEvent(kind, payload, text);
        await _queue.Writer.WriteAsync(id, cancellationToken);
        return id;
    }
}

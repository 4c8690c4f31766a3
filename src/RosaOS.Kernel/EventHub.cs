using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>One live event (server-sent events).</summary>
/// <param name="Id">Increasing id (SSE <c>id:</c>).</param>
/// <param name="Type">SSE event name: user_message, kernel_output, process_launched, process_finished, process_failed, process_terminated, tool_call, provider_status, estop, … (the records of RosaOS.Kernel.Contracts/KernelEvents.cs).</param>
/// <param name="Json">The data as JSON (an event record written by its source-generated type info).</param>
public sealed record LiveEvent(long Id, string Type, string Json);

/// <summary>
/// Fans kernel happenings out to SSE subscribers and keeps the original's /updates buffer. Each
/// subscriber has its own bounded queue that drops its oldest entries when it cannot keep up, so a
/// stalled browser never slows the kernel (the journal and audit log keep the full record).
/// </summary>
public sealed class EventHub
{
    private const int UpdatesLimit = 1000;
    private readonly List<Channel<LiveEvent>> _subscribers = [];
    private readonly List<UpdateMessage> _updates = [];
    private readonly LinkedList<LiveEvent> _recent = new();
    private readonly Lock _lock = new();
    private long _nextId;

    /// <summary>
    /// Publishes to every subscriber: <paramref name="data"/> is one of the event records, written by its source-generated
    /// <paramref name="typeInfo"/> (KernelJson.Default or KernelHostJson.Default: the default encoder the events always had).
    /// </summary>
    public void Publish<T>(string type, T data, JsonTypeInfo<T> typeInfo)
    {
        var json = JsonSerializer.Serialize(data, typeInfo);
        lock (_lock)
        {
            var live = new LiveEvent(++_nextId, type, json);
            _recent.AddLast(live);
            if (_recent.Count > 200)
            {
                _recent.RemoveFirst();
            }
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(live);
            }
        }
    }

    /// <summary>A new subscription; events after <paramref name="lastEventId"/> still in memory are replayed first.</summary>
    public ChannelReader<LiveEvent> Subscribe(long? lastEventId, out Action unsubscribe)
    {
        // DropOldest: a slow reader loses old stream entries, never blocks Publish. SingleReader: one HTTP response reads it.
        var channel = Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(512) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            if (lastEventId is { } last)
            {
                foreach (var e in _recent.Where(e => e.Id > last))
                {
                    channel.Writer.TryWrite(e);
                }
            }
            _subscribers.Add(channel);
        }
        unsubscribe = () =>
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
            }
            channel.Writer.TryComplete();
        };
        return channel.Reader;
    }

    /// <summary>
    /// Queues an outgoing message for GET /updates (the original's shape) and publishes it live; a turn's answer
    /// carries its event id live (not in /updates), the key a reloaded page's history gives the same line.
    /// </summary>
    public void PushOutgoing(string role, string content, string? workerId = null, bool? done = null, long? eventId = null)
    {
        var at = DateTimeOffset.UtcNow.ToString("O");
        lock (_lock)
        {
            _updates.Add(new UpdateMessage(role, content, workerId, done, at));
            if (_updates.Count > UpdatesLimit)
            {
                _updates.RemoveAt(0);
            }
        }
        Publish("kernel_output", new KernelOutputEvent(role, content, workerId, done, at, eventId, eventId is null ? null : $"e{eventId}:out"),
            KernelJson.Default.KernelOutputEvent);
    }

    /// <summary>Returns and clears the pending outgoing messages.</summary>
    public List<UpdateMessage> DrainUpdates()
    {
        lock (_lock)
        {
            var messages = new List<UpdateMessage>(_updates);
            _updates.Clear();
            return messages;
        }
    }
}

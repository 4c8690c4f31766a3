using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace RosaOS.RosBridge;

/// <summary>One subscription to a topic; survives reconnects; dispose to unsubscribe.</summary>
public sealed class RosSubscription : IAsyncDisposable
{
    private readonly RosBridgeClient _client;
    private readonly SubscribeOptions _options;
    private readonly string _id;
    private readonly Channel<JsonObject> _messages;
    private int _disposed;

    internal RosSubscription(RosBridgeClient client, string topic, string? type, SubscribeOptions options, string id)
    {
        _client = client;
        Topic = topic;
        Type = type;
        _options = options;
        _id = id;
        // Sensor streams: a slow reader wants the newest data, never a backlog of stale poses.
        _messages = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(Math.Max(1, options.LocalBuffer))
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = false,
            SingleWriter = true,
        });
    }

    /// <summary>The topic name.</summary>
    public string Topic { get; }

    /// <summary>The message type sent with the subscribe (null lets the server look it up).</summary>
    public string? Type { get; }

    /// <summary>Messages as they arrive (the msg object of each publish frame).</summary>
    public ChannelReader<JsonObject> Messages => _messages.Reader;

    /// <summary>Total messages delivered to this subscription.</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    /// <summary>Waits for the next message, or throws <see cref="RosBridgeTimeoutException"/>.</summary>
    public async Task<JsonObject> NextAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _messages.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new RosBridgeTimeoutException($"No message on {Topic} within {timeout.TotalSeconds:0.###} s (is anything publishing it?).");
        }
    }

    internal void Deliver(JsonObject msg)
    {
        Interlocked.Increment(ref _received);
        _messages.Writer.TryWrite(msg);
    }

    internal JsonObject ToFrame()
    {
        var frame = new JsonObject
        {
            ["op"] = "subscribe",
            ["id"] = _id,
            ["topic"] = Topic,
            ["throttle_rate"] = _options.ThrottleRateMs,
            ["queue_length"] = _options.QueueLength,
        };
        if (Type is not null)
        {
            frame["type"] = Type;
        }
        if (_options.FragmentSize is { } size)
        {
            frame["fragment_size"] = size;
        }
        if (_options.Compression != "none")
        {
            frame["compression"] = _options.Compression;
        }
        return frame;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _messages.Writer.TryComplete();
            await _client.UnsubscribeAsync(this);
        }
    }
}

/// <summary>An advertised topic; survives reconnects; dispose to unadvertise.</summary>
public sealed class RosPublisher : IAsyncDisposable
{
    private readonly RosBridgeClient _client;
    private int _disposed;

    internal RosPublisher(RosBridgeClient client, string topic, string type)
    {
        _client = client;
        Topic = topic;
        Type = type;
    }

    /// <summary>The topic name.</summary>
    public string Topic { get; }

    /// <summary>The message type.</summary>
    public string Type { get; }

    /// <summary>Publishes one message.</summary>
    public Task PublishAsync(JsonNode message, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _client.PublishAsync(Topic, message, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _client.UnadvertiseAsync(Topic);
        }
    }
}

/// <summary>The end of an action goal: the action_msgs/GoalStatus code (4 succeeded, 5 canceled, 6 aborted), and the result values.</summary>
public sealed record RosActionResult(int Status, bool Ok, JsonNode? Values)
{
    /// <summary>A name for <see cref="Status"/>.</summary>
    public string StatusName => Status switch
    {
        1 => "accepted",
        2 => "executing",
        3 => "canceling",
        4 => "succeeded",
        5 => "canceled",
        6 => "aborted",
        _ => "unknown",
    };
}

/// <summary>A goal in flight: its feedback stream, its result, and a way to cancel it.</summary>
public sealed class RosActionGoal
{
    private readonly Func<CancellationToken, Task> _cancel;

    internal RosActionGoal(string id, string action, ChannelReader<JsonNode?> feedback, Task<RosActionResult> result, Func<CancellationToken, Task> cancel)
    {
        Id = id;
        Action = action;
        Feedback = feedback;
        Result = result;
        _cancel = cancel;
    }

    /// <summary>The goal id (the frame id of send_action_goal, or the actionlib goal_id).</summary>
    public string Id { get; }

    /// <summary>The action name.</summary>
    public string Action { get; }

    /// <summary>Feedback values as they arrive; completes with the result.</summary>
    public ChannelReader<JsonNode?> Feedback { get; }

    /// <summary>Completes with the result.</summary>
    public Task<RosActionResult> Result { get; }

    /// <summary>Asks the server to cancel the goal.</summary>
    public Task CancelAsync(CancellationToken cancellationToken = default) => _cancel(cancellationToken);
}

internal sealed class AsyncDisposer(Func<Task> dispose) : IAsyncDisposable
{
    private Func<Task>? _dispose = dispose;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _dispose, null) is { } d)
        {
            await d();
        }
    }
}

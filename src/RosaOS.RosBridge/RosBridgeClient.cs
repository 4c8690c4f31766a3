using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RosaOS.RosBridge;

/// <summary>
/// A rosbridge v2 client over one persistent WebSocket: requests carry ids and answers are matched by id,
/// topic data is routed by topic, and after a reconnect every active advertisement, subscription and
/// advertised service is restored (rosbridge keeps them per connection).
/// </summary>
public sealed partial class RosBridgeClient : IAsyncDisposable
{
    private readonly RosBridgeOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _life = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly ConcurrentDictionary<string, ActionGoalState> _goals = new();
    private readonly Lock _stateLock = new();
    private readonly Dictionary<string, List<RosSubscription>> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Type, int Count)> _advertised = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Type, Func<JsonNode?, CancellationToken, Task<JsonNode?>> Handler)> _services = new(StringComparer.Ordinal);
    private readonly FragmentAssembler _fragments;
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _runTask;
    private long _nextId;

    /// <summary>Creates a client; call <see cref="ConnectAsync"/> to open the connection.</summary>
    public RosBridgeClient(RosBridgeOptions options, ILogger<RosBridgeClient>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _fragments = new FragmentAssembler(options.MaxMessageBytes);
    }

    /// <summary>The rosbridge URL.</summary>
    public Uri Url => _options.Url;

    /// <summary>True while the WebSocket is open.</summary>
    public bool IsConnected => _connected.Task.IsCompletedSuccessfully && _socket?.State == WebSocketState.Open;

    /// <summary>How many times the connection was re-established after a loss.</summary>
    public int Reconnects { get; private set; }

    /// <summary>Frames refused (not JSON, too large, unknown op); the connection survives them.</summary>
    public int RefusedFrames => Volatile.Read(ref _refusedFrames);

    private int _refusedFrames;

    /// <summary>Raised on connect (true) and loss (false) with a human-readable reason.</summary>
    public event Action<bool, string>? ConnectionChanged;

    /// <summary>Starts the connection loop and waits for the first connection (or <paramref name="cancellationToken"/>).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _runTask ??= Task.Run(() => RunAsync(_life.Token), CancellationToken.None);
        await _firstConnect.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Starts the connection loop without waiting (the robot may come up later).</summary>
    public void Start() => _runTask ??= Task.Run(() => RunAsync(_life.Token), CancellationToken.None);

    /// <summary>Calls a ROS service and returns its response values; throws on failure or timeout.</summary>
    /// <param name="service">Service name, e.g. /dock.</param>
    /// <param name="args">Request fields (an object), or null for an empty request.</param>
    /// <param name="type">Service type; sent for ROS 2 servers, ignored by ROS 1.</param>
    /// <param name="timeout">How long to wait; also sent as the ROS 2 server-side timeout.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async Task<JsonNode?> CallServiceAsync(string service, JsonNode? args = null, string? type = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        var wait = timeout ?? _options.RequestTimeout;
        var id = NextId("call");
        var frame = new JsonObject
        {
            ["op"] = "call_service",
            ["id"] = id,
            ["service"] = service,
            ["args"] = args?.DeepClone() ?? new JsonObject(),
            // ROS 2 rosbridge (>= Dec 2024) applies its own 5 s default unless told otherwise.
            ["timeout"] = wait.TotalSeconds,
        };
        if (type is not null)
        {
            frame["type"] = type;
        }
        var answer = await RequestAsync(id, frame, wait, $"service {service}", cancellationToken);
        if (answer["result"]?.GetValueKind() == JsonValueKind.False)
        {
            var why = answer["values"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : answer["values"]?.ToJsonString();
            throw new RosServiceFailedException($"{service} failed: {why}");
        }
        return answer["values"];
    }

    /// <summary>Subscribes to a topic; dispose the subscription to unsubscribe.</summary>
    public async Task<RosSubscription> SubscribeAsync(string topic, string? type, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        options ??= new SubscribeOptions();
        if (options.Compression is not ("none" or "png"))
        {
            throw new ArgumentException($"Compression '{options.Compression}' is not supported; use none or png.", nameof(options));
        }
        var subscription = new RosSubscription(this, topic, type, options, NextId("sub"));
        lock (_stateLock)
        {
            if (!_subscriptions.TryGetValue(topic, out var list))
            {
                _subscriptions[topic] = list = [];
            }
            list.Add(subscription);
        }
        await SendIfConnectedAsync(subscription.ToFrame(), cancellationToken);
        return subscription;
    }

    /// <summary>Advertises a topic (reference-counted); dispose the publisher to unadvertise.</summary>
    public async Task<RosPublisher> AdvertiseAsync(string topic, string type, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        bool first;
        lock (_stateLock)
        {
            first = !_advertised.TryGetValue(topic, out var entry);
            _advertised[topic] = (type, entry.Count + 1);
        }
        if (first)
        {
            await SendIfConnectedAsync(AdvertiseFrame(topic, type), cancellationToken);
        }
        return new RosPublisher(this, topic, type);
    }

    /// <summary>Publishes one message on a topic (advertise it first).</summary>
    public Task PublishAsync(string topic, JsonNode message, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentNullException.ThrowIfNull(message);
        return SendAsync(new JsonObject { ["op"] = "publish", ["topic"] = topic, ["msg"] = message.DeepClone() }, cancellationToken);
    }

    /// <summary>Offers a ROS service implemented by <paramref name="handler"/>; dispose the result to withdraw it.</summary>
    public async Task<IAsyncDisposable> AdvertiseServiceAsync(string service, string type, Func<JsonNode?, CancellationToken, Task<JsonNode?>> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_stateLock)
        {
            _services[service] = (type, handler);
        }
        await SendIfConnectedAsync(new JsonObject { ["op"] = "advertise_service", ["service"] = service, ["type"] = type }, cancellationToken);
        return new AsyncDisposer(async () =>
        {
            lock (_stateLock)
            {
                _services.Remove(service);
            }
            await SendIfConnectedAsync(new JsonObject { ["op"] = "unadvertise_service", ["service"] = service }, CancellationToken.None);
        });
    }

    /// <summary>Sends a ROS 2 action goal (rosbridge 2.x send_action_goal) and tracks its feedback and result.</summary>
    public async Task<RosActionGoal> SendActionGoalAsync(string action, string actionType, JsonNode? goal, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentException.ThrowIfNullOrWhiteSpace(actionType);
        var id = NextId("goal");
        var state = new ActionGoalState(id, action);
        _goals[id] = state;
        await SendAsync(new JsonObject
        {
            ["op"] = "send_action_goal",
            ["id"] = id,
            ["action"] = action,
            ["action_type"] = actionType,
            ["args"] = goal?.DeepClone() ?? new JsonObject(),
            ["feedback"] = true,
        }, cancellationToken);
        return new RosActionGoal(id, action, state.Feedback.Reader, state.Result.Task,
            ct => SendAsync(new JsonObject { ["op"] = "cancel_action_goal", ["id"] = id, ["action"] = action }, ct));
    }

    /// <summary>Sends a raw frame as is (for ops this class has no method for).</summary>
    public Task SendRawAsync(JsonObject frame, CancellationToken cancellationToken = default) => SendAsync(frame, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _life.CancelAsync();
        var socket = _socket;
        if (socket is not null)
        {
            try
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", closeTimeout.Token);
            }
            catch (Exception)
            {
                // The peer may already be gone; closing is best effort.
            }
            socket.Abort();
        }
        if (_runTask is not null)
        {
            try
            {
                await _runTask;
            }
            catch (OperationCanceledException)
            {
            }
        }
        FailPending(new RosBridgeConnectionException("The rosbridge client was disposed."));
        _life.Dispose();
        _sendLock.Dispose();
        socket?.Dispose();
    }

    internal async Task UnsubscribeAsync(RosSubscription subscription)
    {
        bool last;
        lock (_stateLock)
        {
            last = _subscriptions.TryGetValue(subscription.Topic, out var list) && list.Remove(subscription) && list.Count == 0;
            if (last)
            {
                _subscriptions.Remove(subscription.Topic);
            }
        }
        if (last)
        {
            // Without id: rosbridge drops every entry of this connection for the topic, zombies from failed subscribes included.
            await SendIfConnectedAsync(new JsonObject { ["op"] = "unsubscribe", ["topic"] = subscription.Topic }, CancellationToken.None);
        }
    }

    internal async Task UnadvertiseAsync(string topic)
    {
        bool last = false;
        lock (_stateLock)
        {
            if (_advertised.TryGetValue(topic, out var entry))
            {
                last = entry.Count <= 1;
                if (last)
                {
                    _advertised.Remove(topic);
                }
                else
                {
                    _advertised[topic] = (entry.Type, entry.Count - 1);
                }
            }
        }
        if (last)
        {
            await SendIfConnectedAsync(new JsonObject { ["op"] = "unadvertise", ["topic"] = topic }, CancellationToken.None);
        }
    }

    private static JsonObject AdvertiseFrame(string topic, string type)
        => new() { ["op"] = "advertise", ["topic"] = topic, ["type"] = type, ["queue_size"] = 10 };

    private string NextId(string kind) => $"rosa-{kind}-{Interlocked.Increment(ref _nextId)}";

    private async Task<JsonObject> RequestAsync(string id, JsonObject frame, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await SendAsync(frame, cancellationToken);
            return await answer.Task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new RosBridgeTimeoutException($"No answer from {what} within {timeout.TotalSeconds:0.###} s (the robot may still be working on it).");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task SendAsync(JsonObject frame, CancellationToken cancellationToken, bool waitForConnection = true)
    {
        if (waitForConnection && !IsConnected && _runTask is not null)
        {
            // A bridge restart takes a moment; a request made meanwhile waits for it rather than failing at once.
            try
            {
                await _connected.Task.WaitAsync(_options.ConnectWait, cancellationToken);
            }
            catch (TimeoutException)
            {
            }
        }
        var socket = _socket;
        if (socket is null || socket.State != WebSocketState.Open)
        {
            throw new RosBridgeConnectionException($"Not connected to rosbridge at {_options.Url}; reconnecting in the background.");
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(frame);
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            var op = frame["op"]?.ToString() ?? "?";
            LogSendSensitive(op, bytes.Length);
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            throw new RosBridgeConnectionException($"Lost the connection to rosbridge at {_options.Url} while sending: {ex.Message}", ex);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    // State ops are remembered and replayed on reconnect, so sending them while down is not an error.
    private async Task SendIfConnectedAsync(JsonObject frame, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(frame, cancellationToken, waitForConnection: false);
        }
        catch (RosBridgeConnectionException)
        {
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = _options.ReconnectMinDelay;
        var everConnected = false;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
            socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
            try
            {
                using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                connectTimeout.CancelAfter(TimeSpan.FromSeconds(5));
                await socket.ConnectAsync(_options.Url, connectTimeout.Token);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                socket.Dispose();
                // A robot that is switched off is a normal state: say so once, then about once a minute, not every retry.
                if (failures++ % 12 == 0)
                {
                    LogConnectFailed(_options.Url, delay.TotalSeconds, ex.Message);
                }
                else
                {
                    LogConnectRetry(_options.Url, delay.TotalSeconds, ex.Message);
                }
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
                continue;
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                return;
            }

            delay = _options.ReconnectMinDelay;
            var old = _socket;
            _socket = socket;
            old?.Dispose();
            var restored = await RestoreAsync(cancellationToken);
            if (everConnected)
            {
                Reconnects++;
                LogReconnected(_options.Url, restored.Subscriptions, restored.Publishers, restored.Services);
                ConnectionChanged?.Invoke(true, $"reconnected to {_options.Url}; restored {restored.Subscriptions} subscriptions, {restored.Publishers} publishers, {restored.Services} services");
            }
            else
            {
                LogConnected(_options.Url);
                ConnectionChanged?.Invoke(true, $"connected to {_options.Url}");
            }
            everConnected = true;
            failures = 0;
            _connected.TrySetResult();
            _firstConnect.TrySetResult();

            var reason = await ReceiveLoopAsync(socket, cancellationToken);
            _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _fragments.Clear();
            FailPending(new RosBridgeConnectionException($"Lost the connection to rosbridge at {_options.Url} ({reason}) before the answer came."));
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            LogDisconnected(_options.Url, reason);
            ConnectionChanged?.Invoke(false, $"lost connection to {_options.Url}: {reason}; reconnecting");
            try
            {
                await Task.Delay(delay, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<(int Subscriptions, int Publishers, int Services)> RestoreAsync(CancellationToken cancellationToken)
    {
        List<JsonObject> frames = [];
        int subs, pubs, svcs;
        lock (_stateLock)
        {
            foreach (var (topic, entry) in _advertised)
            {
                frames.Add(AdvertiseFrame(topic, entry.Type));
            }
            foreach (var list in _subscriptions.Values)
            {
                frames.AddRange(list.Select(s => s.ToFrame()));
            }
            foreach (var (service, entry) in _services)
            {
                frames.Add(new JsonObject { ["op"] = "advertise_service", ["service"] = service, ["type"] = entry.Type });
            }
            pubs = _advertised.Count;
            subs = _subscriptions.Values.Sum(l => l.Count);
            svcs = _services.Count;
        }
        foreach (var frame in frames)
        {
            await SendIfConnectedAsync(frame, cancellationToken);
        }
        return (subs, pubs, svcs);
    }

    private async Task<string> ReceiveLoopAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return $"closed by server ({result.CloseStatus} {result.CloseStatusDescription})";
                }
                if (message.Length + result.Count > _options.MaxMessageBytes)
                {
                    // Swallow the rest of this frame without keeping it.
                    message.SetLength(0);
                    while (!result.EndOfMessage)
                    {
                        result = await socket.ReceiveAsync(buffer, cancellationToken);
                    }
                    Refuse($"frame larger than {_options.MaxMessageBytes} bytes");
                    continue;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Refuse("binary frame (cbor is not supported)");
                }
                else
                {
                    Dispatch(message.GetBuffer().AsMemory(0, (int)message.Length));
                }
                message.SetLength(0);
            }
            return "cancelled";
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return ex.Message;
        }
    }

    private void Refuse(string why)
    {
        Interlocked.Increment(ref _refusedFrames);
        LogRefused(why);
    }

    private void Dispatch(ReadOnlyMemory<byte> utf8)
    {
        JsonObject? frame;
        try
        {
            frame = JsonNode.Parse(utf8.Span) as JsonObject;
        }
        catch (JsonException ex)
        {
            Refuse($"not JSON: {ex.Message}");
            return;
        }
        if (frame is null)
        {
            Refuse("not a JSON object");
            return;
        }
        if (_logger.IsEnabled(LogLevel.Trace))
        {
            var text = Encoding.UTF8.GetString(utf8.Span[..Math.Min(utf8.Length, 300)]);
            LogReceivedSensitive(text);
        }
        var op = frame["op"] is JsonValue opValue && opValue.TryGetValue<string>(out var s) ? s : null;
        switch (op)
        {
            case "publish":
                RoutePublish(frame);
                break;
            case "service_response":
                if (IdOf(frame) is { } responseId && _pending.TryGetValue(responseId, out var waiter))
                {
                    waiter.TrySetResult(frame);
                }
                break;
            case "fragment":
                if (_fragments.Add(frame, out var whole, out var error))
                {
                    if (whole is not null)
                    {
                        Dispatch(whole);
                    }
                }
                else
                {
                    Refuse(error!);
                }
                break;
            case "png":
                if (PngPayload.TryDecode(frame, _options.MaxMessageBytes, out var inner, out var pngError))
                {
                    Dispatch(inner);
                }
                else
                {
                    Refuse(pngError!);
                }
                break;
            case "call_service":
                _ = AnswerServiceAsync(frame);
                break;
            case "action_feedback":
            case "action_result":
                if (IdOf(frame) is { } goalId && _goals.TryGetValue(goalId, out var goal))
                {
                    if (op == "action_feedback")
                    {
                        goal.Feedback.Writer.TryWrite(frame["values"]?.DeepClone());
                    }
                    else
                    {
                        _goals.TryRemove(goalId, out _);
                        goal.Feedback.Writer.TryComplete();
                        goal.Result.TrySetResult(new RosActionResult(
                            frame["status"] is JsonValue st && st.TryGetValue<int>(out var status) ? status : 0,
                            frame["result"]?.GetValueKind() != JsonValueKind.False,
                            frame["values"]?.DeepClone()));
                    }
                }
                break;
            case "status":
                var level = frame["level"]?.ToString() ?? "?";
                var text = frame["msg"]?.ToString() ?? "";
                LogServerStatus(level, text);
                break;
            default:
                Refuse($"unknown op '{op}'");
                break;
        }
    }

    private static string? IdOf(JsonObject frame) => frame["id"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };

    private void RoutePublish(JsonObject frame)
    {
        if (frame["topic"] is not JsonValue t || !t.TryGetValue<string>(out var topic) || frame["msg"] is not JsonObject msg)
        {
            Refuse("publish without topic or msg");
            return;
        }
        // Detached so subscribers can put the message into their own documents.
        frame.Remove("msg");
        RosSubscription[] targets;
        lock (_stateLock)
        {
            targets = _subscriptions.TryGetValue(topic, out var list) ? [.. list] : [];
        }
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i].Deliver(i == targets.Length - 1 ? msg : (JsonObject)msg.DeepClone());
        }
    }

    private async Task AnswerServiceAsync(JsonObject frame)
    {
        var service = frame["service"]?.ToString() ?? "";
        Func<JsonNode?, CancellationToken, Task<JsonNode?>>? handler;
        lock (_stateLock)
        {
            handler = _services.TryGetValue(service, out var entry) ? entry.Handler : null;
        }
        var response = new JsonObject { ["op"] = "service_response", ["service"] = service };
        if (frame["id"] is { } id)
        {
            response["id"] = id.DeepClone();
        }
        try
        {
            if (handler is null)
            {
                throw new InvalidOperationException($"service {service} is not advertised by this client");
            }
            response["values"] = await handler(frame["args"], _life.Token);
            response["result"] = true;
        }
        catch (Exception ex)
        {
            response["values"] = ex.Message;
            response["result"] = false;
        }
        await SendIfConnectedAsync(response, _life.Token);
    }

    private void FailPending(Exception error)
    {
        foreach (var (id, waiter) in _pending)
        {
            if (_pending.TryRemove(id, out _))
            {
                waiter.TrySetException(error);
            }
        }
        foreach (var (id, goal) in _goals)
        {
            if (_goals.TryRemove(id, out _))
            {
                goal.Feedback.Writer.TryComplete();
                goal.Result.TrySetException(error);
            }
        }
    }

    private sealed class ActionGoalState(string id, string action)
    {
        public string Id { get; } = id;
        public string Action { get; } = action;

        // Feedback is progress; when the reader is slow only the latest matters.
        public Channel<JsonNode?> Feedback { get; } = Channel.CreateBounded<JsonNode?>(new BoundedChannelOptions(16)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });

        public TaskCompletionSource<RosActionResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to rosbridge at {Url}.")]
    private partial void LogConnected(Uri url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconnected to rosbridge at {Url}; restored {Subscriptions} subscriptions, {Publishers} publishers, {Services} services.")]
    private partial void LogReconnected(Uri url, int subscriptions, int publishers, int services);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to rosbridge at {Url}: {Reason}; reconnecting.")]
    private partial void LogDisconnected(Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach rosbridge at {Url}; retrying in {Seconds} s: {Reason}")]
    private partial void LogConnectFailed(Uri url, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Still cannot reach rosbridge at {Url}; retrying in {Seconds} s: {Reason}")]
    private partial void LogConnectRetry(Uri url, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a frame from rosbridge: {Reason}")]
    private partial void LogRefused(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "rosbridge status {Level}: {Text}")]
    private partial void LogServerStatus(string level, string text);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Sending {Op} ({Bytes} bytes).")]
    private partial void LogSendSensitive(string op, int bytes);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Received {Frame}")]
    private partial void LogReceivedSensitive(string frame);
}

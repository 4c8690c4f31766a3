using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosaOS.RosSim.Graph;

namespace RosaOS.RosSim.Bridge;

/// <summary>
/// One rosbridge v2 client connection, served as rosbridge_suite's ROS 2 server serves it: its ops, its answers, and its
/// silence (the server never sends <c>status</c>; a bad type, an unknown topic or op is only logged on the server, and only
/// service and action failures come back, as <c>result: false</c> with the reason as text).
/// </summary>
public sealed partial class BridgeSession : IAsyncDisposable
{
    /// <summary>The node every rosbridge client's publishers and subscriptions belong to.</summary>
    public const string Node = "/rosbridge_websocket";

    private readonly WebSocket _socket;
    private readonly RosGraph _graph;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _clientId;
    private readonly Channel<object> _outgoing = Channel.CreateBounded<object>(new BoundedChannelOptions(2048) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly CancellationTokenSource _life = new();
    private readonly Dictionary<string, int> _advertised = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TopicSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonObject>> _serviceRequests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _goals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SortedDictionary<int, string>> _fragments = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int? _fragmentSize;
    private int _serviceRequestSeed;
    private int _fragmentSeed;

    /// <summary>Creates a session over an accepted WebSocket.</summary>
    public BridgeSession(WebSocket socket, RosGraph graph, TimeProvider time, ILogger logger, int clientId)
    {
        _socket = socket;
        _graph = graph;
        _time = time;
        _logger = logger;
        _clientId = clientId;
    }

    /// <summary>Frames dropped because the client did not read them fast enough.</summary>
    public int Dropped { get; private set; }

    /// <summary>Serves the connection until the client leaves or <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _life.Token);
        var sender = Task.Run(() => SendLoopAsync(linked.Token), CancellationToken.None);
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (!linked.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, linked.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                message.Write(buffer, 0, result.Count);
                if (message.Length > 64 * 1024 * 1024)
                {
                    LogRefused(_clientId, "a frame over 64 MiB");
                    break;
                }
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var text = System.Text.Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                Incoming(text);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
        finally
        {
            await _life.CancelAsync();
            _outgoing.Writer.TryComplete();
            await sender;
            Finish();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _life.CancelAsync();
        _life.Dispose();
    }

    private void Incoming(string text)
    {
        JsonObject? msg;
        try
        {
            msg = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            LogRefused(_clientId, "a frame that is not JSON");
            return;
        }
        if (msg is null)
        {
            return;
        }
        if (msg["op"] is not JsonValue opValue || !opValue.TryGetValue<string>(out var op))
        {
            LogRefused(_clientId, "a message without an op");
            return;
        }
        // Any message may set the connection's fragment size (rosbridge's Protocol.incoming).
        if (msg["fragment_size"] is JsonValue fs && fs.TryGetValue<int>(out var size) && size > 0)
        {
            _fragmentSize = size;
        }
        try
        {
            switch (op)
            {
                case "advertise": Advertise(msg); break;
                case "unadvertise": Unadvertise(msg); break;
                case "publish": Publish(msg); break;
                case "subscribe": Subscribe(msg); break;
                case "unsubscribe": Unsubscribe(msg); break;
                case "call_service": _ = CallServiceAsync(msg); break;
                case "advertise_service": AdvertiseService(msg); break;
                case "unadvertise_service": UnadvertiseService(msg); break;
                case "service_response": ServiceResponse(msg); break;
                case "send_action_goal": _ = SendActionGoalAsync(msg); break;
                case "cancel_action_goal": CancelActionGoal(msg); break;
                case "fragment": Defragment(msg); break;
                default:
                    LogOpError(_clientId, op, $"Unknown operation: {op}");
                    break;
            }
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            LogOpError(_clientId, op, ex.Message);
        }
    }

    private static string Required(JsonObject msg, string field)
        => msg[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"Expected a string for field {field}");

    private static string? Optional(JsonObject msg, string field) => msg[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static int OptionalInt(JsonObject msg, string field, int fallback)
        => msg[field] is JsonValue v && v.TryGetValue<int>(out var n) ? n : fallback;

    private void Advertise(JsonObject msg)
    {
        var topic = Required(msg, "topic");
        var type = MessageTypes.Canonical(Required(msg, "type"), "msg") is { } t && MessageTypes.IsMessage(t)
            ? t : throw new InvalidOperationException($"Unable to import msg class {Optional(msg, "type")}");
        lock (_lock)
        {
            _graph.AddPublisher(topic, type, Node);
            _advertised[topic] = _advertised.GetValueOrDefault(topic) + 1;
        }
    }

    private void Unadvertise(JsonObject msg)
    {
        var topic = Required(msg, "topic");
        lock (_lock)
        {
            if (_advertised.Remove(topic, out var n))
            {
                for (var i = 0; i < n; i++)
                {
                    _graph.RemovePublisher(topic, Node);
                }
            }
        }
    }

    private void Publish(JsonObject msg)
    {
        var topic = Required(msg, "topic");
        var existing = _graph.FindTopic(topic) ?? throw new InvalidOperationException($"Cannot infer topic type for topic {topic} as it is not yet advertised");
        lock (_lock)
        {
            if (!_advertised.ContainsKey(topic))
            {
                // rosbridge registers a publisher for a client that publishes without advertising.
                _graph.AddPublisher(topic, existing.Type, Node);
                _advertised[topic] = 1;
            }
        }
        var fields = MessageTypes.Fields(existing.Type) ?? throw new InvalidOperationException($"Unable to import msg class {existing.Type}");
        var populated = MessageTypes.Populate(fields, msg["msg"]);
        _graph.Publish(topic, existing.Type, populated, msg["latch"] is JsonValue l && l.TryGetValue<bool>(out var latch) && latch);
    }

    private void Subscribe(JsonObject msg)
    {
        var topic = Required(msg, "topic");
        var sid = msg["id"]?.ToJsonString() ?? "";
        var requested = Optional(msg, "type");
        var existing = _graph.FindTopic(topic);
        string type;
        if (requested is not null)
        {
            type = MessageTypes.Canonical(requested, "msg") is { } t && MessageTypes.IsMessage(t) ? t : throw new InvalidOperationException($"Unable to import msg class {requested}");
            if (existing is not null && existing.Type != type)
            {
                throw new InvalidOperationException($"Tried to subscribe to a topic using message type {type} but the topic is of type {existing.Type}");
            }
        }
        else
        {
            type = existing?.Type ?? throw new InvalidOperationException($"Cannot infer topic type for topic {topic} as it is not yet advertised");
        }
        var options = new SubscriptionOptions(
            OptionalInt(msg, "throttle_rate", 0), OptionalInt(msg, "queue_length", 0),
            msg["fragment_size"] is JsonValue f && f.TryGetValue<int>(out var fragment) ? fragment : null,
            Optional(msg, "compression") ?? "none");
        TopicSubscription subscription;
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(topic, out subscription!))
            {
                var graphTopic = _graph.GetOrAddTopic(topic, type) ?? throw new InvalidOperationException($"Topic {topic} has another type");
                subscription = new TopicSubscription(this, graphTopic);
                _subscriptions[topic] = subscription;
                subscription.Attach();
            }
            subscription.Add(sid, options);
        }
        if (subscription.Topic.Latched is { } latched)
        {
            subscription.Deliver(latched);
        }
    }

    private void Unsubscribe(JsonObject msg)
    {
        var topic = Required(msg, "topic");
        var sid = msg["id"]?.ToJsonString();
        lock (_lock)
        {
            if (_subscriptions.TryGetValue(topic, out var subscription) && subscription.Remove(sid))
            {
                _subscriptions.Remove(topic);
                subscription.Dispose();
                _graph.Prune(topic);
            }
        }
    }

    private async Task CallServiceAsync(JsonObject msg)
    {
        var id = msg["id"]?.DeepClone();
        var service = Required(msg, "service");
        JsonObject response;
        try
        {
            var entry = _graph.FindService(service) ?? throw new InvalidOperationException($"Service {service} does not exist");
            var fields = MessageTypes.ServicePart(entry.Type, false);
            var args = msg["args"];
            if (args is JsonArray list && fields is not null)
            {
                var zipped = new JsonObject();
                for (var i = 0; i < Math.Min(list.Count, fields.Count); i++)
                {
                    zipped[fields[i].Name] = list[i]?.DeepClone();
                }
                args = zipped;
            }
            var request = fields is null ? args as JsonObject ?? [] : MessageTypes.Populate(fields, args is JsonObject { Count: > 0 } ? args : null);
            var timeout = msg["timeout"] is JsonValue tv && tv.TryGetValue<double>(out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromSeconds(5);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_life.Token);
            deadline.CancelAfter(timeout);
            JsonObject values;
            try
            {
                values = await entry.Handler(request, deadline.Token).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!_life.IsCancellationRequested)
            {
                throw new TimeoutException("Timeout exceeded while waiting for service response");
            }
            response = new JsonObject { ["op"] = "service_response", ["service"] = service, ["values"] = values.DeepClone(), ["result"] = true };
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (Exception ex)
        {
            LogOpError(_clientId, "call_service", ex.Message);
            response = new JsonObject { ["op"] = "service_response", ["service"] = service, ["values"] = ex.Message, ["result"] = false };
        }
        if (id is not null)
        {
            response["id"] = id;
        }
        Send(response);
    }

    private void AdvertiseService(JsonObject msg)
    {
        var service = Required(msg, "service");
        var type = MessageTypes.Canonical(Required(msg, "type"), "srv") ?? throw new FormatException("Bad service type");
        lock (_lock)
        {
            _services.Add(service);
        }
        _graph.AddService(service, type, Node, async (request, cancellationToken) =>
        {
            var requestId = $"service_request:{service}:{Interlocked.Increment(ref _serviceRequestSeed)}";
            var pending = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
            _serviceRequests[requestId] = pending;
            try
            {
                Send(new JsonObject { ["op"] = "call_service", ["id"] = requestId, ["service"] = service, ["args"] = request.DeepClone() });
                return await pending.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                _serviceRequests.TryRemove(requestId, out _);
            }
        });
    }

    private void UnadvertiseService(JsonObject msg)
    {
        var service = Required(msg, "service");
        lock (_lock)
        {
            _services.Remove(service);
        }
        _graph.RemoveService(service, Node);
    }

    private void ServiceResponse(JsonObject msg)
    {
        var id = Optional(msg, "id") ?? "";
        if (!_serviceRequests.TryGetValue(id, out var pending))
        {
            LogOpError(_clientId, "service_response", $"Received service response for unrecognized id: {id}");
            return;
        }
        if (msg["result"] is JsonValue r && r.TryGetValue<bool>(out var ok) && !ok)
        {
            pending.TrySetException(new InvalidOperationException($"Service response failed: {msg["values"]?.ToString()}"));
            return;
        }
        pending.TrySetResult(msg["values"] as JsonObject ?? []);
    }

    private async Task SendActionGoalAsync(JsonObject msg)
    {
        var action = Required(msg, "action");
        var actionType = Required(msg, "action_type");
        var id = msg["id"]?.DeepClone();
        var goalId = Optional(msg, "id") ?? msg["id"]?.ToJsonString() ?? Guid.NewGuid().ToString("N");
        var wantFeedback = msg["feedback"] is JsonValue fb && fb.TryGetValue<bool>(out var f) && f;
        JsonObject Frame(string op) => id is null ? new JsonObject { ["op"] = op, ["action"] = action } : new JsonObject { ["op"] = op, ["action"] = action, ["id"] = id.DeepClone() };
        var goalFields = MessageTypes.ActionPart(actionType, 0);
        if (goalFields is null)
        {
            var failure = Frame("action_result");
            failure["values"] = $"No module named '{actionType.Split('/')[0]}'";
            failure["status"] = 0;
            failure["result"] = false;
            Send(failure);
            return;
        }
        var server = _graph.FindAction(action);
        if (server is null || MessageTypes.Canonical(server.Type, "action") != MessageTypes.Canonical(actionType, "action"))
        {
            // rclpy's ActionClient waits for a server that never comes: rosbridge answers nothing.
            LogOpError(_clientId, "send_action_goal", $"Action {action} of type {actionType} does not exist; the goal waits forever");
            return;
        }
        JsonObject goal;
        try
        {
            goal = MessageTypes.Populate(goalFields, msg["args"] is JsonObject { Count: > 0 } a ? a : null);
        }
        catch (FormatException ex)
        {
            var failure = Frame("action_result");
            failure["values"] = ex.Message;
            failure["status"] = 0;
            failure["result"] = false;
            Send(failure);
            return;
        }
        // The goal is the robot's, not the connection's: like rosbridge_suite, a client that goes away leaves it running.
        using var cancel = new CancellationTokenSource();
        _goals[goalId] = cancel;
        try
        {
            var (status, result) = await server.Handler(goal, feedback =>
            {
                if (wantFeedback)
                {
                    var frame = Frame("action_feedback");
                    frame["values"] = feedback.DeepClone();
                    Send(frame);
                }
                return Task.CompletedTask;
            }, cancel.Token);
            var done = Frame("action_result");
            done["values"] = result.DeepClone();
            done["status"] = status;
            done["result"] = true;
            Send(done);
        }
        catch (OperationCanceledException) when (_life.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            var failure = Frame("action_result");
            failure["values"] = ex.Message;
            failure["status"] = 0;
            failure["result"] = false;
            Send(failure);
        }
        finally
        {
            _goals.TryRemove(goalId, out _);
        }
    }

    private void CancelActionGoal(JsonObject msg)
    {
        Required(msg, "action");
        var goalId = Optional(msg, "id") ?? msg["id"]?.ToJsonString() ?? "";
        if (_goals.TryGetValue(goalId, out var cancel))
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void Defragment(JsonObject msg)
    {
        var id = msg["id"]?.ToJsonString() ?? "";
        var num = OptionalInt(msg, "num", -1);
        var total = msg["total"] is JsonValue t && t.TryGetValue<double>(out var tt) ? (int)Math.Ceiling(tt) : 0;
        var data = Optional(msg, "data");
        if (num < 0 || total <= 0 || data is null || total > 100_000)
        {
            throw new FormatException("A fragment needs id, num, total and data");
        }
        string? whole = null;
        lock (_lock)
        {
            if (!_fragments.TryGetValue(id, out var parts))
            {
                _fragments[id] = parts = [];
            }
            parts[num] = data;
            if (parts.Count >= total)
            {
                whole = string.Concat(parts.Values);
                _fragments.Remove(id);
            }
        }
        if (whole is not null)
        {
            Incoming(whole);
        }
    }

    /// <summary>Queues a frame for the client, fragmenting it when the connection asked for a fragment size.</summary>
    internal void Send(JsonObject frame, string compression = "none", string? type = null)
    {
        if (compression is "cbor" or "cbor-raw" && frame["op"]?.ToString() == "publish" && type is not null)
        {
            Enqueue(Bridge.Encoding.CborPublish(frame["topic"]!.ToString(), type, (JsonObject)frame["msg"]!));
            return;
        }
        var text = Bridge.Encoding.Dumps(frame);
        if (compression == "png")
        {
            frame = new JsonObject { ["op"] = "png", ["data"] = Bridge.Encoding.PngCompress(text) };
            text = Bridge.Encoding.Dumps(frame);
        }
        if (_fragmentSize is { } size && text.Length > size)
        {
            var mid = frame["id"]?.DeepClone() ?? JsonValue.Create(Interlocked.Increment(ref _fragmentSeed) - 1);
            foreach (var fragment in Bridge.Encoding.Fragments(text, size, mid))
            {
                Enqueue(fragment);
            }
            return;
        }
        Enqueue(text);
    }

    private void Enqueue(object frame)
    {
        if (!_outgoing.Writer.TryWrite(frame) && !_life.IsCancellationRequested)
        {
            Dropped++;
        }
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                if (frame is string text)
                {
                    await _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
                }
                else if (frame is byte[] binary)
                {
                    await _socket.SendAsync(binary, WebSocketMessageType.Binary, true, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            await _life.CancelAsync();
        }
    }

    private void Finish()
    {
        lock (_lock)
        {
            foreach (var subscription in _subscriptions.Values)
            {
                subscription.Dispose();
                _graph.Prune(subscription.Topic.Name);
            }
            _subscriptions.Clear();
            foreach (var (topic, n) in _advertised)
            {
                for (var i = 0; i < n; i++)
                {
                    _graph.RemovePublisher(topic, Node);
                }
            }
            _advertised.Clear();
            foreach (var service in _services)
            {
                _graph.RemoveService(service, Node);
            }
            _services.Clear();
        }
        foreach (var pending in _serviceRequests.Values)
        {
            pending.TrySetException(new InvalidOperationException("The service provider disconnected"));
        }
    }

    private sealed record SubscriptionOptions(int ThrottleRateMs, int QueueLength, int? FragmentSize, string Compression);

    /// <summary>One topic subscribed by this client, merging the options of every subscribe to it as rosbridge does.</summary>
    private sealed class TopicSubscription(BridgeSession session, RosGraph.Topic topic) : IDisposable
    {
        private readonly Dictionary<string, SubscriptionOptions> _clients = new(StringComparer.Ordinal);
        private IDisposable? _listener;
        private long _lastSentTicks = long.MinValue;
        private int _throttleMs;
        private string _compression = "none";

        public RosGraph.Topic Topic { get; } = topic;

        public void Attach() => _listener = Topic.Listen(Node, Deliver);

        public void Add(string sid, SubscriptionOptions options)
        {
            lock (_clients)
            {
                _clients[sid] = options;
                Update();
            }
        }

        /// <summary>Removes one subscription id (all of them when null); true when none is left.</summary>
        public bool Remove(string? sid)
        {
            lock (_clients)
            {
                if (sid is null)
                {
                    _clients.Clear();
                }
                else
                {
                    _clients.Remove(sid);
                }
                Update();
                return _clients.Count == 0;
            }
        }

        public void Deliver(JsonObject message)
        {
            int throttle;
            string compression;
            lock (_clients)
            {
                throttle = _throttleMs;
                compression = _compression;
                var now = session._time.GetTimestamp();
                if (throttle > 0 && _lastSentTicks != long.MinValue && session._time.GetElapsedTime(_lastSentTicks, now).TotalMilliseconds < throttle)
                {
                    return;
                }
                _lastSentTicks = now;
            }
            session.Send(new JsonObject { ["op"] = "publish", ["topic"] = Topic.Name, ["msg"] = message.DeepClone() }, compression, Topic.Type);
        }

        public void Dispose() => _listener?.Dispose();

        private void Update()
        {
            if (_clients.Count == 0)
            {
                _throttleMs = 0;
                _compression = "none";
                return;
            }
            _throttleMs = _clients.Values.Min(c => c.ThrottleRateMs);
            var all = _clients.Values.Select(c => c.Compression).ToList();
            _compression = all.Contains("cbor-raw") ? "cbor-raw" : all.Contains("cbor") ? "cbor" : all.Contains("png") ? "png" : "none";
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "[Client {ClientId}] {Op}: {Reason}")]
    private partial void LogOpError(int clientId, string op, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[Client {ClientId}] refused {What}")]
    private partial void LogRefused(int clientId, string what);
}

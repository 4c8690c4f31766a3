using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace RosaOS.RosSim.Graph;

/// <summary>A service handler: request in, response values out; throwing fails the call with the exception's message.</summary>
public delegate Task<JsonObject> ServiceHandler(JsonObject request, CancellationToken cancellationToken);

/// <summary>
/// An action server's goal execution: reports feedback through <paramref name="feedback"/>, returns the final status
/// (action_msgs/GoalStatus: 4 succeeded, 5 canceled, 6 aborted) and result. <paramref name="cancellationToken"/> is
/// cancelled when a client cancels the goal.
/// </summary>
public delegate Task<(int Status, JsonObject Result)> ActionHandler(JsonObject goal, Func<JsonObject, Task> feedback, CancellationToken cancellationToken);

/// <summary>
/// The simulated ROS 2 graph: topics with their publishers and subscribers, services, actions, nodes and parameters. The robot
/// and every rosbridge client meet here; a message published by one reaches every listener of the topic in order.
/// </summary>
public sealed class RosGraph
{
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Service> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ActionServer> _actions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, JsonNode?>> _parameters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _nodes = new(StringComparer.Ordinal);

    /// <summary>A topic: its type, who publishes and subscribes, and the in-process listeners.</summary>
    public sealed class Topic(string name, string type)
    {
        private readonly Lock _lock = new();
        private readonly List<(string Node, Action<JsonObject> Listener)> _listeners = [];

        public string Name { get; } = name;

        public string Type { get; } = type;

        public ConcurrentDictionary<string, int> Publishers { get; } = new(StringComparer.Ordinal);

        public JsonObject? Latched { get; set; }

        public bool Hidden => Name.Contains("/_action/", StringComparison.Ordinal);

        public IReadOnlyList<string> Subscribers
        {
            get
            {
                lock (_lock)
                {
                    return [.. _listeners.Select(l => l.Node).Distinct(StringComparer.Ordinal)];
                }
            }
        }

        public int ListenerCount
        {
            get
            {
                lock (_lock)
                {
                    return _listeners.Count;
                }
            }
        }

        public IDisposable Listen(string node, Action<JsonObject> listener)
        {
            var entry = (node, listener);
            lock (_lock)
            {
                _listeners.Add(entry);
            }
            return new Unsubscriber(() =>
            {
                lock (_lock)
                {
                    _listeners.Remove(entry);
                }
            });
        }

        public void Deliver(JsonObject message)
        {
            Action<JsonObject>[] listeners;
            lock (_lock)
            {
                listeners = [.. _listeners.Select(l => l.Listener)];
            }
            foreach (var listener in listeners)
            {
                listener(message);
            }
        }
    }

    /// <summary>A service and its provider.</summary>
    public sealed record Service(string Name, string Type, string Node, ServiceHandler Handler);

    /// <summary>An action server and its provider.</summary>
    public sealed record ActionServer(string Name, string Type, string Node, ActionHandler Handler);

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                dispose();
            }
        }
    }

    /// <summary>Every topic.</summary>
    public IEnumerable<Topic> Topics => _topics.Values;

    /// <summary>Every service.</summary>
    public IEnumerable<Service> Services => _services.Values;

    /// <summary>Every action server.</summary>
    public IEnumerable<ActionServer> Actions => _actions.Values;

    /// <summary>Every node name.</summary>
    public IEnumerable<string> Nodes => _nodes.Keys;

    /// <summary>Declares a node.</summary>
    public void AddNode(string node) => _nodes.TryAdd(node, 0);

    /// <summary>Removes a node (a client's connection node when it goes away).</summary>
    public void RemoveNode(string node) => _nodes.TryRemove(node, out _);

    /// <summary>The topic, created with <paramref name="type"/> when new; null when it exists with another type.</summary>
    public Topic? GetOrAddTopic(string name, string type)
    {
        var topic = _topics.GetOrAdd(name, n => new Topic(n, type));
        return topic.Type == type ? topic : null;
    }

    /// <summary>The topic or null.</summary>
    public Topic? FindTopic(string name) => _topics.TryGetValue(name, out var t) ? t : null;

    /// <summary>Drops a topic nobody publishes or listens to any more (client-made topics).</summary>
    public void Prune(string name)
    {
        if (_topics.TryGetValue(name, out var topic) && topic.Publishers.IsEmpty && topic.ListenerCount == 0 && topic.Latched is null)
        {
            _topics.TryRemove(name, out _);
        }
    }

    /// <summary>Publishes on a topic (created when new).</summary>
    public void Publish(string topic, string type, JsonObject message, bool latch = false)
    {
        var t = GetOrAddTopic(topic, type) ?? throw new InvalidOperationException($"Topic {topic} already has type {FindTopic(topic)?.Type}, not {type}");
        if (latch)
        {
            t.Latched = message;
        }
        t.Deliver(message);
    }

    /// <summary>Registers a publisher node on a topic.</summary>
    public Topic AddPublisher(string topic, string type, string node)
    {
        var t = GetOrAddTopic(topic, type) ?? throw new InvalidOperationException($"Topic {topic} already has type {FindTopic(topic)?.Type}, not {type}");
        t.Publishers.AddOrUpdate(node, 1, (_, n) => n + 1);
        return t;
    }

    /// <summary>Removes one registration of a publisher node.</summary>
    public void RemovePublisher(string topic, string node)
    {
        if (_topics.TryGetValue(topic, out var t) && t.Publishers.TryGetValue(node, out var n))
        {
            if (n <= 1)
            {
                t.Publishers.TryRemove(node, out _);
            }
            else
            {
                t.Publishers[node] = n - 1;
            }
            Prune(topic);
        }
    }

    /// <summary>Adds a service.</summary>
    public void AddService(string name, string type, string node, ServiceHandler handler)
    {
        AddNode(node);
        _services[name] = new Service(name, type, node, handler);
    }

    /// <summary>Removes a service if <paramref name="node"/> provides it.</summary>
    public void RemoveService(string name, string node)
    {
        if (_services.TryGetValue(name, out var s) && s.Node == node)
        {
            _services.TryRemove(name, out _);
        }
    }

    /// <summary>The service or null.</summary>
    public Service? FindService(string name) => _services.TryGetValue(name, out var s) ? s : null;

    /// <summary>Adds an action server (and its hidden status and feedback topics, as rclpy does).</summary>
    public void AddAction(string name, string type, string node, ActionHandler handler)
    {
        AddNode(node);
        _actions[name] = new ActionServer(name, type, node, handler);
        AddPublisher($"{name}/_action/status", "action_msgs/msg/GoalStatusArray", node);
        AddPublisher($"{name}/_action/feedback", MessageTypes.Canonical(type, "action") + "_FeedbackMessage", node);
    }

    /// <summary>The action server or null.</summary>
    public ActionServer? FindAction(string name) => _actions.TryGetValue(name, out var a) ? a : null;

    /// <summary>Declares a parameter on a node with its initial value.</summary>
    public void DeclareParameter(string node, string name, JsonNode? value)
    {
        AddNode(node);
        _parameters.GetOrAdd(node, _ => new(StringComparer.Ordinal))[name] = value;
    }

    /// <summary>A node's parameter: (true, value) when set.</summary>
    public (bool Found, JsonNode? Value) GetParameter(string node, string name)
        => _parameters.TryGetValue(node, out var p) && p.TryGetValue(name, out var v) && v is not null ? (true, v) : (false, null);

    /// <summary>Sets a parameter on an existing node; false when the node does not exist.</summary>
    public bool SetParameter(string node, string name, JsonNode? value)
    {
        if (!_parameters.TryGetValue(node, out var p))
        {
            return false;
        }
        if (value is null)
        {
            p.TryRemove(name, out _);
        }
        else
        {
            p[name] = value;
        }
        ParameterChanged?.Invoke(node, name, value);
        return true;
    }

    /// <summary>A node's parameter names.</summary>
    public IReadOnlyList<string> ParameterNames(string node)
        => _parameters.TryGetValue(node, out var p) ? [.. p.Keys.Order(StringComparer.Ordinal)] : [];

    /// <summary>Nodes that hold parameters.</summary>
    public IEnumerable<string> ParameterNodes => _parameters.Keys;

    /// <summary>Raised after a parameter changes (node, name, new value or null when deleted).</summary>
    public event Action<string, string, JsonNode?>? ParameterChanged;
}

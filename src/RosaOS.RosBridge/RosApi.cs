using System.Text.Json;
using System.Text.Json.Nodes;

namespace RosaOS.RosBridge;

/// <summary>
/// rosapi introspection over a <see cref="RosBridgeClient"/>, for ROS 1 (<c>/rosapi/*</c>) and ROS 2
/// (<c>/rosapi/*</c> or, on Jazzy launched with ros2 run, <c>/rosapi_node/*</c>), plus the type-name
/// form each accepts (ROS 1 rejects <c>pkg/msg/Type</c> silently).
/// </summary>
public sealed class RosApi(RosBridgeClient client)
{
    private string? _prefix;
    private int _version;

    /// <summary>The client this talks through.</summary>
    public RosBridgeClient Client { get; } = client;

    /// <summary>1 or 2; 0 until <see cref="DetectVersionAsync"/> has run.</summary>
    public int RosVersion => _version;

    /// <summary>Detects ROS 1 vs ROS 2 (get_ros_version exists only on ROS 2) and the rosapi service prefix.</summary>
    public async Task<(int Version, string Distro)> DetectVersionAsync(CancellationToken cancellationToken = default)
    {
        var ros2 = await TryVersionAsync("/rosapi", cancellationToken);
        if (ros2 is null)
        {
            try
            {
                var distro = await Client.CallServiceAsync("/rosapi/get_param", new JsonObject { ["name"] = "/rosdistro", ["default"] = "\"\"" }, null, null, cancellationToken);
                _prefix = "/rosapi";
                _version = 1;
                return (1, DecodeParam(distro?["value"]?.ToString())?.ToString().Trim() ?? "");
            }
            catch (RosServiceFailedException)
            {
                // No /rosapi at all: Jazzy's rosapi started with `ros2 run` lives under /rosapi_node.
                ros2 = await TryVersionAsync("/rosapi_node", cancellationToken)
                    ?? throw new RosBridgeException("rosapi is not running on the robot (neither /rosapi nor /rosapi_node answers); start rosbridge with its launch file.");
            }
        }
        return ros2.Value;
    }

    private async Task<(int, string)?> TryVersionAsync(string prefix, CancellationToken cancellationToken)
    {
        try
        {
            var values = await Client.CallServiceAsync(prefix + "/get_ros_version", null, "rosapi_msgs/srv/GetROSVersion", null, cancellationToken);
            _prefix = prefix;
            _version = values?["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 2;
            return (_version, values?["distro"]?.ToString() ?? "");
        }
        catch (RosServiceFailedException)
        {
            return null;
        }
    }

    /// <summary>Rewrites a type name to the form this ROS accepts: pkg/Type on ROS 1, pkg/msg/Type on ROS 2.</summary>
    public string NormalizeType(string type, string kind = "msg")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        var parts = type.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 2 or > 3)
        {
            throw new ArgumentException($"'{type}' is not a ROS type name (expected pkg/Type or pkg/{kind}/Type).");
        }
        return _version == 2 ? $"{parts[0]}/{(parts.Length == 3 ? parts[1] : kind)}/{parts[^1]}" : $"{parts[0]}/{parts[^1]}";
    }

    /// <summary>Calls a rosapi service by short name (topics, topic_type, …) on the detected prefix.</summary>
    public async Task<JsonObject> CallAsync(string name, JsonObject? args = null, CancellationToken cancellationToken = default)
    {
        if (_prefix is null)
        {
            await DetectVersionAsync(cancellationToken);
        }
        var values = await Client.CallServiceAsync($"{_prefix}/{name}", args, null, null, cancellationToken);
        return values as JsonObject ?? new JsonObject();
    }

    public async Task<(string[] Topics, string[] Types)> TopicsAsync(CancellationToken cancellationToken = default)
    {
        var v = await CallAsync("topics", null, cancellationToken);
        return (Strings(v["topics"]), Strings(v["types"]));
    }

    public async Task<string> TopicTypeAsync(string topic, CancellationToken cancellationToken = default)
        => (await CallAsync("topic_type", new JsonObject { ["topic"] = topic }, cancellationToken))["type"]?.ToString() ?? "";

    public async Task<string[]> PublishersAsync(string topic, CancellationToken cancellationToken = default)
        => Strings((await CallAsync("publishers", new JsonObject { ["topic"] = topic }, cancellationToken))["publishers"]);

    public async Task<string[]> SubscribersAsync(string topic, CancellationToken cancellationToken = default)
        => Strings((await CallAsync("subscribers", new JsonObject { ["topic"] = topic }, cancellationToken))["subscribers"]);

    public async Task<JsonObject> MessageDetailsAsync(string type, CancellationToken cancellationToken = default)
        => await CallAsync("message_details", new JsonObject { ["type"] = NormalizeType(type) }, cancellationToken);

    public async Task<string[]> ServicesAsync(CancellationToken cancellationToken = default)
        => Strings((await CallAsync("services", null, cancellationToken))["services"]);

    public async Task<string> ServiceTypeAsync(string service, CancellationToken cancellationToken = default)
        => (await CallAsync("service_type", new JsonObject { ["service"] = service }, cancellationToken))["type"]?.ToString() ?? "";

    public async Task<JsonObject> ServiceRequestDetailsAsync(string type, CancellationToken cancellationToken = default)
        => await CallAsync("service_request_details", new JsonObject { ["type"] = NormalizeType(type, "srv") }, cancellationToken);

    public async Task<JsonObject> ServiceResponseDetailsAsync(string type, CancellationToken cancellationToken = default)
        => await CallAsync("service_response_details", new JsonObject { ["type"] = NormalizeType(type, "srv") }, cancellationToken);

    public async Task<string> ServiceNodeAsync(string service, CancellationToken cancellationToken = default)
        => (await CallAsync("service_node", new JsonObject { ["service"] = service }, cancellationToken))["node"]?.ToString() ?? "";

    public async Task<string[]> NodesAsync(CancellationToken cancellationToken = default)
        => Strings((await CallAsync("nodes", null, cancellationToken))["nodes"]);

    public async Task<JsonObject> NodeDetailsAsync(string node, CancellationToken cancellationToken = default)
        => await CallAsync("node_details", new JsonObject { ["node"] = node }, cancellationToken);

    public async Task<string[]> ActionServersAsync(CancellationToken cancellationToken = default)
        => [.. Strings((await CallAsync("action_servers", null, cancellationToken))["action_servers"]).Distinct(StringComparer.Ordinal)];

    public async Task<string[]> ParamNamesAsync(CancellationToken cancellationToken = default)
        => Strings((await CallAsync("get_param_names", null, cancellationToken))["names"]);

    /// <summary>Reads a parameter; rosapi answers with JSON text, decoded here (null when unset).</summary>
    public async Task<JsonNode?> GetParamAsync(string name, CancellationToken cancellationToken = default)
    {
        var args = new JsonObject { ["name"] = name };
        args[_version == 2 ? "default_value" : "default"] = "null";
        return DecodeParam((await CallAsync("get_param", args, cancellationToken))["value"]?.ToString());
    }

    /// <summary>Sets a parameter to a JSON value.</summary>
    public Task SetParamAsync(string name, JsonNode? value, CancellationToken cancellationToken = default)
        => CallAsync("set_param", new JsonObject { ["name"] = name, ["value"] = value?.ToJsonString() ?? "null" }, cancellationToken);

    public Task DeleteParamAsync(string name, CancellationToken cancellationToken = default)
        => CallAsync("delete_param", new JsonObject { ["name"] = name }, cancellationToken);

    private static JsonNode? DecodeParam(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static string[] Strings(JsonNode? node)
        => node is JsonArray a ? [.. a.Select(x => x?.ToString() ?? "")] : [];
}

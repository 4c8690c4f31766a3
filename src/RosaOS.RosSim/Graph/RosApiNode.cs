using System.Text.Json;
using System.Text.Json.Nodes;

namespace RosaOS.RosSim.Graph;

/// <summary>
/// The rosapi node of rosbridge_suite's ROS 2 branch, over the simulated graph: the same service names and types, the same
/// answers (hidden <c>_action</c> topics left out of <c>topics</c>, parameters named <c>node:param</c> with JSON-text values,
/// an empty answer for a malformed parameter name, <c>get_ros_version</c> → 2).
/// </summary>
public static class RosApiNode
{
    /// <summary>The rosapi node's name.</summary>
    public const string Node = "/rosapi";

    /// <summary>Registers every rosapi service on <paramref name="graph"/>.</summary>
    public static void Register(RosGraph graph, string distro, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(time);
        void Add(string name, string type, Func<JsonObject, JsonObject> handler)
            => graph.AddService($"/rosapi/{name}", $"rosapi_msgs/srv/{type}", Node, (request, _) => Task.FromResult(handler(request)));

        Add("topics", "Topics", _ => TopicsAndTypes(graph, false));
        Add("topics_for_type", "TopicsForType", r => new() { ["topics"] = Strings(graph.Topics.Where(t => !t.Hidden && t.Type == MessageTypes.Canonical(Str(r, "type"), "msg")).Select(t => t.Name)) });
        Add("topics_and_raw_types", "TopicsAndRawTypes", _ =>
        {
            var result = TopicsAndTypes(graph, false);
            result["typedefs_full_text"] = Strings(((JsonArray)result["types"]!).Select(t => MessageTypes.DefinitionText(t!.ToString())));
            return result;
        });
        Add("topic_type", "TopicType", r => new() { ["type"] = graph.FindTopic(Str(r, "topic")) is { } t ? t.Type : "" });
        Add("publishers", "Publishers", r => new() { ["publishers"] = Strings((graph.FindTopic(Str(r, "topic"))?.Publishers.Keys ?? []).Order(StringComparer.Ordinal)) });
        Add("subscribers", "Subscribers", r => new() { ["subscribers"] = Strings((graph.FindTopic(Str(r, "topic"))?.Subscribers ?? []).Order(StringComparer.Ordinal)) });
        Add("services", "Services", _ => new() { ["services"] = Strings(graph.Services.Select(s => s.Name).Order(StringComparer.Ordinal)) });
        Add("service_type", "ServiceType", r => new() { ["type"] = graph.FindService(Str(r, "service"))?.Type ?? "" });
        Add("services_for_type", "ServicesForType", r => new() { ["services"] = Strings(graph.Services.Where(s => s.Type == MessageTypes.Canonical(Str(r, "type"), "srv")).Select(s => s.Name).Order(StringComparer.Ordinal)) });
        Add("service_providers", "ServiceProviders", r => new() { ["providers"] = Strings(graph.FindService(Str(r, "service")) is { } s ? [s.Node] : []) });
        Add("service_node", "ServiceNode", r => new() { ["node"] = graph.FindService(Str(r, "service"))?.Node ?? "" });
        Add("service_request_details", "ServiceRequestDetails", r => Details(Str(r, "type"), t => MessageTypes.ServicePart(t, false), "srv", "Request"));
        Add("service_response_details", "ServiceResponseDetails", r => Details(Str(r, "type"), t => MessageTypes.ServicePart(t, true), "srv", "Response"));
        Add("message_details", "MessageDetails", r => Details(Str(r, "type"), MessageTypes.Fields, "msg", null));
        Add("action_goal_details", "ActionGoalDetails", r => Details(Str(r, "type"), t => MessageTypes.ActionPart(t, 0), "action", "Goal"));
        Add("action_result_details", "ActionResultDetails", r => Details(Str(r, "type"), t => MessageTypes.ActionPart(t, 1), "action", "Result"));
        Add("action_feedback_details", "ActionFeedbackDetails", r => Details(Str(r, "type"), t => MessageTypes.ActionPart(t, 2), "action", "Feedback"));
        Add("nodes", "Nodes", _ => new() { ["nodes"] = Strings(graph.Nodes.Order(StringComparer.Ordinal)) });
        Add("node_details", "NodeDetails", r =>
        {
            var node = Str(r, "node");
            return new()
            {
                ["subscribing"] = Strings(graph.Topics.Where(t => t.Subscribers.Contains(node)).Select(t => t.Name).Order(StringComparer.Ordinal)),
                ["publishing"] = Strings(graph.Topics.Where(t => t.Publishers.ContainsKey(node)).Select(t => t.Name).Order(StringComparer.Ordinal)),
                ["services"] = Strings(graph.Services.Where(s => s.Node == node).Select(s => s.Name).Order(StringComparer.Ordinal)),
            };
        });
        Add("action_servers", "GetActionServers", _ => new() { ["action_servers"] = Strings(graph.Actions.Select(a => a.Name).Order(StringComparer.Ordinal)) });
        Add("interfaces", "Interfaces", _ => new() { ["interfaces"] = Strings(MessageTypes.Messages.Concat(MessageTypes.Services).Concat(MessageTypes.Actions).Order(StringComparer.Ordinal)) });
        Add("get_ros_version", "GetROSVersion", _ => new() { ["version"] = 2, ["distro"] = distro });
        Add("get_time", "GetTime", _ => new() { ["time"] = Stamp(time.GetUtcNow()) });
        Add("get_param_names", "GetParamNames", _ => new()
        {
            ["names"] = Strings(graph.ParameterNodes.Order(StringComparer.Ordinal).SelectMany(n => graph.ParameterNames(n).Select(p => $"{n}:{p}"))),
        });
        Add("get_param", "GetParam", r =>
        {
            if (!TrySplit(Str(r, "name"), out var node, out var name))
            {
                return new() { ["value"] = "" };
            }
            var (found, value) = graph.GetParameter(node, name);
            if (found)
            {
                return new() { ["value"] = value!.ToJsonString() };
            }
            // rosapi answers the default, JSON-decoded when it parses, re-encoded.
            var fallback = Str(r, "default_value");
            JsonNode? decoded;
            try
            {
                decoded = fallback.Length == 0 ? JsonValue.Create("") : JsonNode.Parse(fallback);
            }
            catch (JsonException)
            {
                decoded = JsonValue.Create(fallback);
            }
            return new() { ["value"] = decoded?.ToJsonString() ?? "null" };
        });
        Add("has_param", "HasParam", r => new() { ["exists"] = TrySplit(Str(r, "name"), out var node, out var name) && graph.GetParameter(node, name).Found });
        Add("set_param", "SetParam", r =>
        {
            if (TrySplit(Str(r, "name"), out var node, out var name))
            {
                JsonNode? value;
                try
                {
                    value = JsonNode.Parse(Str(r, "value"));
                }
                catch (JsonException)
                {
                    throw new InvalidOperationException("Due to the type flexibility of the ROS parameter server, the value argument to set_param must be a JSON-formatted string.");
                }
                graph.SetParameter(node, name, value);
            }
            return [];
        });
        Add("delete_param", "DeleteParam", r =>
        {
            var nodeName = Str(r, "node_name");
            var full = Str(r, "name");
            if (nodeName.Length > 0)
            {
                graph.SetParameter(Absolute(nodeName), full, null);
            }
            else if (TrySplit(full, out var node, out var name))
            {
                graph.SetParameter(node, name, null);
            }
            return [];
        });
    }

    /// <summary>A builtin_interfaces/Time of <paramref name="t"/>.</summary>
    public static JsonObject Stamp(DateTimeOffset t)
    {
        var ticks = t.ToUnixTimeMilliseconds();
        return new JsonObject { ["sec"] = (int)(ticks / 1000), ["nanosec"] = (uint)(ticks % 1000 * 1_000_000) };
    }

    private static JsonObject TopicsAndTypes(RosGraph graph, bool hidden)
    {
        var topics = graph.Topics.Where(t => hidden || !t.Hidden).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        return new JsonObject { ["topics"] = Strings(topics.Select(t => t.Name)), ["types"] = Strings(topics.Select(t => t.Type)) };
    }

    private static JsonObject Details(string type, Func<string, IReadOnlyList<RosField>?> lookup, string kind, string? suffix)
    {
        var fields = lookup(type);
        var canonical = MessageTypes.Canonical(type, kind);
        if (fields is null || canonical is null)
        {
            throw new InvalidOperationException($"Unable to load the interface {type}");
        }
        return new JsonObject { ["typedefs"] = MessageTypes.TypeDefs(suffix is null ? canonical : $"{canonical}_{suffix}", fields) };
    }

    private static bool TrySplit(string full, out string node, out string name)
    {
        var parts = full.Split(':');
        if (parts.Length != 2)
        {
            node = name = "";
            return false;
        }
        node = Absolute(parts[0]);
        name = parts[1];
        return true;
    }

    private static string Absolute(string node) => node.StartsWith('/') ? node : "/" + node;

    private static string Str(JsonObject request, string field) => request[field] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(s => JsonValue.Create(s))]);
}

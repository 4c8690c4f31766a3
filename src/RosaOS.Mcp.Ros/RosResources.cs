using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>ros-mcp-server's MCP resources: the robot's ROS graph (<c>ros-mcp://ros-metadata/…</c>) and the verified robots.</summary>
[McpServerResourceType]
public sealed class RosResources(RobotSession robot, VerifiedRobots robots)
{
    [McpServerResource(UriTemplate = "ros-mcp://ros-metadata/all", Name = "ros-metadata-all", MimeType = "application/json")]
    [Description("Topics (with types), services, nodes and actions of the robot.")]
    public async Task<string> All(CancellationToken cancellationToken)
        => await Read(async () =>
        {
            var (topics, types) = await robot.Api.TopicsAsync(cancellationToken);
            return new JsonObject
            {
                ["robot"] = robot.Options.Name,
                ["ros_version"] = await robot.RosVersionAsync(cancellationToken),
                ["topics"] = Topics(topics, types),
                ["services"] = Strings(await robot.Api.ServicesAsync(cancellationToken)),
                ["nodes"] = Strings(await robot.Api.NodesAsync(cancellationToken)),
                ["actions"] = Strings(await ActionsAsync(cancellationToken)),
            };
        });

    [McpServerResource(UriTemplate = "ros-mcp://ros-metadata/topics/all", Name = "ros-metadata-topics", MimeType = "application/json")]
    [Description("The robot's topics with their types.")]
    public async Task<string> AllTopics(CancellationToken cancellationToken)
        => await Read(async () =>
        {
            var (topics, types) = await robot.Api.TopicsAsync(cancellationToken);
            return new JsonObject { ["topics"] = Topics(topics, types), ["count"] = topics.Length };
        });

    [McpServerResource(UriTemplate = "ros-mcp://ros-metadata/services/all", Name = "ros-metadata-services", MimeType = "application/json")]
    [Description("The robot's services.")]
    public async Task<string> AllServices(CancellationToken cancellationToken)
        => await Read(async () =>
        {
            var services = await robot.Api.ServicesAsync(cancellationToken);
            return new JsonObject { ["services"] = Strings(services), ["count"] = services.Length };
        });

    [McpServerResource(UriTemplate = "ros-mcp://ros-metadata/nodes/all", Name = "ros-metadata-nodes", MimeType = "application/json")]
    [Description("The robot's ROS nodes.")]
    public async Task<string> AllNodes(CancellationToken cancellationToken)
        => await Read(async () =>
        {
            var nodes = await robot.Api.NodesAsync(cancellationToken);
            return new JsonObject { ["nodes"] = Strings(nodes), ["count"] = nodes.Length };
        });

    [McpServerResource(UriTemplate = "ros-mcp://ros-metadata/actions/all", Name = "ros-metadata-actions", MimeType = "application/json")]
    [Description("The robot's action servers (ROS 2).")]
    public async Task<string> AllActions(CancellationToken cancellationToken)
        => await Read(async () =>
        {
            var actions = await ActionsAsync(cancellationToken);
            return new JsonObject { ["actions"] = Strings(actions), ["count"] = actions.Length };
        });

    [McpServerResource(UriTemplate = "ros-mcp://robot-specs/get_verified_robots_list", Name = "verified-robots", MimeType = "application/json")]
    [Description("The robots with a verified specification (see the get_verified_robot_spec tool).")]
    public string VerifiedRobotsList()
        => new JsonObject { ["robot_specifications"] = Strings(robots.Names), ["count"] = robots.Names.Count }.ToJsonString();

    // As the get_actions tool.
    private Task<string[]> ActionsAsync(CancellationToken cancellationToken) => robot.Api.ActionServersAsync(cancellationToken);

    private static JsonArray Topics(string[] topics, string[] types)
        => new([.. topics.Select((t, i) => (JsonNode)new JsonObject { ["name"] = t, ["type"] = i < types.Length ? types[i] : "" })]);

    private static JsonArray Strings(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode)JsonValue.Create(i))]);

    private static async Task<string> Read(Func<Task<JsonObject>> body)
    {
        try
        {
            return (await body()).ToJsonString();
        }
        catch (RosBridgeException ex)
        {
            throw new McpException($"The robot's ROS graph cannot be read now: {ex.Message}", ex);
        }
    }
}

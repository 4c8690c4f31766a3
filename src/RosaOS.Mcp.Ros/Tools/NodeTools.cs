using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// The robot's ROS nodes. Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class NodeTools(RobotSession robot)
{
    [McpServerTool(Name = "get_nodes", ReadOnly = true), Description("List the robot's ROS nodes.")]
    public async Task<string> GetNodes(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var nodes = await robot.Api.NodesAsync(cancellationToken);
            return new JsonObject { ["nodes"] = Strings(nodes), ["node_count"] = nodes.Length };
        });

    [McpServerTool(Name = "get_node_details", ReadOnly = true), Description("Topics a node publishes and subscribes, and its services.")]
    public async Task<string> GetNodeDetails([Description("Node name, e.g. /fake_turtlebot")] string node, CancellationToken cancellationToken = default)
        => await Run(async () => await robot.Api.NodeDetailsAsync(RequireName(node, "node"), cancellationToken));
}

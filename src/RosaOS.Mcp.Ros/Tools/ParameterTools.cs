using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// The robot's parameters (writes pass the safety envelope's refusals). Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class ParameterTools(RobotSession robot)
{
    [McpServerTool(Name = "get_parameters", ReadOnly = true), Description("List parameter names.")]
    public async Task<string> GetParameters(CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject { ["names"] = Strings(await robot.Api.ParamNamesAsync(cancellationToken)) });

    [McpServerTool(Name = "get_parameter", ReadOnly = true), Description("Read a parameter (null when unset).")]
    public async Task<string> GetParameter([Description("Parameter name, e.g. /fake_turtlebot/max_speed")] string name, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            await robot.RosVersionAsync(cancellationToken);
            return new JsonObject { ["name"] = name, ["value"] = (await robot.Api.GetParamAsync(RequireName(name, "name"), cancellationToken))?.DeepClone() };
        });

    [McpServerTool(Name = "set_parameter", Destructive = true), Description("Set a parameter to a JSON value (number, string, bool, list or object).")]
    public async Task<string> SetParameter([Description("Parameter name")] string name, [Description("The value")] JsonElement value, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            robot.Refuse("parameter", RequireName(name, "name"));
            var node = JsonNode.Parse(value.GetRawText());
            await robot.Api.SetParamAsync(name, node, cancellationToken);
            return new JsonObject { ["name"] = name, ["value"] = node?.DeepClone(), ["success"] = true };
        });

    [McpServerTool(Name = "delete_parameter", Destructive = true), Description("Delete a parameter.")]
    public async Task<string> DeleteParameter([Description("Parameter name")] string name, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            robot.Refuse("parameter", RequireName(name, "name"));
            await robot.Api.DeleteParamAsync(name, cancellationToken);
            return new JsonObject { ["name"] = name, ["deleted"] = true };
        });
}

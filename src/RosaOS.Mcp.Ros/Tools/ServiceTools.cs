using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// The robot's services: listing, describing and calling them (calls pass the safety envelope). Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class ServiceTools(RobotSession robot)
{
    [McpServerTool(Name = "get_services", ReadOnly = true), Description("List the robot's services.")]
    public async Task<string> GetServices(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var services = await robot.Api.ServicesAsync(cancellationToken);
            return new JsonObject { ["services"] = Strings(services), ["service_count"] = services.Length };
        });

    [McpServerTool(Name = "get_service_type", ReadOnly = true), Description("The type of a service.")]
    public async Task<string> GetServiceType([Description("Service name")] string service, CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject
        {
            ["service"] = service,
            ["type"] = NonEmpty(await robot.Api.ServiceTypeAsync(RequireName(service, "service"), cancellationToken), $"Service {service} does not exist (see get_services)."),
        });

    [McpServerTool(Name = "get_service_details", ReadOnly = true), Description("Type, request and response fields, and provider node of a service.")]
    public async Task<string> GetServiceDetails([Description("Service name")] string service, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            await robot.RosVersionAsync(cancellationToken);
            var type = NonEmpty(await robot.Api.ServiceTypeAsync(RequireName(service, "service"), cancellationToken), $"Service {service} does not exist (see get_services).");
            return new JsonObject
            {
                ["service"] = service,
                ["type"] = type,
                ["request"] = (await robot.Api.ServiceRequestDetailsAsync(type, cancellationToken))["typedefs"]?.DeepClone(),
                ["response"] = (await robot.Api.ServiceResponseDetailsAsync(type, cancellationToken))["typedefs"]?.DeepClone(),
                ["provider"] = await robot.Api.ServiceNodeAsync(service, cancellationToken),
            };
        });

    [McpServerTool(Name = "call_service", Destructive = true), Description("Call a ROS service and return its response. A timeout means no answer in time (the robot may still act); a failure means the robot answered with an error.")]
    public async Task<string> CallService(
        [Description("Service name, e.g. /dock")] string? service_name = null,
        [Description("Service type, e.g. std_srvs/srv/Trigger")] string? service_type = null,
        [Description("Request fields as a JSON object")] JsonElement? request = null,
        [Description("Seconds to wait for the answer (max 300)")] double timeout = 5,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            service_name = RequireName(service_name, "service_name");
            service_type = RequireType(service_type);
            var wait = Seconds(timeout, "timeout");
            robot.Refuse("service", service_name);
            var args = request is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } r ? ObjectOf(r, "request") : new JsonObject();
            var notes = robot.Safety.ApplyBounds("service", service_name, args);
            var version = await robot.RosVersionAsync(cancellationToken);
            robot.ThrowIfStopped();
            var values = await robot.Client.CallServiceAsync(service_name, args, version == 2 ? robot.Api.NormalizeType(service_type, "srv") : service_type, wait, cancellationToken);
            return new JsonObject { ["service"] = service_name, ["success"] = true, ["request"] = args.DeepClone(), ["clamped"] = Strings(notes), ["response"] = values?.DeepClone() };
        });
}

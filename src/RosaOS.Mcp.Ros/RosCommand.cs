using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Hosting.Watches;
using RosaOS.Mcp.Arguments;
using RosaOS.Mcp.Ros.Tools;

namespace RosaOS.Mcp.Ros;

/// <summary>The `rosa ros` sub-command: one MCP server for one ROS robot, through its rosbridge.</summary>
public static class RosCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Robot name: its drivers.json key (turtlebot, dog); its 'ros' section gives the defaults.", DefaultValueFactory = _ => "turtlebot" };
        var rosbridge = new Option<string?>("--rosbridge") { Description = "rosbridge WebSocket URL, e.g. ws://192.168.1.20:9090." };
        var port = new Option<int?>("--port") { Description = "MCP HTTP port (default: the drivers.json entry's, else 9091)." };
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var stdio = new Option<bool>("--stdio") { Description = "Serve MCP over stdin/stdout instead of HTTP." };
        var camera = new Option<string?>("--camera-topic") { Description = "Default camera topic of capture_camera_image." };
        var images = new Option<string?>("--images-dir") { Description = "Images folder shared with the Reachy server's describe_image (default: <data>/images)." };
        var drivers = new Option<string?>("--drivers") { Description = "drivers.json to read the robot's 'ros' section from (default: <config>/drivers.json)." };
        var kernelUrl = new Option<string?>("--kernel-url") { Description = "Kernel URL that watches report to (default RAG_AGENT_URL, else http://localhost:RAG_AGENT_PORT)." };
        var command = new Command("ros", "Run an MCP server for one ROS robot through rosbridge.") { name, rosbridge, port, host, stdio, camera, images, drivers, kernelUrl };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A SIGTERM before the first await would find System.CommandLine's handler not ready (exit 143, no clean stop).
            await Task.Yield();
            RosRobotOptions options;
            ApprovalOptions? approval;
            VerifiedRobots robots;
            WatchSettings watches;
            try
            {
                var robotName = parse.GetValue(name)!;
                var config = DriversConfig.LoadFile(parse.GetValue(drivers) ?? Path.Combine(RosaEnvironment.ConfigDirectory, "drivers.json"));
                var entry = config.Find(robotName);
                approval = entry?.Approval;
                robots = VerifiedRobots.From(config);
                options = entry?.Ros ?? new RosRobotOptions { Name = robotName, Port = entry?.Port ?? 9091 };
                if (entry is { Enabled: false })
                {
                    // Started by hand on purpose: serve it, but say why rosa up and the kernel leave it out.
                    await Console.Error.WriteLineAsync($"rosa ros: note: {robotName} is disabled ({config.DisabledReason(entry)}); rosa up does not start it and the kernel does not offer it.");
                }
                options.Rosbridge = parse.GetValue(rosbridge) ?? options.Rosbridge;
                options.Port = parse.GetValue(port) ?? options.Port;
                options.CameraTopic = parse.GetValue(camera) ?? options.CameraTopic;
                options.ImagesDir = parse.GetValue(images) ?? options.ImagesDir;
                options.Validate();
                watches = WatchSettings.Resolve(parse.GetValue(kernelUrl));
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or DriversConfigException)
            {
                await Console.Error.WriteLineAsync($"rosa ros: {ex.Message}");
                return 2;
            }
            return parse.GetValue(stdio)
                ? await RunStdioAsync(options, approval, robots, watches, cancellationToken)
                : await RunHttpAsync(options, approval, robots, watches, parse.GetValue(host)!, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunHttpAsync(RosRobotOptions options, ApprovalOptions? approval, VerifiedRobots robots, WatchSettings watches, string host, CancellationToken cancellationToken)
    {
        var builder = RosaWebHost.CreateBuilder("ros-" + options.Name, host, options.Port);
        AddRobot(builder.Services, options, approval, robots, watches).WithHttpTransport();
        var app = builder.Build();
        var robot = app.Services.GetRequiredService<RobotSession>();
        app.UseHostFiltering();
        app.MapRosaHealth(_ => new System.Text.Json.Nodes.JsonObject
        {
            ["robot"] = options.Name,
            ["rosbridge"] = options.Rosbridge,
            ["connected"] = robot.Client.IsConnected,
            ["reconnects"] = robot.Client.Reconnects,
            ["active_motions"] = robot.ActiveMotions,
            ["estop"] = System.Text.Json.JsonSerializer.SerializeToNode(app.Services.GetRequiredService<EmergencyStopLatch>().State, EstopJson.Default.EstopState),
        });
        app.MapMcp("/mcp");
        app.MapEmergencyStop();
        app.MapLease();
        app.MapApprovals();
        app.MapWatches(app.Services.GetRequiredService<RobotWatches>());
        robot.Client.Start();
        app.Services.GetRequiredService<RobotWatches>().Start();
        await app.RunAsync(cancellationToken);
        return 0;
    }

    private static async Task<int> RunStdioAsync(RosRobotOptions options, ApprovalOptions? approval, VerifiedRobots robots, WatchSettings watches, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        // stdout carries the MCP protocol; every log line goes to stderr.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        AddRobot(builder.Services, options, approval, robots, watches).WithStdioServerTransport();
        var app = builder.Build();
        app.Services.GetRequiredService<RobotSession>().Client.Start();
        app.Services.GetRequiredService<RobotWatches>().Start();
        await app.RunAsync(cancellationToken);
        return 0;
    }

    private static IMcpServerBuilder AddRobot(IServiceCollection services, RosRobotOptions options, ApprovalOptions? approval, VerifiedRobots robots, WatchSettings watches)
    {
        services.AddSingleton(options);
        services.AddSingleton(robots);
        services.AddSingleton<RobotSession>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(watches);
        services.AddSingleton<RobotWatches>();
        services.AddEmergencyStop<RosStopEffects>(options.Name);
        var mcp = services.AddMcpServer(o => o.ServerInfo = new() { Name = $"rosa-ros-{options.Name}", Version = RosaWebHost.Version })
            .WithTools<ConnectionTools>()
            .WithTools<TopicTools>()
            .WithTools<PublishTools>()
            .WithTools<ServiceTools>()
            .WithTools<NodeTools>()
            .WithTools<ParameterTools>()
            .WithTools<ActionTools>()
            .WithTools<ImageTools>()
            .WithTools<RosParityTools>()
            .WithTools<WatchTools>()
            .WithResources<RosResources>()
            .WithPrompts<RosPrompts>()
            .WithEmergencyStop()
            .WithLease(options.Name)
            .WithToolArgumentBinding();
        if (approval is { IsEmpty: false })
        {
            // After the stop and lease filters: a call they refuse never asks a person.
            mcp.WithApprovals(options.Name, ApprovalPolicyFor(approval));
        }
        return mcp;
    }

    /// <summary>
    /// The ROS reading of a drivers.json approval section: the tool names, and the topic, service, action or parameter
    /// each writing tool names in its arguments, matched against the section's patterns.
    /// </summary>
    public static ApprovalPolicy ApprovalPolicyFor(ApprovalOptions approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return new ApprovalPolicy(TimeSpan.FromSeconds(approval.TimeoutSeconds), (tool, arguments) =>
        {
            (string Kind, string Argument)? target = tool switch
            {
                "publish_once" or "publish_for_durations" => ("topic", "topic"),
                "call_service" => ("service", "service_name"),
                "send_action_goal" => ("action", "action_name"),
                "set_parameter" or "delete_parameter" => ("parameter", "name"),
                _ => null,
            };
            var name = target is { } t && arguments.TryGetValue(t.Argument, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String
                ? value.GetString()?.Trim() : null;
            return approval.Reason(tool, target?.Kind, name);
        });
    }
}

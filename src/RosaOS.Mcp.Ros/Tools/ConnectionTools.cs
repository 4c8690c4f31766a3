using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// Reaching the robot and stopping it: connect_to_robot, ping_robot, detect_ros_version, stop_robot. Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class ConnectionTools(RobotSession robot)
{
    [McpServerTool(Name = "connect_to_robot", ReadOnly = true), Description("Check the connection to this server's robot and report the ROS version. Its rosbridge address is fixed by configuration: ip/port may be given (as in ros-mcp-server) but must be that address.")]
    public async Task<string> ConnectToRobot(
        [Description("rosbridge host; optional, must be this robot's")] string? ip = null,
        [Description("rosbridge port; optional, must be this robot's")] int? port = null,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            // Retargeting would move the per-robot safety envelope, lease and stop to a robot they were not written
            // for; another robot is another drivers.json entry (its own rosa ros).
            var url = robot.Client.Url;
            if ((!string.IsNullOrWhiteSpace(ip) && !string.Equals(ip.Trim(), url.Host, StringComparison.OrdinalIgnoreCase)
                    && !(IsLocal(ip.Trim()) && IsLocal(url.Host)))
                || (port is { } p && p != url.Port))
            {
                throw new McpException($"connect_to_robot: this server drives only {robot.Options.Name} at {url.Host}:{url.Port}, got ip '{ip}', port {port}. " +
                    "Another robot needs its own drivers.json entry, with its own safety settings; call its tools instead.");
            }
            var watch = Stopwatch.StartNew();
            var version = await robot.RosVersionAsync(cancellationToken);
            return new JsonObject
            {
                ["connected"] = robot.Client.IsConnected,
                ["robot"] = robot.Options.Name,
                ["rosbridge"] = robot.Client.Url.ToString(),
                ["ros_version"] = version,
                ["round_trip_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
            };
        });

    [McpServerTool(Name = "ping_robot", ReadOnly = true), Description("Measure the round trip to the robot through rosbridge (one rosapi call).")]
    public async Task<string> PingRobot(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var watch = Stopwatch.StartNew();
            await robot.Api.CallAsync("get_time", null, cancellationToken);
            return new JsonObject
            {
                ["reachable"] = true,
                ["rosbridge"] = robot.Client.Url.ToString(),
                ["round_trip_ms"] = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
                ["reconnects"] = robot.Client.Reconnects,
            };
        });

    [McpServerTool(Name = "detect_ros_version", ReadOnly = true), Description("Detect whether the robot runs ROS 1 or ROS 2.")]
    public async Task<string> DetectRosVersion(CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject { ["version"] = await robot.RosVersionAsync(cancellationToken) });

    [McpServerTool(Name = "stop_robot", Destructive = false, Idempotent = true), McpMeta(EstopContract.MetaKey, EstopContract.Roles.Stop)]
    [Description("Stop now: end all continuous publishing, publish zero velocity and cancel this server's action goals, at once. " +
        "Not latched: the robot may be moved again afterwards (emergency_stop latches until a person releases it).")]
    public async Task<string> StopRobot(CancellationToken cancellationToken = default)
        => await Run(async () => (await robot.StopAsync(cancellationToken)).ToJson());

    private static bool IsLocal(string host) => host is "localhost" or "127.0.0.1" or "::1" or "[::1]";
}

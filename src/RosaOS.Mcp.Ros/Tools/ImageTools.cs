using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.RosBridge;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// The rosaOS fork's capture_camera_image: one frame from the robot's camera, saved to a file. Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class ImageTools(RobotSession robot)
{
    [McpServerTool(Name = "capture_camera_image", ReadOnly = true), Description("Take one picture from the robot's camera and save it. Returns relative_path; pass it to Reachy Mini's describe_image(image=relative_path) to know what it shows.")]
    public async Task<string> CaptureCameraImage(
        [Description("Image topic (sensor_msgs CompressedImage or Image); default: this robot's camera")] string? topic = null,
        [Description("Message type; looked up when omitted")] string? msg_type = null,
        [Description("Seconds to wait for a frame (max 300)")] double timeout = 5,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            topic = string.IsNullOrWhiteSpace(topic) ? robot.Options.CameraTopic : topic;
            var wait = Seconds(timeout, "timeout");
            var type = await robot.ResolveTypeAsync(topic, msg_type, cancellationToken);
            await using var subscription = await robot.Client.SubscribeAsync(topic, type, new SubscribeOptions { QueueLength = 1, LocalBuffer = 1 }, cancellationToken);
            var msg = await subscription.NextAsync(wait, cancellationToken);
            if (!ImageSaver.IsImage(msg))
            {
                throw new McpException($"{topic} does not carry images (type {type}).");
            }
            var (path, relative, bytes) = robot.Images.Save(msg);
            return new JsonObject
            {
                ["success"] = true,
                ["image_path"] = path,
                ["relative_path"] = relative,
                ["bytes"] = bytes,
                ["topic"] = topic,
                ["stamp"] = msg["header"]?["stamp"]?.DeepClone(),
            };
        });
}

using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// Publishing on a topic, with this robot's safety envelope (clamped velocities, refusals, the dead-man zero). Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class PublishTools(RobotSession robot)
{
    [McpServerTool(Name = "publish_once", Destructive = true), Description("Publish one message on a topic. Velocity commands (Twist) are clamped to this robot's limits; a single Twist moves a base only until its watchdog stops it, so use publish_for_durations for motion.")]
    public async Task<string> PublishOnce(
        [Description("Topic name")] string? topic = null,
        [Description("Message type, e.g. geometry_msgs/msg/Twist")] string? msg_type = null,
        [Description("The message as a JSON object")] JsonElement? msg = null,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var (type, message, notes) = await robot.PrepareAsync(topic, msg_type, msg ?? throw new McpException("msg is required: the message fields as a JSON object."), "msg", cancellationToken);
            var (publisher, fresh) = await robot.PublisherAsync(topic!, type, cancellationToken);
            await SettleAsync(fresh, cancellationToken);
            robot.ThrowIfStopped();
            await publisher.PublishAsync(message, cancellationToken);
            var result = new JsonObject { ["success"] = true, ["topic"] = topic, ["published"] = message.DeepClone(), ["clamped"] = Strings(notes) };
            if (RobotSafety.IsTwist(type) && robot.ArmDeadman(topic!, type, publisher, !RobotSafety.IsZeroTwist(message, type)) is { } deadman)
            {
                result["deadman"] = $"zero velocity follows in {deadman} s unless another velocity command renews it (use publish_for_durations for longer motion)";
            }
            return result;
        });

    [McpServerTool(Name = "publish_for_durations", Destructive = true), Description("Publish a sequence of messages, each repeated at rate_hz for its duration (seconds), then stop (a zero Twist for velocity topics). Ends early, with the robot stopped, if the stop tool is called or this request is cancelled.")]
    public async Task<string> PublishForDurations(
        [Description("Topic name, e.g. /cmd_vel")] string? topic = null,
        [Description("Message type, e.g. geometry_msgs/msg/Twist")] string? msg_type = null,
        [Description("Messages (JSON objects)")] JsonElement? messages = null,
        [Description("Seconds for each message, same length as messages")] double[]? durations = null,
        [Description("Re-publish rate while a message is held, 1..50 Hz")] double rate_hz = 10,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            if (messages is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
            {
                throw new McpException("messages must be a non-empty array of message objects.");
            }
            if (durations is null || durations.Length != list.GetArrayLength())
            {
                throw new McpException($"durations must have one entry per message ({list.GetArrayLength()}).");
            }
            if (!double.IsFinite(rate_hz) || rate_hz < 1 || rate_hz > 50)
            {
                throw new McpException("rate_hz must be between 1 and 50.");
            }
            var total = 0.0;
            foreach (var d in durations)
            {
                if (!double.IsFinite(d) || d < 0)
                {
                    throw new McpException("every duration must be a finite number of seconds >= 0.");
                }
                total += d;
            }
            if (total > robot.Options.Safety.MaxPublishSeconds)
            {
                throw new McpException($"The durations add up to {total:0.##} s; this robot allows at most {robot.Options.Safety.MaxPublishSeconds} s of continuous publishing per call.");
            }
            var prepared = new List<JsonObject>();
            var notes = new List<string>();
            string type = "";
            foreach (var element in list.EnumerateArray())
            {
                var (t, message, n) = await robot.PrepareAsync(topic, msg_type, element, "messages[]", cancellationToken);
                type = t;
                prepared.Add(message);
                notes.AddRange(n);
            }
            var (publisher, fresh) = await robot.PublisherAsync(topic!, type, cancellationToken);
            await SettleAsync(fresh, cancellationToken);
            var (token, handle) = robot.BeginMotion(cancellationToken);
            // The loop owns the topic now and ends with its own zero.
            robot.DisarmDeadman(topic!);
            var sent = 0;
            var stoppedEarly = false;
            var watch = Stopwatch.StartNew();
            using (handle)
            {
                try
                {
                    var period = TimeSpan.FromSeconds(1 / rate_hz);
                    for (var i = 0; i < prepared.Count; i++)
                    {
                        var end = watch.Elapsed + TimeSpan.FromSeconds(durations[i]);
                        using var timer = new PeriodicTimer(period);
                        do
                        {
                            await publisher.PublishAsync(prepared[i], token);
                            sent++;
                        }
                        while (watch.Elapsed + period <= end && await timer.WaitForNextTickAsync(token));
                        var rest = end - watch.Elapsed;
                        if (rest > TimeSpan.Zero)
                        {
                            await Task.Delay(rest, token);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    stoppedEarly = true;
                }
                finally
                {
                    if (RobotSafety.IsTwist(type))
                    {
                        // The dead-man: whatever ended the motion, the last word to the base is zero velocity.
                        await publisher.PublishAsync(RobotSession.ZeroTwist(type), CancellationToken.None);
                    }
                }
            }
            if (stoppedEarly && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            return new JsonObject
            {
                ["success"] = !stoppedEarly,
                ["stopped_early"] = stoppedEarly,
                ["stopped_by"] = stoppedEarly ? robot.StopReason ?? "the stop tool" : null,
                ["published_count"] = sent,
                ["elapsed_s"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
                ["clamped"] = Strings(notes.Distinct()),
            };
        });
}

using System.ComponentModel;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.RosBridge;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// Reading the robot's topics: what exists, its types, and messages received from it. Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class TopicTools(RobotSession robot)
{
    [McpServerTool(Name = "get_topics", ReadOnly = true), Description("List the robot's topics with their message types.")]
    public async Task<string> GetTopics(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var (topics, types) = await robot.Api.TopicsAsync(cancellationToken);
            return new JsonObject { ["topics"] = Strings(topics), ["types"] = Strings(types), ["topic_count"] = topics.Length };
        });

    [McpServerTool(Name = "get_topic_type", ReadOnly = true), Description("The message type of a topic.")]
    public async Task<string> GetTopicType([Description("Topic name, e.g. /odom")] string topic, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var type = await robot.Api.TopicTypeAsync(RequireName(topic, "topic"), cancellationToken);
            return new JsonObject { ["topic"] = topic, ["type"] = NonEmpty(type, $"Topic {topic} does not exist (see get_topics).") };
        });

    [McpServerTool(Name = "get_topic_details", ReadOnly = true), Description("Type, publishers and subscribers of a topic.")]
    public async Task<string> GetTopicDetails([Description("Topic name")] string topic, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            RequireName(topic, "topic");
            var type = NonEmpty(await robot.Api.TopicTypeAsync(topic, cancellationToken), $"Topic {topic} does not exist (see get_topics).");
            return new JsonObject
            {
                ["topic"] = topic,
                ["type"] = type,
                ["publishers"] = Strings(await robot.Api.PublishersAsync(topic, cancellationToken)),
                ["subscribers"] = Strings(await robot.Api.SubscribersAsync(topic, cancellationToken)),
            };
        });

    [McpServerTool(Name = "get_message_details", ReadOnly = true), Description("The fields of a message type (and of the types inside it).")]
    public async Task<string> GetMessageDetails([Description("Message type, e.g. geometry_msgs/msg/Twist")] string message_type, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            await robot.RosVersionAsync(cancellationToken);
            var details = await robot.Api.MessageDetailsAsync(RequireType(message_type), cancellationToken);
            if (details["typedefs"] is not JsonArray { Count: > 0 })
            {
                throw new McpException($"Unknown message type {message_type}.");
            }
            return details;
        });

    [McpServerTool(Name = "subscribe_once", ReadOnly = true), Description("Receive one message from a topic. Image messages are saved to a file and the path returned instead of pixel data.")]
    public async Task<string> SubscribeOnce(
        [Description("Topic name")] string topic,
        [Description("Message type; looked up when omitted")] string? msg_type = null,
        [Description("Seconds to wait (max 300)")] double timeout = 5,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var wait = Seconds(timeout, "timeout");
            var type = await robot.ResolveTypeAsync(RequireName(topic, "topic"), msg_type, cancellationToken);
            await using var subscription = await robot.Client.SubscribeAsync(topic, type, new SubscribeOptions { QueueLength = 1, LocalBuffer = 1 }, cancellationToken);
            var msg = await subscription.NextAsync(wait, cancellationToken);
            return new JsonObject { ["topic"] = topic, ["msg"] = robot.Present(msg) };
        });

    [McpServerTool(Name = "subscribe_for_duration", ReadOnly = true), Description("Collect messages from a topic for a while.")]
    public async Task<string> SubscribeForDuration(
        [Description("Topic name")] string topic,
        [Description("Message type; looked up when omitted")] string? msg_type = null,
        [Description("Seconds to listen (max 300)")] double duration = 5,
        [Description("Stop after this many messages (1..1000)")] int max_messages = 100,
        [Description("Minimum milliseconds between messages (server-side throttle)")] int throttle_rate_ms = 0,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var span = Seconds(duration, "duration");
            if (max_messages is < 1 or > 1000)
            {
                throw new McpException("max_messages must be between 1 and 1000.");
            }
            if (throttle_rate_ms is < 0 or > 60_000)
            {
                throw new McpException("throttle_rate_ms must be between 0 and 60000.");
            }
            var type = await robot.ResolveTypeAsync(RequireName(topic, "topic"), msg_type, cancellationToken);
            await using var subscription = await robot.Client.SubscribeAsync(topic, type,
                new SubscribeOptions { QueueLength = 10, ThrottleRateMs = throttle_rate_ms, LocalBuffer = max_messages }, cancellationToken);
            var messages = new JsonArray();
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            window.CancelAfter(span);
            try
            {
                while (messages.Count < max_messages)
                {
                    messages.Add((JsonNode)robot.Present(await subscription.Messages.ReadAsync(window.Token))); // the non-generic Add (Native AOT)
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            return new JsonObject { ["topic"] = topic, ["collected_count"] = messages.Count, ["messages"] = messages };
        });
}

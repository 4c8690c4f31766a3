using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// The MCP tools of one ROS robot, named and shaped like ros-mcp-server v3 (plus the rosaOS fork's
/// capture_camera_image and a stop tool). Thin: the work is in <see cref="RobotSession"/> and the client.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class RosTools(RobotSession robot)
{
    private const double MaxTimeoutSeconds = 300;

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

    [McpServerTool(Name = "get_topics", ReadOnly = true), Description("List the robot's topics with their message types.")]
    public async Task<string> GetTopics(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var (topics, types) = await robot.Api.TopicsAsync(cancellationToken);
            return new JsonObject { ["topics"] = Array(topics), ["types"] = Array(types), ["topic_count"] = topics.Length };
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
                ["publishers"] = Array(await robot.Api.PublishersAsync(topic, cancellationToken)),
                ["subscribers"] = Array(await robot.Api.SubscribersAsync(topic, cancellationToken)),
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
            var type = await ResolveTypeAsync(RequireName(topic, "topic"), msg_type, cancellationToken);
            await using var subscription = await robot.Client.SubscribeAsync(topic, type, new SubscribeOptions { QueueLength = 1, LocalBuffer = 1 }, cancellationToken);
            var msg = await subscription.NextAsync(wait, cancellationToken);
            return new JsonObject { ["topic"] = topic, ["msg"] = Present(msg) };
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
            var type = await ResolveTypeAsync(RequireName(topic, "topic"), msg_type, cancellationToken);
            await using var subscription = await robot.Client.SubscribeAsync(topic, type,
                new SubscribeOptions { QueueLength = 10, ThrottleRateMs = throttle_rate_ms, LocalBuffer = max_messages }, cancellationToken);
            var messages = new JsonArray();
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            window.CancelAfter(span);
            try
            {
                while (messages.Count < max_messages)
                {
                    messages.Add(Present(await subscription.Messages.ReadAsync(window.Token)));
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            return new JsonObject { ["topic"] = topic, ["collected_count"] = messages.Count, ["messages"] = messages };
        });

    [McpServerTool(Name = "publish_once", Destructive = true), Description("Publish one message on a topic. Velocity commands (Twist) are clamped to this robot's limits; a single Twist moves a base only until its watchdog stops it, so use publish_for_durations for motion.")]
    public async Task<string> PublishOnce(
        [Description("Topic name")] string? topic = null,
        [Description("Message type, e.g. geometry_msgs/msg/Twist")] string? msg_type = null,
        [Description("The message as a JSON object")] JsonElement? msg = null,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var (type, message, notes) = await PrepareAsync(topic, msg_type, msg ?? throw new McpException("msg is required: the message fields as a JSON object."), "msg", cancellationToken);
            var (publisher, fresh) = await robot.PublisherAsync(topic!, type, cancellationToken);
            await SettleAsync(fresh, cancellationToken);
            robot.ThrowIfStopped();
            await publisher.PublishAsync(message, cancellationToken);
            var result = new JsonObject { ["success"] = true, ["topic"] = topic, ["published"] = message.DeepClone(), ["clamped"] = Array(notes) };
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
                var (t, message, n) = await PrepareAsync(topic, msg_type, element, "messages[]", cancellationToken);
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
                ["clamped"] = Array(notes.Distinct()),
            };
        });

    [McpServerTool(Name = "stop_robot", Destructive = false, Idempotent = true), McpMeta(EstopContract.MetaKey, EstopContract.Roles.Stop)]
    [Description("Stop now: end all continuous publishing, publish zero velocity and cancel this server's action goals, at once. " +
        "Not latched: the robot may be moved again afterwards (emergency_stop latches until a person releases it).")]
    public async Task<string> StopRobot(CancellationToken cancellationToken = default)
        => await Run(async () => (await robot.StopAsync(cancellationToken)).ToJson());

    [McpServerTool(Name = "get_services", ReadOnly = true), Description("List the robot's services.")]
    public async Task<string> GetServices(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var services = await robot.Api.ServicesAsync(cancellationToken);
            return new JsonObject { ["services"] = Array(services), ["service_count"] = services.Length };
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
            Refuse("service", service_name);
            var args = request is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } r ? ObjectOf(r, "request") : new JsonObject();
            var notes = robot.Safety.ApplyBounds("service", service_name, args);
            var version = await robot.RosVersionAsync(cancellationToken);
            robot.ThrowIfStopped();
            var values = await robot.Client.CallServiceAsync(service_name, args, version == 2 ? robot.Api.NormalizeType(service_type, "srv") : service_type, wait, cancellationToken);
            return new JsonObject { ["service"] = service_name, ["success"] = true, ["request"] = args.DeepClone(), ["clamped"] = Array(notes), ["response"] = values?.DeepClone() };
        });

    [McpServerTool(Name = "get_nodes", ReadOnly = true), Description("List the robot's ROS nodes.")]
    public async Task<string> GetNodes(CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            var nodes = await robot.Api.NodesAsync(cancellationToken);
            return new JsonObject { ["nodes"] = Array(nodes), ["node_count"] = nodes.Length };
        });

    [McpServerTool(Name = "get_node_details", ReadOnly = true), Description("Topics a node publishes and subscribes, and its services.")]
    public async Task<string> GetNodeDetails([Description("Node name, e.g. /fake_turtlebot")] string node, CancellationToken cancellationToken = default)
        => await Run(async () => await robot.Api.NodeDetailsAsync(RequireName(node, "node"), cancellationToken));

    [McpServerTool(Name = "get_parameters", ReadOnly = true), Description("List parameter names.")]
    public async Task<string> GetParameters(CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject { ["names"] = Array(await robot.Api.ParamNamesAsync(cancellationToken)) });

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
            Refuse("parameter", RequireName(name, "name"));
            var node = JsonNode.Parse(value.GetRawText());
            await robot.Api.SetParamAsync(name, node, cancellationToken);
            return new JsonObject { ["name"] = name, ["value"] = node?.DeepClone(), ["success"] = true };
        });

    [McpServerTool(Name = "delete_parameter", Destructive = true), Description("Delete a parameter.")]
    public async Task<string> DeleteParameter([Description("Parameter name")] string name, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            Refuse("parameter", RequireName(name, "name"));
            await robot.Api.DeleteParamAsync(name, cancellationToken);
            return new JsonObject { ["name"] = name, ["deleted"] = true };
        });

    [McpServerTool(Name = "get_actions", ReadOnly = true), Description("List the robot's action servers.")]
    public async Task<string> GetActions(CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject { ["actions"] = Array(await robot.Api.ActionServersAsync(cancellationToken)) });

    [McpServerTool(Name = "get_action_details", ReadOnly = true), Description("Type and goal/result/feedback fields of an action.")]
    public async Task<string> GetActionDetails([Description("Action name, e.g. /dock_action")] string action, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            RequireName(action, "action");
            var version = await robot.RosVersionAsync(cancellationToken);
            if (version == 2)
            {
                var interfaces = await robot.Api.CallAsync("interfaces", null, cancellationToken);
                return new JsonObject { ["action"] = action, ["interfaces"] = interfaces["interfaces"]?.DeepClone() };
            }
            var goalType = NonEmpty(await robot.Api.TopicTypeAsync(action.TrimEnd('/') + "/goal", cancellationToken), $"Action {action} does not exist (see get_actions).");
            var baseType = goalType[..^"ActionGoal".Length];
            return new JsonObject
            {
                ["action"] = action,
                ["type"] = baseType,
                ["goal"] = (await robot.Api.MessageDetailsAsync(baseType + "Goal", cancellationToken))["typedefs"]?.DeepClone(),
                ["result"] = (await robot.Api.MessageDetailsAsync(baseType + "Result", cancellationToken))["typedefs"]?.DeepClone(),
                ["feedback"] = (await robot.Api.MessageDetailsAsync(baseType + "Feedback", cancellationToken))["typedefs"]?.DeepClone(),
            };
        });

    [McpServerTool(Name = "send_action_goal", Destructive = true), Description("Send an action goal and wait for its result, reporting feedback as progress. On timeout the goal keeps running: check get_action_status or cancel_action_goal with the returned goal_id.")]
    public async Task<string> SendActionGoal(
        [Description("Action name, e.g. /dock")] string action_name,
        [Description("Action type, e.g. irobot_create_msgs/action/Dock")] string action_type,
        [Description("Goal fields as a JSON object")] JsonElement? goal = null,
        [Description("Seconds to wait for the result (max 300)")] double timeout = 30,
        IProgress<ProgressNotificationValue>? progress = null,
        CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            RequireName(action_name, "action_name");
            RequireType(action_type);
            var wait = Seconds(timeout, "timeout");
            Refuse("action", action_name);
            var args = goal is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } g ? ObjectOf(g, "goal") : new JsonObject();
            var notes = robot.Safety.ApplyBounds("action", action_name, args);
            var version = await robot.RosVersionAsync(cancellationToken);
            var sent = version == 2
                ? await robot.Client.SendActionGoalAsync(action_name, robot.Api.NormalizeType(action_type, "action"), args, cancellationToken)
                : await ActionLibClient.SendGoalAsync(robot.Client, action_name, action_type, args, TimeSpan.FromSeconds(1), cancellationToken);
            robot.TrackGoal(sent);
            var feedbackCount = 0;
            JsonNode? lastFeedback = null;
            var pump = Task.Run(async () =>
            {
                await foreach (var fb in sent.Feedback.ReadAllAsync(CancellationToken.None))
                {
                    feedbackCount++;
                    lastFeedback = fb;
                    progress?.Report(new ProgressNotificationValue { Progress = feedbackCount, Message = fb?.ToJsonString() });
                }
            }, CancellationToken.None);
            try
            {
                var result = await sent.Result.WaitAsync(wait, cancellationToken);
                await pump;
                return new JsonObject
                {
                    ["goal_id"] = sent.Id,
                    ["status"] = result.StatusName,
                    ["success"] = result.Ok,
                    ["result"] = result.Values?.DeepClone(),
                    ["feedback_count"] = feedbackCount,
                    ["clamped"] = Array(notes),
                };
            }
            catch (TimeoutException)
            {
                return new JsonObject
                {
                    ["goal_id"] = sent.Id,
                    ["status"] = "running",
                    ["success"] = false,
                    ["timeout"] = $"No result within {wait.TotalSeconds} s; the goal is still running.",
                    ["last_feedback"] = lastFeedback?.DeepClone(),
                    ["feedback_count"] = feedbackCount,
                    ["clamped"] = Array(notes),
                };
            }
        });

    [McpServerTool(Name = "cancel_action_goal", Destructive = true), McpMeta(EstopContract.MetaKey, EstopContract.Roles.Allowed), Description("Cancel a goal this server sent.")]
    public async Task<string> CancelActionGoal([Description("Action name")] string action_name, [Description("goal_id returned by send_action_goal")] string goal_id, CancellationToken cancellationToken = default)
        => await Run(async () =>
        {
            // A goal id is the id send_action_goal returned (e.g. rosa-goal-17), not a ROS name.
            var goal = (string.IsNullOrWhiteSpace(goal_id) ? throw new McpException("goal_id is required: pass the goal_id send_action_goal returned.") : robot.FindGoal(goal_id)) ?? throw new McpException($"No running goal {goal_id} (it finished, or was not sent by this server).");
            await goal.CancelAsync(cancellationToken);
            var result = await goal.Result.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            return new JsonObject { ["goal_id"] = goal_id, ["action"] = action_name, ["status"] = result.StatusName };
        });

    [McpServerTool(Name = "get_action_status", ReadOnly = true), Description("The goals this server sent that are still running.")]
    public string GetActionStatus([Description("Action name; empty for all")] string? action_name = null)
        => new JsonObject
        {
            ["running"] = new JsonArray([.. robot.ActiveGoals.Where(g => string.IsNullOrEmpty(action_name) || g.Action == action_name.TrimEnd('/'))
                .Select(g => (JsonNode)new JsonObject { ["goal_id"] = g.Id, ["action"] = g.Action })]),
        }.ToJsonString();

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
            var type = await ResolveTypeAsync(topic, msg_type, cancellationToken);
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

    private static bool IsLocal(string host) => host is "localhost" or "127.0.0.1" or "::1" or "[::1]";

    private static async Task<string> Run(Func<Task<JsonObject>> body)
    {
        try
        {
            return (await body()).ToJsonString();
        }
        catch (RosServiceFailedException ex)
        {
            throw new McpException($"The robot answered with a failure: {ex.Message}", ex);
        }
        catch (RosBridgeTimeoutException ex)
        {
            throw new McpException(ex.Message, ex);
        }
        catch (RosBridgeConnectionException ex)
        {
            throw new McpException($"{ex.Message} Try again in a few seconds.", ex);
        }
        catch (RosBridgeException ex)
        {
            throw new McpException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FormatException or JsonException or InvalidOperationException and not ObjectDisposedException)
        {
            throw new McpException(ex.Message, ex);
        }
    }

    private async Task<(string Type, JsonObject Message, List<string> Notes)> PrepareAsync(string? topic, string? msgType, JsonElement element, string what, CancellationToken cancellationToken)
    {
        topic = RequireName(topic, "topic");
        msgType = RequireType(msgType);
        Refuse("topic", topic);
        var message = ObjectOf(element, what);
        if (message.Count == 0)
        {
            throw new McpException($"{what} is empty; give the message fields (see get_message_details).");
        }
        await robot.RosVersionAsync(cancellationToken);
        var type = robot.Api.NormalizeType(msgType);
        var notes = RobotSafety.IsTwist(type) ? robot.Safety.ClampTwist(message, type) : [];
        notes.AddRange(robot.Safety.ApplyBounds("topic", topic, message));
        return (type, message, notes);
    }

    // A brand-new ROS 1 publisher is not yet connected to its subscribers; the first message would be lost.
    private static Task SettleAsync(bool fresh, CancellationToken cancellationToken)
        => fresh ? Task.Delay(TimeSpan.FromMilliseconds(700), cancellationToken) : Task.CompletedTask;

    private async Task<string> ResolveTypeAsync(string topic, string? msgType, CancellationToken cancellationToken)
    {
        await robot.RosVersionAsync(cancellationToken);
        if (!string.IsNullOrWhiteSpace(msgType))
        {
            return robot.Api.NormalizeType(msgType);
        }
        // rosbridge answers an unknown type with silence; know the type before subscribing.
        return NonEmpty(await robot.Api.TopicTypeAsync(topic, cancellationToken), $"Topic {topic} does not exist or has no publisher yet; give msg_type or check get_topics.");
    }

    private void Refuse(string kind, string name)
    {
        if (robot.Safety.WhyRefused(kind, name) is { } why)
        {
            throw new McpException(why);
        }
    }

    private JsonObject Present(JsonObject msg)
    {
        if (!ImageSaver.IsImage(msg))
        {
            return msg;
        }
        var (path, relative, bytes) = robot.Images.Save(msg);
        var shown = (JsonObject)msg.DeepClone();
        shown.Remove("data");
        shown["image_saved"] = new JsonObject { ["image_path"] = path, ["relative_path"] = relative, ["bytes"] = bytes };
        return shown;
    }

    private static JsonObject ObjectOf(JsonElement element, string what)
        => element.ValueKind == JsonValueKind.Object
            ? JsonNode.Parse(element.GetRawText())!.AsObject()
            : throw new McpException($"{what} must be a JSON object, got {element.ValueKind}.");

    private static TimeSpan Seconds(double value, string name)
        => double.IsFinite(value) && value > 0 && value <= MaxTimeoutSeconds
            ? TimeSpan.FromSeconds(value)
            : throw new McpException($"{name} must be a number of seconds in (0, {MaxTimeoutSeconds}], got {value}.");

    private static string RequireName(string? name, string what)
        => !string.IsNullOrWhiteSpace(name) && name.StartsWith('/') && name.Length < 512 && !name.Any(char.IsWhiteSpace)
            ? name
            : throw new McpException($"{what} must be a ROS name starting with '/', got '{name}'.");

    private static string RequireType(string? type)
        => !string.IsNullOrWhiteSpace(type) && type.Length < 256 && type.Count(c => c == '/') is 1 or 2
            ? type
            : throw new McpException($"'{type}' is not a ROS type name (expected pkg/Type or pkg/msg/Type).");

    private static string NonEmpty(string value, string error) => string.IsNullOrEmpty(value) ? throw new McpException(error) : value;

    private static JsonArray Array(IEnumerable<string> items) => new([.. items.Select(i => (JsonNode)JsonValue.Create(i))]);
}

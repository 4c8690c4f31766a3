using System.ComponentModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using RosaOS.RosBridge;
using static RosaOS.Mcp.Ros.Tools.RosToolKit;

namespace RosaOS.Mcp.Ros.Tools;

/// <summary>
/// The robot's actions: listing, describing, sending goals (with feedback as progress), cancelling and their status. Named and shaped like ros-mcp-server v3; thin: the work is in
/// <see cref="RobotSession"/>, the client and <see cref="RosToolKit"/>.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Parameter names are ros-mcp-server's tool argument names, a wire contract the prompts rely on.")]
public sealed class ActionTools(RobotSession robot)
{
    [McpServerTool(Name = "get_actions", ReadOnly = true), Description("List the robot's action servers.")]
    public async Task<string> GetActions(CancellationToken cancellationToken = default)
        => await Run(async () => new JsonObject { ["actions"] = Strings(await robot.Api.ActionServersAsync(cancellationToken)) });

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
            robot.Refuse("action", action_name);
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
                    ["clamped"] = Strings(notes),
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
                    ["clamped"] = Strings(notes),
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
}

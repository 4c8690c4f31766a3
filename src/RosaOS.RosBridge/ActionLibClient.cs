using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace RosaOS.RosBridge;

/// <summary>
/// ROS 1 actions over actionlib's topics (<c>{action}/goal|cancel|feedback|result</c>), because the ROS 1
/// rosbridge has no action ops. Results are reported with action_msgs/GoalStatus codes so callers see the
/// same statuses as on ROS 2 (actionlib SUCCEEDED 3 → 4, PREEMPTED/RECALLED → 5, ABORTED/REJECTED → 6).
/// </summary>
public static class ActionLibClient
{
    /// <summary>Sends a goal. <paramref name="actionType"/> is the action's base type, e.g. actionlib/Test (…Action suffix optional).</summary>
    public static async Task<RosActionGoal> SendGoalAsync(RosBridgeClient client, string action, string actionType, JsonNode? goal,
        TimeSpan connectDelay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        ArgumentException.ThrowIfNullOrWhiteSpace(actionType);
        var parts = actionType.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var baseName = parts[^1].EndsWith("Action", StringComparison.Ordinal) ? parts[^1][..^6] : parts[^1];
        var pkg = parts[0];
        var goalId = $"rosa-{Guid.NewGuid():N}";
        action = action.TrimEnd('/');

        var feedbackSub = await client.SubscribeAsync($"{action}/feedback", $"{pkg}/{baseName}ActionFeedback", new SubscribeOptions { QueueLength = 10, LocalBuffer = 64 }, cancellationToken);
        var resultSub = await client.SubscribeAsync($"{action}/result", $"{pkg}/{baseName}ActionResult", new SubscribeOptions { QueueLength = 10, LocalBuffer = 16 }, cancellationToken);
        var goalPub = await client.AdvertiseAsync($"{action}/goal", $"{pkg}/{baseName}ActionGoal", cancellationToken);
        var cancelPub = await client.AdvertiseAsync($"{action}/cancel", "actionlib_msgs/GoalID", cancellationToken);
        // A new ROS 1 publisher is not connected to the action server yet; a goal sent at once would be lost.
        await Task.Delay(connectDelay, cancellationToken);
        await goalPub.PublishAsync(new JsonObject
        {
            ["goal_id"] = new JsonObject { ["id"] = goalId },
            ["goal"] = goal?.DeepClone() ?? new JsonObject(),
        }, cancellationToken);

        // Feedback is progress; a slow reader only needs the latest.
        var feedback = Channel.CreateBounded<JsonNode?>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
        var result = new TaskCompletionSource<RosActionResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Disposed by the result task, which outlives this method.
        var resultSeen = new CancellationTokenSource();
        var stopForwarding = resultSeen.Token;
        var forwarder = Task.Run(async () =>
        {
            void Forward(JsonNode fb)
            {
                if (fb["status"]?["goal_id"]?["id"]?.ToString() == goalId)
                {
                    feedback.Writer.TryWrite(fb["feedback"]?.DeepClone());
                }
            }
            try
            {
                await foreach (var fb in feedbackSub.Messages.ReadAllAsync(stopForwarding))
                {
                    Forward(fb);
                }
            }
            catch (OperationCanceledException)
            {
                // The result came: frames arrive in order, so feedback sent before it is already buffered here.
                while (feedbackSub.Messages.TryRead(out var fb))
                {
                    Forward(fb);
                }
            }
            finally
            {
                feedback.Writer.TryComplete();
            }
        }, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var r in resultSub.Messages.ReadAllAsync(CancellationToken.None))
                {
                    if (r["status"]?["goal_id"]?["id"]?.ToString() != goalId)
                    {
                        continue;
                    }
                    var status = r["status"]?["status"]?.GetValue<int>() ?? 0;
                    var mapped = status switch { 3 => 4, 2 or 8 => 5, 4 or 5 => 6, _ => 0 };
                    result.TrySetResult(new RosActionResult(mapped, mapped == 4, r["result"]?.DeepClone()));
                    break;
                }
            }
            finally
            {
                await resultSeen.CancelAsync();
                await forwarder;
                resultSeen.Dispose();
                result.TrySetException(new RosBridgeConnectionException($"The result subscription of {action} ended before the result came."));
                await feedbackSub.DisposeAsync();
                await resultSub.DisposeAsync();
                await goalPub.DisposeAsync();
                await cancelPub.DisposeAsync();
            }
        }, CancellationToken.None);

        return new RosActionGoal(goalId, action, feedback.Reader, result.Task,
            ct => cancelPub.PublishAsync(new JsonObject { ["id"] = goalId }, ct));
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Mcp.Ros.Tests.Asker;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// End to end with the kernel: a chat message makes the kernel launch a worker with Reachy and the
/// TurtleBot; the worker drives the stand-in forward and captures a camera image through `rosa ros`.
/// Shares the collection's ROS graph (its own `rosa ros`, reading the kernel's config); only the LLM is scripted.
/// </summary>
[Collection(RosRobotCollection.Name)]
public sealed class KernelEndToEndTests(RosRobotFixture robot)
{
    private const string WorkerTask = "Drive the TurtleBot forward for 1.5 seconds, then capture a camera image with it.";

    [Fact]
    public async Task KernelLaunchesAWorkerWithReachyAndTurtlebot_ThatDrivesForwardAndCapturesAnImage()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("drive the turtlebot forward and take a picture"),
            ScriptedTurn.Call("launch_process", new { system_prompt = WorkerTask, robots = new[] { "reachy-mini", "turtlebot" } }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("The TurtleBot is on its way."));
        llm.When(WorkerOn(WorkerTask),
            ScriptedTurn.Call("publish_for_durations", new
            {
                topic = "/cmd_vel",
                msg_type = "geometry_msgs/msg/Twist",
                // 0.5 m/s asked: over the turtlebot's 0.3 m/s bound, so rosa ros must clamp it.
                messages = new[] { new { linear = new { x = 0.5, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } },
                durations = new[] { 1.5 },
                rate_hz = 10,
            }),
            ScriptedTurn.Call("capture_camera_image", new { }),
            // The shipped turtlebot entry allows no topic /e_stop (only the robot's /e_stop service): the refusal must come back as an error, not an action.
            ScriptedTurn.Call("publish_once", new { topic = "/e_stop", msg_type = "std_msgs/Empty", msg = new { } }),
            ScriptedTurn.Say("I drove forward and captured an image."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("The TurtleBot moved and took a picture."));

        await using var stack = await KernelStack.StartAsync(robot.Graph.BridgeUrl, llm);
        var before = await robot.OdomAsync();
        Assert.Equal(0, before.Vx);

        Assert.Equal("The TurtleBot is on its way.", await stack.ChatAsync("drive the turtlebot forward and take a picture"));
        var updates = await stack.WaitForUpdateAsync(m => m == "The TurtleBot moved and took a picture.");

        // The kernel saw both robots, and the worker was offered both robots' tools.
        var kernelPrompt = llm.ChatRequests.First(IsKernel).SystemPrompt;
        Assert.Contains("reachy-mini: ", kernelPrompt, StringComparison.Ordinal);
        Assert.Contains("turtlebot: ", kernelPrompt, StringComparison.Ordinal);
        var worker = llm.ChatRequests.Where(WorkerOn(WorkerTask)).ToList();
        Assert.Equal(4, worker.Count);
        foreach (var tool in new[] { "publish_for_durations", "capture_camera_image", "stop_robot", "play_emotion", "speak", "describe_image" })
        {
            Assert.Contains(tool, worker[0].ToolNames);
        }

        // Odometry, read independently with rostopic: the base moved forward by the clamped 0.3 m/s for 1.5 s
        // (0.45 m; unclamped 0.5 m/s would be 0.75 m) and stands still again.
        var after = await Poll.ForAsync(robot.OdomAsync, o => o.Vx == 0, "the base to stop");
        Assert.InRange(after.X - before.X, 0.3, 0.62);

        // The tool results the worker got back: the clamp was reported, the frame saved under the kernel's data dir.
        var results = worker[^1].Messages.Where(m => m.Role == "tool").Select(m => m.Text).ToList();
        Assert.Equal(3, results.Count);
        var motion = ToolPayload(results[0]);
        Assert.True(motion["success"]?.GetValue<bool>() == true, results[0]);
        Assert.Contains("linear speed 0.5 m/s scaled down to 0.3 m/s", motion["clamped"]![0]!.ToString(), StringComparison.Ordinal);
        var relative = ToolPayload(results[1])["relative_path"]!.ToString();
        Assert.StartsWith("ros/turtlebot_", relative, StringComparison.Ordinal);
        var image = Path.Combine(stack.DataDir, "images", relative);
        var bytes = await File.ReadAllBytesAsync(image, TestContext.Current.CancellationToken);
        Assert.Equal([0xFF, 0xD8, 0xFF], bytes[..3]);
        Assert.True(bytes.Length > 1000, $"{image} is only {bytes.Length} bytes");

        // Both tool calls are in the kernel's audit log, attributed to the turtlebot server.
        var audit = (await stack.GetJsonAsync("/api/audit")).EnumerateArray().ToList();
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "publish_for_durations" && a.GetProperty("server").GetString() == "turtlebot"
            && !a.GetProperty("is_error").GetBoolean() && a.GetProperty("arguments").GetString()!.Contains("/cmd_vel", StringComparison.Ordinal));
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "capture_camera_image" && a.GetProperty("server").GetString() == "turtlebot"
            && !a.GetProperty("is_error").GetBoolean());
        var refused = Assert.Single(audit, a => a.GetProperty("tool").GetString() == "publish_once");
        Assert.True(refused.GetProperty("is_error").GetBoolean(), refused.ToString());
        Assert.Contains("topic /e_stop is not on this robot's allow list", results[2], StringComparison.Ordinal);

        // The worker's callback reached the kernel with its output, and the kernel's answer reached /updates.
        Assert.Contains("Agent output: I drove forward and captured an image.", llm.ChatRequests.First(KernelOn("[Worker callback]")).LastUserText, StringComparison.Ordinal);
        Assert.Contains("The TurtleBot moved and took a picture.", updates);
        TestLog.Write($"[e2e] moved {(after.X - before.X).ToString("F3", CultureInfo.InvariantCulture)} m, image {relative} ({bytes.Length} bytes)");
    }

    /// <summary>
    /// The tool's JSON result inside a tool message. The worker passes MCP content blocks to the model as
    /// M.E.AI serialises them (<c>{"$type":"text","text":"…"}</c>, or an array of those); plain JSON text is accepted too.
    /// </summary>
    private static JsonNode ToolPayload(string message)
    {
        var node = JsonNode.Parse(message)!;
        if (node is JsonArray blocks)
        {
            return JsonNode.Parse(string.Concat(blocks.Select(b => b!["text"]!.GetValue<string>())))!;
        }
        return node["$type"]?.GetValue<string>() == "text" ? JsonNode.Parse(node["text"]!.GetValue<string>())! : node;
    }
}

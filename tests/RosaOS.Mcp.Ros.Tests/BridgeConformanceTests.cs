using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.Configuration;
using RosaOS.RosBridge;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The test-side rosbridge-protocol server answers as the real rosbridge_suite did in the recordings, and
/// the client's ROS 2 action ops, stdio mode and configuration work against the real graph.
/// </summary>
[Collection(RosRobotCollection.Name)]
public sealed class BridgeConformanceTests(RosRobotFixture robot)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("rosapi_topics.jsonl")]
    [InlineData("call_service_dock.jsonl")]
    public async Task TestBridge_AnswersRecordedCallsWithTheRealServersShapes(string transcript)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(robot.Graph.BridgeUrl, Ct);
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RosbridgeTranscripts, transcript)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var compared = 0;
        for (var i = 0; i < lines.Count; i++)
        {
            var frame = lines[i]["frame"] as JsonObject;
            if (lines[i]["dir"]!.ToString() != "send" || frame?["op"]?.ToString() != "call_service" || frame["id"] is null || frame["service"]?.ToString() == "/rosapi/set_param")
            {
                continue;
            }
            var recorded = lines.Skip(i + 1).Select(l => l["frame"] as JsonObject)
                .First(f => f?["op"]?.ToString() == "service_response" && JsonNode.DeepEquals(f["id"], frame["id"]))!;
            await socket.SendAsync(Encoding.UTF8.GetBytes(frame.ToJsonString()), WebSocketMessageType.Text, true, Ct);
            var (raw, answer) = await ReceiveResponseAsync(socket, frame["id"]!);
            var what = $"{frame["service"]}: recorded {recorded.ToJsonString()[..Math.Min(300, recorded.ToJsonString().Length)]} vs {raw[..Math.Min(300, raw.Length)]}";
            Assert.True(raw.Contains("\\/", StringComparison.Ordinal), what);
            Assert.True(recorded["result"]!.GetValue<bool>() == answer["result"]?.GetValue<bool>(), what);
            Assert.True(recorded["values"]!.GetValueKind() == answer["values"]?.GetValueKind(), what);
            Assert.True(recorded["id"]!.GetValueKind() == answer["id"]?.GetValueKind(), what);
            if (recorded["values"] is JsonObject values)
            {
                Assert.True(values.Select(kv => kv.Key).Order().SequenceEqual(answer["values"]!.AsObject().Select(kv => kv.Key).Order()), what);
                foreach (var (key, value) in values)
                {
                    Assert.True(value?.GetValueKind() == answer["values"]![key]?.GetValueKind(), $"{key}: {what}");
                }
            }
            if (frame["service"]?.ToString() is "/rosapi/topic_type" or "/rosapi/service_type" or "/rosapi/service_node")
            {
                Assert.True(JsonNode.DeepEquals(recorded["values"], answer["values"]), $"{frame["service"]}: {recorded["values"]} vs {answer["values"]}");
            }
            compared++;
        }
        Assert.True(compared >= 5, $"only {compared} calls compared");
        // Back to the start state for the other tests.
        await robot.CallAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/Trigger" });
    }

    [Fact]
    public async Task TestBridge_IsSilentOnErrors_AndPublishFramesHaveNoId_LikeTheRealOne()
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(robot.Graph.BridgeUrl, Ct);
        foreach (var bad in new[]
        {
            """{"op":"set_level","level":"info","id":"e1"}""",
            """{"op":"subscribe","id":"e2","topic":"/battery_state","type":"sensor_msgs/msg/BatteryState"}""",
            """{"op":"subscribe","id":"e3","topic":"/odom","type":"nav_msgs/Odometry","throttle_rate":500.5}""",
            """not json""",
            """{"op":"subscribe","id":"ok","topic":"/is_docked","type":"std_msgs/Bool"}""",
        })
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(bad), WebSocketMessageType.Text, true, Ct);
        }
        var (raw, frame) = await ReceiveAsync(socket, TimeSpan.FromSeconds(5));
        Assert.Equal("publish", frame["op"]!.ToString());
        Assert.Equal("/is_docked", frame["topic"]!.ToString());
        Assert.Null(frame["id"]);
        Assert.Contains("\"\\/is_docked\"", raw, StringComparison.Ordinal);
        // Nothing else: no status frames for the bad ones, no battery or odometry stream.
        await Assert.ThrowsAsync<TimeoutException>(() => ReceiveAsync(socket, TimeSpan.FromSeconds(1.5)));
    }

    [Fact]
    public async Task Ros2ActionOps_FeedbackResultAndCancel_ThroughTheBridge()
    {
        await using var client = new RosBridgeClient(new RosBridgeOptions { Url = robot.Graph.BridgeUrl });
        await client.ConnectAsync(Ct);
        var goal = await client.SendActionGoalAsync("/dock_action", "actionlib/action/Test", new JsonObject { ["goal"] = 2 }, Ct);
        var feedback = new List<int>();
        await foreach (var fb in goal.Feedback.ReadAllAsync(Ct))
        {
            feedback.Add(fb!["feedback"]!.GetValue<int>());
        }
        var result = await goal.Result.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.Equal([0, 1, 2], feedback);
        Assert.Equal("succeeded", result.StatusName);
        Assert.Equal(4, result.Values!["result"]!.GetValue<int>());

        var second = await client.SendActionGoalAsync("/dock_action", "actionlib/action/Test", new JsonObject { ["goal"] = 9 }, Ct);
        await second.Feedback.ReadAsync(Ct);
        await second.CancelAsync(Ct);
        Assert.Equal("canceled", (await second.Result.WaitAsync(TestTimeouts.Effect, Ct)).StatusName);
        await client.CallServiceAsync("/undock", cancellationToken: Ct);
    }

    [Fact]
    public async Task StdioMode_ServesTheSameTools()
    {
        await using var client = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = TestPaths.RosaExecutable,
            Arguments = ["ros", "--stdio", "--name", "turtlebot", "--rosbridge", robot.Graph.BridgeUrl.ToString(), "--drivers", Path.Combine(robot.ConfigDir, "drivers.json")],
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
        Assert.Contains("capture_camera_image", (await client.ListToolsAsync(cancellationToken: Ct)).Select(t => t.Name));
        var result = await client.CallToolAsync("get_topic_type", new Dictionary<string, object?> { ["topic"] = "/odom" }, cancellationToken: Ct);
        Assert.Contains("nav_msgs/Odometry", RosRobotFixture.Text(result), StringComparison.Ordinal);
    }

    [Fact]
    public void ShippedDriversJson_HoldsWhatRosaUpNeeds()
    {
        var drivers = DriversConfig.Load(TestPaths.ConfigDir);
        var turtlebot = drivers.Find("turtlebot")!.Ros!;
        turtlebot.Validate();
        Assert.Equal(9091, turtlebot.Port);
        Assert.Equal("/oakd/rgb/preview/image_raw/compressed", turtlebot.CameraTopic);
        var dog = drivers.Find("dog")!.Ros!;
        dog.Validate();
        Assert.Equal(9090, dog.Port);
        var dogSafety = new RobotSafety(dog.Safety);
        Assert.NotNull(dogSafety.WhyRefused("topic", "/arm_controller"));
        // What the dog's prompt uses is allowed, and its walking speed and distance are bounded.
        Assert.Null(dogSafety.WhyRefused("service", "/puppy/move_distance_trigger"));
        Assert.Null(dogSafety.WhyRefused("topic", "/cmd_vel"));
        var walk = new System.Text.Json.Nodes.JsonObject { ["distance"] = 500, ["speed"] = 3.0 };
        Assert.Equal(2, dogSafety.ApplyBounds("service", "/puppy/move_distance_trigger", walk).Count);
        Assert.Equal(100, walk["distance"]!.GetValue<long>());
        Assert.Equal(0.5, walk["speed"]!.GetValue<double>());

        // The turtlebot's prompt: velocity, dock and undock actions; its own /e_stop service may be engaged, never released.
        var bot = new RobotSafety(turtlebot.Safety);
        Assert.Null(bot.WhyRefused("topic", "/cmd_vel"));
        Assert.Null(bot.WhyRefused("action", "/dock"));
        Assert.Null(bot.WhyRefused("action", "/undock"));
        Assert.Null(bot.WhyRefused("service", "/e_stop"));
        Assert.Empty(bot.ApplyBounds("service", "/e_stop", new System.Text.Json.Nodes.JsonObject { ["e_stop_on"] = true }));
        Assert.Throws<ArgumentException>(() => bot.ApplyBounds("service", "/e_stop", new System.Text.Json.Nodes.JsonObject { ["e_stop_on"] = false }));
        Assert.Throws<ArgumentException>(() => bot.ApplyBounds("service", "/e_stop", []));
        Assert.NotNull(bot.WhyRefused("topic", "/goal_pose"));
        Assert.NotNull(bot.WhyRefused("service", "/robot_power"));
    }

    [Fact]
    public async Task BadConfiguration_IsRefusedAtStart_WithTheReason()
    {
        var bad = Path.Combine(robot.ConfigDir, "bad-drivers.json");
        await File.WriteAllTextAsync(bad, """{"mcpServers":{"turtlebot":{"url":"http://localhost:9091/mcp","ros":{"rosbridge":"ws://x:9090","safety":{"max_linear":"fast"}}}}}""", Ct);
        await using var rosa = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--drivers", bad, "--port", "0"]);
        Assert.Equal(2, await rosa.WaitForExitAsync());
        Assert.Contains("rosa ros:", rosa.Output, StringComparison.Ordinal);
        await using var badUrl = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--rosbridge", "http://not-ws", "--port", "0", "--drivers", bad + ".missing"]);
        Assert.Equal(2, await badUrl.WaitForExitAsync());
        Assert.Contains("must be a ws:// or wss:// URL", badUrl.Output, StringComparison.Ordinal);
    }

    private static async Task<(string Raw, JsonObject Frame)> ReceiveResponseAsync(ClientWebSocket socket, JsonNode id)
    {
        while (true)
        {
            var (raw, frame) = await ReceiveAsync(socket, TestTimeouts.Effect);
            if (frame["op"]?.ToString() == "service_response" && JsonNode.DeepEquals(frame["id"], id))
            {
                return (raw, frame);
            }
        }
    }

    private static async Task<(string Raw, JsonObject Frame)> ReceiveAsync(ClientWebSocket socket, TimeSpan timeout)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), Ct).AsTask().WaitAsync(timeout, Ct);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var raw = Encoding.UTF8.GetString(message.ToArray());
                return (raw, JsonNode.Parse(raw)!.AsObject());
            }
        }
    }
}

using System.Text.Json.Nodes;
using ModelContextProtocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>`rosa ros` through a real MCP client, against a real ROS 1 graph, with ROS's own CLI tools as witnesses.</summary>
[Collection(RosRobotCollection.Name)]
public sealed class RosToolsTests(RosRobotFixture robot)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Tools_HaveRosMcpServerNames()
    {
        var names = (await robot.Client.ListToolsAsync(cancellationToken: Ct)).Select(t => t.Name).ToHashSet();
        foreach (var expected in new[]
        {
            "connect_to_robot", "ping_robot", "detect_ros_version", "get_topics", "get_topic_type", "get_topic_details", "get_message_details",
            "subscribe_once", "subscribe_for_duration", "publish_once", "publish_for_durations", "get_services", "get_service_type",
            "get_service_details", "call_service", "get_nodes", "get_node_details", "get_parameters", "get_parameter", "set_parameter",
            "delete_parameter", "get_actions", "get_action_details", "send_action_goal", "cancel_action_goal", "get_action_status",
            "capture_camera_image", "stop_robot", "emergency_stop", "emergency_stop_status",
        })
        {
            Assert.Contains(expected, names);
        }
    }

    [Fact]
    public async Task Introspection_ShowsTheRealGraph()
    {
        Assert.Equal(1, (await robot.CallAsync("detect_ros_version"))["version"]!.GetValue<int>());
        var topics = (await robot.CallAsync("get_topics"))["topics"]!.AsArray().Select(t => t!.ToString()).ToList();
        Assert.Contains("/odom", topics);
        Assert.Contains("/oakd/rgb/preview/image_raw/compressed", topics);
        var details = await robot.CallAsync("get_topic_details", new { topic = "/cmd_vel" });
        Assert.Equal("geometry_msgs/Twist", details["type"]!.ToString());
        Assert.Contains("/fake_turtlebot", details["subscribers"]!.AsArray().Select(n => n!.ToString()));
        var service = await robot.CallAsync("get_service_details", new { service = "/dock" });
        Assert.Equal("std_srvs/Trigger", service["type"]!.ToString());
        Assert.Equal("/fake_turtlebot", service["provider"]!.ToString());
        Assert.Equal(["success", "message"], service["response"]![0]!["fieldnames"]!.AsArray().Select(f => f!.ToString()));
        var twist = await robot.CallAsync("get_message_details", new { message_type = "geometry_msgs/msg/Twist" });
        Assert.Equal(["linear", "angular"], twist["typedefs"]![0]!["fieldnames"]!.AsArray().Select(f => f!.ToString()));
        Assert.Contains("/fake_turtlebot", (await robot.CallAsync("get_nodes"))["nodes"]!.AsArray().Select(n => n!.ToString()));
        Assert.Contains("/dock_action", (await robot.CallAsync("get_actions"))["actions"]!.AsArray().Select(n => n!.ToString()));
        var action = await robot.CallAsync("get_action_details", new { action = "/dock_action" });
        Assert.Equal("actionlib/Test", action["type"]!.ToString());
        Assert.True((await robot.CallAsync("ping_robot"))["reachable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Parameters_AreReadAndWritten_AsRosparamSeesThem()
    {
        Assert.Equal(0.5, (await robot.CallAsync("get_parameter", new { name = "/fake_turtlebot/max_speed" }))["value"]!.GetValue<double>());
        await robot.CallAsync("set_parameter", new { name = "/rosa_test/gain", value = 2.5 });
        Assert.Equal("2.5", (await robot.Graph.RunAsync("rosparam", ["get", "/rosa_test/gain"])).Trim());
        await robot.CallAsync("delete_parameter", new { name = "/rosa_test/gain" });
        Assert.Null((await robot.CallAsync("get_parameter", new { name = "/rosa_test/gain" }))["value"]);
        Assert.Contains("/fake_turtlebot/max_speed", (await robot.CallAsync("get_parameters"))["names"]!.AsArray().Select(n => n!.ToString()));
    }

    [Fact]
    public async Task PublishOnce_ArrivesInRostopicEcho()
    {
        await using var echo = robot.Graph.StartWitness("rostopic", ["echo", "-n", "1", "/rosa_chatter"]);
        // rostopic echo waits for the topic to appear; publish until the witness has seen one.
        await Poll.UntilAsync(async () =>
        {
            await robot.CallAsync("publish_once", new { topic = "/rosa_chatter", msg_type = "std_msgs/msg/String", msg = new { data = "hello from rosa" } });
            return echo.Output.Contains("hello from rosa", StringComparison.Ordinal);
        }, "rostopic echo to print the published message", interval: TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task SubscribeOnce_ReadsOdometry_AndLatchedState()
    {
        var odom = await robot.CallAsync("subscribe_once", new { topic = "/odom" });
        Assert.Equal("base_link", odom["msg"]!["child_frame_id"]!.ToString());
        var docked = await robot.CallAsync("subscribe_once", new { topic = "/is_docked", msg_type = "std_msgs/msg/Bool", timeout = 3 });
        Assert.NotNull(docked["msg"]!["data"]);
        var window = await robot.CallAsync("subscribe_for_duration", new { topic = "/odom", duration = 1.5, max_messages = 50 });
        Assert.InRange(window["collected_count"]!.GetValue<int>(), 8, 20);
    }

    [Fact]
    public async Task VelocityCommand_IsClampedAndSaidSo_AndTheOdometryMovesByTheClampedAmount()
    {
        var before = await robot.OdomAsync();
        var result = await robot.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel",
            msg_type = "geometry_msgs/msg/Twist",
            messages = new[] { new { linear = new { x = 5.0, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } },
            durations = new[] { 1.0 },
            rate_hz = 10,
        });
        Assert.True(result["success"]!.GetValue<bool>());
        Assert.Contains("linear speed 5 m/s scaled down to 0.3 m/s", result["clamped"]![0]!.ToString(), StringComparison.Ordinal);
        Assert.InRange(result["published_count"]!.GetValue<int>(), 8, 12);
        // Zero velocity was the last word: the base stands still right after.
        var after = await Poll.ForAsync(robot.OdomAsync, o => o.Vx == 0, "the base to stop");
        // 1 s at the clamped 0.3 m/s (5 m/s would have been capped by the robot at 0.5).
        Assert.InRange(after.X - before.X, 0.2, 0.42);
    }

    [Fact]
    public async Task CallService_DocksTheRobot_AsIsDockedShows()
    {
        await robot.CallAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/srv/Trigger", request = new { } });
        var dock = await robot.CallAsync("call_service", new { service_name = "/dock", service_type = "std_srvs/srv/Trigger", request = new { }, timeout = 5 });
        Assert.Equal("docked", dock["response"]!["message"]!.ToString());
        Assert.Contains("data: True", await robot.Graph.RunAsync("rostopic", ["echo", "-n", "1", "/is_docked"]), StringComparison.Ordinal);
        var again = await robot.CallAsync("call_service", new { service_name = "/dock", service_type = "std_srvs/srv/Trigger" });
        Assert.False(again["response"]!["success"]!.GetValue<bool>());
        await robot.CallAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/srv/Trigger" });
        Assert.Contains("data: False", await robot.Graph.RunAsync("rostopic", ["echo", "-n", "1", "/is_docked"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceThatNeverAnswers_IsATimeout_AndAMissingOneIsAFailure()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var timeout = await robot.CallFailingAsync("call_service", new { service_name = "/slow_service", service_type = "std_srvs/srv/Trigger", timeout = 1.0 });
        Assert.Contains("No answer from service /slow_service within 1 s", timeout, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        var missing = await robot.CallFailingAsync("call_service", new { service_name = "/no_such_service", service_type = "std_srvs/srv/Trigger" });
        Assert.Contains("robot answered with a failure", missing, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ActionGoal_ReportsProgress_AndDocks()
    {
        await robot.CallAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/srv/Trigger" });
        var progress = new List<ProgressNotificationValue>();
        var reporter = new SyncProgress(p => { lock (progress) { progress.Add(p); } });
        var result = await robot.CallAsync("send_action_goal", new { action_name = "/dock_action", action_type = "actionlib/TestAction", goal = new { goal = 3 }, timeout = 20 }, reporter);
        Assert.Equal("succeeded", result["status"]!.ToString());
        Assert.Equal(6, result["result"]!["result"]!.GetValue<int>());
        Assert.Equal(3, result["feedback_count"]!.GetValue<int>());
        await Poll.UntilAsync(() => { lock (progress) { return Task.FromResult(progress.Count == 3); } }, "three progress notifications");
        Assert.Contains("data: True", await robot.Graph.RunAsync("rostopic", ["echo", "-n", "1", "/is_docked"]), StringComparison.Ordinal);
        await robot.CallAsync("call_service", new { service_name = "/undock", service_type = "std_srvs/srv/Trigger" });
    }

    [Fact]
    public async Task CaptureCameraImage_SavesAJpegForDescribeImage_AndRawImagesAsPng()
    {
        var result = await robot.CallAsync("capture_camera_image");
        var relative = result["relative_path"]!.ToString();
        Assert.StartsWith("ros/turtlebot_", relative, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(Path.Combine(robot.ImagesDir, relative), Ct);
        Assert.Equal([0xFF, 0xD8, 0xFF], bytes[..3]);
        Assert.True(bytes.Length > 1000);
        Assert.DoesNotContain("data", result.Select(kv => kv.Key));

        var raw = await robot.CallAsync("capture_camera_image", new { topic = "/camera/image_raw" });
        var png = await File.ReadAllBytesAsync(Path.Combine(robot.ImagesDir, raw["relative_path"]!.ToString()), Ct);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.Equal(32, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));

        var viaSubscribe = await robot.CallAsync("subscribe_once", new { topic = "/oakd/rgb/preview/image_raw/compressed" });
        Assert.Null(viaSubscribe["msg"]!["data"]);
        Assert.StartsWith("ros/", viaSubscribe["msg"]!["image_saved"]!["relative_path"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DenyList_RefusesWrites_WithAReason()
    {
        var topic = await robot.CallFailingAsync("publish_once", new { topic = "/forbidden_arm", msg_type = "std_msgs/Float64", msg = new { data = 1.0 } });
        Assert.Contains("deny list", topic, StringComparison.Ordinal);
        var service = await robot.CallFailingAsync("call_service", new { service_name = "/forbidden_reset", service_type = "std_srvs/Trigger" });
        Assert.Contains("deny list", service, StringComparison.Ordinal);
        var action = await robot.CallFailingAsync("send_action_goal", new { action_name = "/forbidden_action", action_type = "actionlib/TestAction" });
        Assert.Contains("deny list", action, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StopTool_EndsAMotionAtOnce_AndTheBaseStops()
    {
        var motion = robot.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel",
            msg_type = "geometry_msgs/Twist",
            messages = new[] { new { linear = new { x = 0.2 } } },
            durations = new[] { 15.0 },
        });
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx > 0.1, "the base to move");
        Assert.Equal(1, (await robot.HealthAsync())["active_motions"]!.GetValue<int>());
        var stop = await robot.CallAsync("stop_robot");
        Assert.Equal(1, stop["motions_ended"]!.GetValue<int>());
        var result = await motion.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.True(result["stopped_early"]!.GetValue<bool>());
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx == 0, "the base to stop", timeout: TimeSpan.FromSeconds(5));
        Assert.Equal(0, (await robot.HealthAsync())["active_motions"]!.GetValue<int>());
    }

    [Fact]
    public async Task DeadMan_CallerGoingAway_StopsTheMotion()
    {
        await using var worker = await robot.ConnectAsync(Ct);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var motion = robot.CallRawAsync("publish_for_durations", new
        {
            topic = "/cmd_vel",
            msg_type = "geometry_msgs/Twist",
            messages = new[] { new { linear = new { x = 0.2 } } },
            durations = new[] { 15.0 },
        }, null, worker, cancel.Token);
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx > 0.1, "the base to move");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => motion);
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx == 0, "the base to stop after the caller went away", timeout: TimeSpan.FromSeconds(5));
        await Poll.UntilAsync(async () => (await robot.HealthAsync())["active_motions"]!.GetValue<int>() == 0, "the motion to end");
    }

    [Fact]
    public async Task DeadMan_WorkerProcessVanishing_DropsItsHttpRequest_AndStopsTheMotion()
    {
        // A worker that dies sends no cancel notification: its TCP connection just closes.
        var http = new HttpClient();
        var endpoint = new Uri(robot.BaseUrl + "/mcp");
        async Task<HttpResponseMessage> PostAsync(string body, string? session, HttpCompletionOption option, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Accept.ParseAdd("application/json");
            request.Headers.Accept.ParseAdd("text/event-stream");
            if (session is not null)
            {
                request.Headers.Add("Mcp-Session-Id", session);
            }
            return await http.SendAsync(request, option, ct);
        }
        using var init = await PostAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"dying-worker","version":"1"}}}""", null, HttpCompletionOption.ResponseContentRead, Ct);
        Assert.True(init.IsSuccessStatusCode);
        var session = init.Headers.TryGetValues("Mcp-Session-Id", out var sessions) ? sessions.Single() : null;
        using (await PostAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", session, HttpCompletionOption.ResponseContentRead, Ct))
        {
        }
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var call = PostAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"publish_for_durations","arguments":{"topic":"/cmd_vel","msg_type":"geometry_msgs/Twist","messages":[{"linear":{"x":0.2}}],"durations":[15]}}}""",
            session, HttpCompletionOption.ResponseHeadersRead, abort.Token);
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx > 0.1, "the base to move");
        await abort.CancelAsync();
        if (call.IsCompletedSuccessfully)
        {
            // The SSE response had started: closing it drops the connection.
            (await call).Dispose();
        }
        http.Dispose();
        await Poll.ForAsync(robot.OdomAsync, o => o.Vx == 0, "the base to stop after the worker vanished", timeout: TimeSpan.FromSeconds(6));
        await Poll.UntilAsync(async () => (await robot.HealthAsync())["active_motions"]!.GetValue<int>() == 0, "the motion to end");
    }

    [Fact]
    public async Task BadInput_GetsClearErrors_AndTheServerKeepsWorking()
    {
        var cases = new (string Tool, object Args, string Expect)[]
        {
            ("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = "fast" }, "must be a JSON object"),
            ("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { } }, "empty"),
            ("publish_once", new { topic = "cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.1 } } }, "must be a ROS name"),
            ("publish_once", new { topic = "/cmd_vel", msg_type = "Twist", msg = new { linear = new { x = 0.1 } } }, "not a ROS type name"),
            ("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = "NaN" } } }, "must be a number"),
            ("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist" }, "msg"),
            ("publish_for_durations", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", messages = new[] { new { linear = new { x = 0.1 } } }, durations = new[] { 1.0, 2.0 } }, "one entry per message"),
            ("publish_for_durations", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", messages = new[] { new { linear = new { x = 0.1 } } }, durations = new[] { 1e9 } }, "at most 20"),
            ("publish_for_durations", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", messages = new[] { new { linear = new { x = 0.1 } } }, durations = new[] { -1.0 } }, ">= 0"),
            ("publish_for_durations", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", messages = new[] { new { linear = new { x = 0.1 } } }, durations = new[] { 1.0 }, rate_hz = 1e6 }, "rate_hz"),
            ("subscribe_once", new { topic = "/odom", timeout = 1e12 }, "timeout must be"),
            ("subscribe_once", new { topic = "/odom", timeout = "NaN" }, ""),
            ("subscribe_once", new { topic = "/no_such_topic" }, "does not exist"),
            ("subscribe_for_duration", new { topic = "/odom", max_messages = 1_000_000 }, "max_messages"),
            ("call_service", new { service_name = "/dock", service_type = "std_srvs/Trigger", request = new[] { 1, 2 } }, "must be a JSON object"),
            ("call_service", new { service_name = "/dock", service_type = "std_srvs/Trigger", request = new { data = true } }, "does not have a field data"),
            ("call_service", new { service_type = "std_srvs/Trigger" }, "service_name"),
            ("get_topic_type", new { topic = 42 }, ""),
            ("get_message_details", new { message_type = "nope_msgs/Nothing" }, "Unknown message type"),
            ("cancel_action_goal", new { action_name = "/dock_action", goal_id = "/not-a-goal" }, "No running goal"),
            ("capture_camera_image", new { topic = "/odom", timeout = 3 }, "does not carry images"),
        };
        foreach (var (tool, args, expect) in cases)
        {
            string error;
            try
            {
                error = await robot.CallFailingAsync(tool, args);
            }
            catch (McpException ex)
            {
                error = ex.Message;
            }
            Assert.Contains(expect, error, StringComparison.Ordinal);
        }
        var huge = await robot.CallAsync("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 1e308 }, angular = new { z = -1e308 } } });
        Assert.Equal(0.3, huge["published"]!["linear"]!["x"]!.GetValue<double>());
        Assert.Equal(-1.0, huge["published"]!["angular"]!["z"]!.GetValue<double>());
        Assert.Equal(2, huge["clamped"]!.AsArray().Count);
        Assert.False(robot.Rosa.HasExited);
        Assert.Equal("ok", (await robot.HealthAsync())["status"]!.ToString());
        Assert.Equal("nav_msgs/Odometry", (await robot.CallAsync("get_topic_type", new { topic = "/odom" }))["type"]!.ToString());
    }

    [Fact]
    public async Task BridgeKilledMidSubscription_ClientReconnects_AndTheSubscriptionResumes()
    {
        var window = robot.CallAsync("subscribe_for_duration", new { topic = "/odom", duration = 8.0, max_messages = 1000 });
        // Kept: the window must collect a second of messages before the bridge dies (the tool returns them only at its end, so
        // nothing shows them arriving); the assertion below looks for stamps from before the restart.
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        var before = (await robot.HealthAsync())["reconnects"]!.GetValue<int>();
        await robot.Graph.RestartBridgeAsync(TimeSpan.FromSeconds(1));
        var restartedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var result = await window;
        var stamps = result["messages"]!.AsArray().Select(m => m!["header"]!["stamp"]!["secs"]!.GetValue<long>()).ToList();
        Assert.Contains(stamps, s => s < restartedAt - 1);
        Assert.Contains(stamps, s => s > restartedAt + 1);
        Assert.Equal(before + 1, (await robot.HealthAsync())["reconnects"]!.GetValue<int>());
        Assert.Contains(robot.Rosa.Lines, l => l.Contains("Reconnected to rosbridge", StringComparison.Ordinal) && l.Contains("restored", StringComparison.Ordinal));
        await Poll.UntilAsync(async () => (await robot.HealthAsync())["connected"]!.GetValue<bool>(), "the connection to be back");
    }

    [Fact]
    public async Task BridgeDown_ToolsSaySo_InsteadOfHanging()
    {
        await robot.Graph.StopBridgeAsync();
        try
        {
            await Poll.UntilAsync(async () => !(await robot.HealthAsync())["connected"]!.GetValue<bool>(), "the loss to be noticed");
            var error = await robot.CallFailingAsync("get_topics");
            Assert.Contains("Not connected to rosbridge", error, StringComparison.Ordinal);
        }
        finally
        {
            await robot.Graph.StartBridgeAsync();
        }
        await Poll.UntilAsync(async () => (await robot.HealthAsync())["connected"]!.GetValue<bool>(), "the reconnection");
        Assert.Contains("/odom", (await robot.CallAsync("get_topics"))["topics"]!.AsArray().Select(t => t!.ToString()));
    }

    private sealed class SyncProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}

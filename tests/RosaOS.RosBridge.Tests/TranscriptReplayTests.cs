using System.Net.WebSockets;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.RosBridge.Tests;

/// <summary>The client against frames recorded from the real rosbridge_suite, replayed byte for byte.</summary>
public sealed class TranscriptReplayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RosBridgeClient NewClient(ReplayServer server, TimeSpan? requestTimeout = null, int maxBytes = 32 * 1024 * 1024)
        => new(new RosBridgeOptions
        {
            Url = server.Url,
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            MaxMessageBytes = maxBytes,
        });

    [Fact]
    public async Task CallService_AnswersMatchedById_WhileTopicDataInterleaves_AndFailuresAreTold()
    {
        await using var server = new ReplayServer("call_service_dock.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        await using var docked = await client.SubscribeAsync("/is_docked", "std_msgs/Bool", cancellationToken: Ct);
        Assert.False((await docked.NextAsync(TestTimeouts.Effect, Ct))["data"]!.GetValue<bool>());

        var undock = await client.CallServiceAsync("/undock", cancellationToken: Ct);
        Assert.False(undock!["success"]!.GetValue<bool>());
        Assert.Equal("already undocked", undock["message"]!.GetValue<string>());

        var dock = await client.CallServiceAsync("/dock", cancellationToken: Ct);
        Assert.Equal("docked", dock!["message"]!.GetValue<string>());
        Assert.True((await docked.NextAsync(TestTimeouts.Effect, Ct))["data"]!.GetValue<bool>());

        await client.CallServiceAsync("/undock", cancellationToken: Ct);
        var missing = await Assert.ThrowsAsync<RosServiceFailedException>(() => client.CallServiceAsync("/no_such_service", cancellationToken: Ct));
        Assert.Contains("/no_such_service does not exist", missing.Message, StringComparison.Ordinal);
        var wrongArgs = await Assert.ThrowsAsync<RosServiceFailedException>(() => client.CallServiceAsync("/dock", new JsonObject { ["data"] = true }, cancellationToken: Ct));
        Assert.Contains("does not have a field data", wrongArgs.Message, StringComparison.Ordinal);

        var sent = server.Received.Where(f => f["op"]?.ToString() == "call_service").ToList();
        Assert.All(sent, f => Assert.StartsWith("rosa-call-", f["id"]!.ToString(), StringComparison.Ordinal));
        Assert.Equal(sent.Count, sent.Select(f => f["id"]!.ToString()).Distinct().Count());
    }

    [Fact]
    public async Task NoAnswer_IsATimeout_NotAFailure_AndTheConnectionStaysUsable()
    {
        await using var server = new ReplayServer("rosapi_topics.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        var error = await Assert.ThrowsAsync<RosBridgeTimeoutException>(() =>
            client.CallServiceAsync("/never_answers", timeout: TimeSpan.FromMilliseconds(300), cancellationToken: Ct));
        Assert.Contains("No answer from service /never_answers within 0.3 s", error.Message, StringComparison.Ordinal);
        var call = server.Received.Single(f => f["service"]?.ToString() == "/never_answers");
        Assert.Equal(0.3, call["timeout"]!.GetValue<double>(), 3);
        Assert.True(client.IsConnected);
        var api = new RosApi(client);
        Assert.Equal("nav_msgs/Odometry", await api.TopicTypeAsync("/odom", Ct));
    }

    [Fact]
    public async Task RosApi_DetectsRos1_AndReadsTheGraph()
    {
        await using var server = new ReplayServer("rosapi_topics.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        var api = new RosApi(client);
        var (version, distro) = await api.DetectVersionAsync(Ct);
        Assert.Equal(1, version);
        Assert.Equal("Debian", distro);
        Assert.Equal("nav_msgs/Odometry", api.NormalizeType("nav_msgs/msg/Odometry"));

        var (topics, types) = await api.TopicsAsync(Ct);
        Assert.Contains("/odom", topics);
        Assert.Equal(topics.Length, types.Length);
        Assert.Equal(["/fake_turtlebot"], await api.PublishersAsync("/odom", Ct));
        Assert.Equal("std_srvs/Trigger", await api.ServiceTypeAsync("/dock", Ct));
        Assert.Equal("/fake_turtlebot", await api.ServiceNodeAsync("/dock", Ct));
        Assert.Equal(["/dock_action"], await api.ActionServersAsync(Ct));
        var details = await api.MessageDetailsAsync("nav_msgs/msg/Odometry", Ct);
        Assert.Equal("nav_msgs/Odometry", details["typedefs"]![0]!["type"]!.ToString());
        Assert.Equal("nav_msgs/Odometry", server.Received.Last(f => f["service"]?.ToString() == "/rosapi/message_details")["args"]!["type"]!.ToString());
        Assert.Equal(0.5, (await api.GetParamAsync("/fake_turtlebot/max_speed", Ct))!.GetValue<double>());
        await api.SetParamAsync("/fake_turtlebot/max_speed", JsonValue.Create(0.3), Ct);
        Assert.Equal("0.3", server.Received.Last(f => f["service"]?.ToString() == "/rosapi/set_param")["args"]!["value"]!.ToString());
    }

    [Fact]
    public async Task Fragments_AreReassembled_ForTopicDataAndServiceResponses()
    {
        await using var server = new ReplayServer("fragments.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        await using (var camera = await client.SubscribeAsync("/oakd/rgb/preview/image_raw/compressed", "sensor_msgs/CompressedImage",
            new SubscribeOptions { FragmentSize = 1000 }, Ct))
        {
            var image = await camera.NextAsync(TestTimeouts.Effect, Ct);
            Assert.Equal("jpeg", image["format"]!.ToString());
            var jpeg = Convert.FromBase64String(image["data"]!.ToString());
            Assert.Equal([0xFF, 0xD8], jpeg[..2]);
            Assert.Equal([0xFF, 0xD9], jpeg[^2..]);
            Assert.Equal(1000, server.Received.First(f => f["op"]?.ToString() == "subscribe")["fragment_size"]!.GetValue<int>());
        }
        var services = (await client.CallServiceAsync("/rosapi/services", cancellationToken: Ct))!;
        Assert.Contains("/dock", services["services"]!.AsArray().Select(s => s!.ToString()));
        Assert.Equal(0, client.RefusedFrames);
    }

    [Fact]
    public async Task PngCompressedFrames_AreDecodedToTheMessage()
    {
        await using var server = new ReplayServer("png.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        await using var odom = await client.SubscribeAsync("/odom", "nav_msgs/Odometry", new SubscribeOptions { Compression = "png", ThrottleRateMs = 1000 }, Ct);
        var first = await odom.NextAsync(TestTimeouts.Effect, Ct);
        Assert.Equal("odom", first["header"]!["frame_id"]!.ToString());
        Assert.Equal(36, first["pose"]!["covariance"]!.AsArray().Count);
        Assert.Equal(0, client.RefusedFrames);
    }

    [Fact]
    public async Task ThrottledSubscription_DeliversInOrder_AndUnsubscribeHasNoId()
    {
        await using var server = new ReplayServer("subscribe_odom.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        var odom = await client.SubscribeAsync("/odom", "nav_msgs/Odometry", new SubscribeOptions { ThrottleRateMs = 500 }, Ct);
        var seqs = new List<int>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add((await odom.NextAsync(TestTimeouts.Effect, Ct))["header"]!["seq"]!.GetValue<int>());
        }
        Assert.Equal([1, 6, 11, 16, 21], seqs);
        await odom.DisposeAsync();
        var unsubscribe = await server.WaitForFrameAsync(f => f["op"]?.ToString() == "unsubscribe");
        Assert.Null(unsubscribe["id"]);
        Assert.Equal(500, server.Received.First(f => f["op"]?.ToString() == "subscribe")["throttle_rate"]!.GetValue<int>());
    }

    [Fact]
    public async Task AdvertisedService_AnswersTheServersRequestWithItsId()
    {
        await using var server = new ReplayServer("advertise_service.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        var calls = 0;
        await using var service = await client.AdvertiseServiceAsync("/rosaos/ping", "std_srvs/Trigger", (args, _) =>
        {
            calls++;
            return Task.FromResult<JsonNode?>(new JsonObject { ["success"] = true, ["message"] = $"pong {calls}" });
        }, Ct);
        var response = await server.WaitForFrameAsync(f => f["op"]?.ToString() == "service_response");
        Assert.Equal("service_request:/rosaos/ping:1", response["id"]!.ToString());
        Assert.Equal("pong 1", response["values"]!["message"]!.ToString());
        Assert.True(response["result"]!.GetValue<bool>());
    }

    [Fact]
    public async Task ActionLibGoal_ReportsFeedbackAndResult_AndCancelPreempts()
    {
        await using var server = new ReplayServer("actionlib_dock.jsonl");
        await using var client = NewClient(server);
        await client.ConnectAsync(Ct);
        var goal = await ActionLibClient.SendGoalAsync(client, "/dock_action", "actionlib/TestAction", new JsonObject { ["goal"] = 21 }, TimeSpan.Zero, Ct);
        var feedback = new List<int>();
        await foreach (var fb in goal.Feedback.ReadAllAsync(Ct))
        {
            feedback.Add(fb!["feedback"]!.GetValue<int>());
        }
        var result = await goal.Result.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.Equal([0, 1, 2], feedback);
        Assert.Equal("succeeded", result.StatusName);
        Assert.Equal(42, result.Values!["result"]!.GetValue<int>());

        var second = await ActionLibClient.SendGoalAsync(client, "/dock_action", "actionlib/TestAction", new JsonObject { ["goal"] = 5 }, TimeSpan.Zero, Ct);
        await second.CancelAsync(Ct);
        var cancelled = await second.Result.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.Equal("canceled", cancelled.StatusName);
        Assert.False(cancelled.Ok);
    }

    [Fact]
    public async Task MalformedAndHugeFrames_AreRefused_AndTheStreamGoesOn()
    {
        await using var server = new ReplayServer("call_service_dock.jsonl");
        await using var client = NewClient(server, maxBytes: 64 * 1024);
        await client.ConnectAsync(Ct);
        await using var docked = await client.SubscribeAsync("/is_docked", "std_msgs/Bool", cancellationToken: Ct);
        await docked.NextAsync(TestTimeouts.Effect, Ct);

        await server.InjectAsync("{\"op\":\"publish\",\"topic\":\"/is_docked\",\"msg\":{\"da");
        await server.InjectAsync("this is not json");
        await server.InjectAsync("[1,2,3]");
        await server.InjectAsync("{\"op\":\"no_such_op\"}");
        await server.InjectAsync("{\"op\":\"publish\",\"topic\":\"/is_docked\",\"msg\":{\"data\":\"" + new string('x', 200_000) + "\"}}");
        await server.InjectAsync("{\"op\":\"fragment\",\"id\":7,\"data\":\"x\",\"num\":9,\"total\":2.5}");
        await server.InjectAsync("{\"op\":\"png\",\"data\":\"bm90IGEgcG5n\"}");
        await server.InjectAsync("\u0001\u0002", WebSocketMessageType.Binary);
        await server.InjectAsync("{\"op\":\"publish\",\"topic\":\"\\/is_docked\",\"msg\":{\"data\":true}}");

        Assert.True((await docked.NextAsync(TestTimeouts.Effect, Ct))["data"]!.GetValue<bool>());
        Assert.Equal(8, client.RefusedFrames);
        Assert.Equal(1, server.Connections);
        Assert.Equal("already undocked", (await client.CallServiceAsync("/undock", cancellationToken: Ct))!["message"]!.ToString());
    }

    [Fact]
    public async Task ServerDrop_FailsCallsInFlight_ThenReconnectsAndRestoresSubscriptionsAndAdvertisements()
    {
        await using var server = new ReplayServer("rosapi_topics.jsonl");
        await using var client = NewClient(server);
        var events = new List<string>();
        client.ConnectionChanged += (_, why) => { lock (events) { events.Add(why); } };
        await client.ConnectAsync(Ct);
        await using var odom = await client.SubscribeAsync("/odom", "nav_msgs/Odometry", cancellationToken: Ct);
        await using var cmd = await client.AdvertiseAsync("/cmd_vel", "geometry_msgs/Twist", Ct);
        await server.WaitForFrameAsync(f => f["op"]?.ToString() == "advertise");

        var inFlight = client.CallServiceAsync("/never_answers", timeout: TimeSpan.FromSeconds(30), cancellationToken: Ct);
        await server.WaitForFrameAsync(f => f["service"]?.ToString() == "/never_answers");
        server.DropClients();
        var lost = await Assert.ThrowsAsync<RosBridgeConnectionException>(() => inFlight);
        Assert.Contains("Lost the connection", lost.Message, StringComparison.Ordinal);

        await server.WaitForFrameAsync(f => f["op"]?.ToString() == "subscribe" && f["topic"]?.ToString() == "/odom", skip: 1);
        await server.WaitForFrameAsync(f => f["op"]?.ToString() == "advertise" && f["topic"]?.ToString() == "/cmd_vel", skip: 1);
        Assert.Equal(2, server.Connections);
        Assert.Equal(1, client.Reconnects);
        await server.InjectAsync("{\"op\":\"publish\",\"topic\":\"\\/odom\",\"msg\":{\"child_frame_id\":\"after-restart\"}}");
        Assert.Equal("after-restart", (await odom.NextAsync(TestTimeouts.Effect, Ct))["child_frame_id"]!.ToString());
        await cmd.PublishAsync(new JsonObject { ["linear"] = new JsonObject { ["x"] = 0.1 } }, Ct);
        lock (events)
        {
            Assert.Contains(events, e => e.Contains("restored 1 subscriptions, 1 publishers", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void TypeNames_AreNormalisedPerRosVersion_AndBadOnesRefused()
    {
        var api = new RosApi(new RosBridgeClient(new RosBridgeOptions { Url = new Uri("ws://127.0.0.1:1") }));
        Assert.Equal("geometry_msgs/Twist", api.NormalizeType("geometry_msgs/msg/Twist"));
        Assert.Throws<ArgumentException>(() => api.NormalizeType("Twist"));
        Assert.Throws<ArgumentException>(() => api.NormalizeType("a/b/c/d"));
        Assert.Throws<ArgumentException>(() => new RosBridgeClient(new RosBridgeOptions { Url = new Uri("http://x:9090") }));
    }
}

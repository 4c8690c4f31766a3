// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.RosBridge.Tests;

/// <summary>
/// The ROS 2 run of the client: against a live `rosa rossim` (a simulated ROS 2 TurtleBot 4 behind a rosbridge v2 server, as
/// rosbridge_suite's ros2 branch serves it), beside the recorded ROS 1 transcripts: topics, services, parameters and actions,
/// and a server that goes away in the middle of a goal.
/// </summary>
public sealed class RosSimLiveTests
{
    /// <summary>Starts <c>rosa rossim</c> on port 0 (it reports the port it got), or, to come back where a client looks, on <paramref name="port"/>.</summary>
    private static async Task<(RosaProcess Sim, int Port)> StartSimAsync(int port = 0)
    {
        var sim = RosaProcess.StartRosa(["rossim", "--name", "live", "--port", port.ToString(CultureInfo.InvariantCulture)]);
        return (sim, (await sim.WaitForListeningAsync("rossim-live", TestTimeouts.Startup)).Port);
    }

    private static RosBridgeClient Client(int port) => new(new RosBridgeOptions
    {
        Url = new Uri($"ws://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"),
        RequestTimeout = TimeSpan.FromSeconds(20),
    });

    [Fact]
    public async Task Topics_services_and_parameters_round_trip_on_ROS_2()
    {
        var (sim, port) = await StartSimAsync();
        await using var _ = sim;
        await using var client = Client(port);
        await client.ConnectAsync(CancellationToken.None);
        var api = new RosApi(client);
        Assert.Equal(2, (await api.DetectVersionAsync()).Version);
        Assert.Equal("std_msgs/msg/String", api.NormalizeType("std_msgs/String"));

        // One client publishes, the same connection's subscription receives it, filled with defaults as rosbridge does.
        await using var subscription = await client.SubscribeAsync("/chatter", "std_msgs/msg/String");
        await using var publisher = await client.AdvertiseAsync("/chatter", "std_msgs/msg/String");
        await publisher.PublishAsync(new JsonObject { ["data"] = "hello ros 2" });
        Assert.Equal("hello ros 2", (await subscription.NextAsync(TestTimeouts.Effect))["data"]!.GetValue<string>());
        Assert.Equal("std_msgs/msg/String", await api.TopicTypeAsync("/chatter"));
        Assert.Contains("/rosbridge_websocket", await api.PublishersAsync("/chatter"));

        var reset = await client.CallServiceAsync("/rossim/reset_pose", new JsonObject());
        Assert.True(reset!["success"]!.GetValue<bool>());
        Assert.Equal("std_srvs/srv/Trigger", await api.ServiceTypeAsync("/rossim/reset_pose"));
        await Assert.ThrowsAsync<RosServiceFailedException>(() => client.CallServiceAsync("/no_such_service"));

        await api.SetParamAsync("/nav2:max_speed", 0.25);
        Assert.Equal(0.25, (await api.GetParamAsync("/nav2:max_speed"))!.GetValue<double>());
        await api.DeleteParamAsync("/nav2:max_speed");
        Assert.Null(await api.GetParamAsync("/nav2:max_speed"));

        // A client-provided service: rosbridge calls the client and relays its answer.
        await using var offered = await client.AdvertiseServiceAsync("/rosa/echo", "std_srvs/srv/SetBool",
            (request, _) => Task.FromResult<JsonNode?>(new JsonObject { ["success"] = request?["data"]?.GetValue<bool>() ?? false, ["message"] = "echoed" }));
        await using var other = Client(port);
        await other.ConnectAsync(CancellationToken.None);
        var echoed = await other.CallServiceAsync("/rosa/echo", new JsonObject { ["data"] = true });
        Assert.Equal("echoed", echoed!["message"]!.GetValue<string>());
        Assert.True(echoed["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Action_goal_feedback_result_and_cancel_on_ROS_2()
    {
        var (sim, port) = await StartSimAsync();
        await using var _ = sim;
        await using var client = Client(port);
        await client.ConnectAsync(CancellationToken.None);
        var undock = await client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject());
        var undocked = await undock.Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal("succeeded", undocked.StatusName);

        var goal = await client.SendActionGoalAsync("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", new JsonObject
        {
            ["pose"] = new JsonObject { ["pose"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 2.5, ["y"] = 2.5 } } },
        });
        var feedback = await goal.Feedback.ReadAsync().AsTask().WaitAsync(TestTimeouts.Effect);
        Assert.True(feedback!["distance_remaining"]!.GetValue<double>() > 1);
        await goal.CancelAsync();
        var cancelled = await goal.Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal(5, cancelled.Status);
        Assert.True(cancelled.Ok);
    }

    [Fact]
    public async Task A_bridge_restarted_during_a_goal_fails_the_goal_then_the_client_reconnects_and_resubscribes()
    {
        var (sim, port) = await StartSimAsync();
        await using var client = Client(port);
        await client.ConnectAsync(CancellationToken.None);
        client.Start();
        await using var odom = await client.SubscribeAsync("/odom", "nav_msgs/msg/Odometry", new SubscribeOptions { ThrottleRateMs = 200 });
        await odom.NextAsync(TestTimeouts.Effect);
        await (await client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject())).Result.WaitAsync(TestTimeouts.Effect);
        var goal = await client.SendActionGoalAsync("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", new JsonObject
        {
            ["pose"] = new JsonObject { ["pose"] = new JsonObject { ["position"] = new JsonObject { ["x"] = -3.0, ["y"] = 3.0 } } },
        });
        await goal.Feedback.ReadAsync().AsTask().WaitAsync(TestTimeouts.Effect);
        await sim.DisposeAsync();
        // In flight when the bridge went away: the goal fails at once instead of hanging.
        await Assert.ThrowsAnyAsync<Exception>(() => goal.Result.WaitAsync(TestTimeouts.Effect));
        var (restarted, _) = await StartSimAsync(port);
        await using var __ = restarted;
        await Poll.UntilAsync(() => Task.FromResult(client.IsConnected), "the client to reconnect", TestTimeouts.Effect);
        // The subscription made before the restart delivers again, and a new goal works on the new connection.
        while (odom.Messages.TryRead(out _))
        {
        }
        var fresh = await odom.NextAsync(TestTimeouts.Effect);
        Assert.Equal("base_link", fresh["child_frame_id"]!.GetValue<string>());
        Assert.True(client.Reconnects >= 1);
        var again = await client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject());
        Assert.Equal("succeeded", (await again.Result.WaitAsync(TestTimeouts.Effect)).StatusName);
    }
}

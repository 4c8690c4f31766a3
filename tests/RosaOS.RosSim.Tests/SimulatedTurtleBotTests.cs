// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Text.Json.Nodes;
using OpenCvSharp;
using RosaOS.RosBridge;
using RosaOS.Testing;

namespace RosaOS.RosSim.Tests;

/// <summary>The simulated TurtleBot 4 as a ROS 2 client sees it through `rosa rossim`'s rosbridge: what it does, not how.</summary>
public sealed class SimulatedTurtleBotTests
{
    [Fact]
    public async Task Rosapi_answers_as_a_ROS_2_rosbridge_with_the_robots_topics_services_actions_and_parameters()
    {
        await using var sim = await RosSimProcess.StartAsync();
        var (version, distro) = await sim.Api.DetectVersionAsync();
        Assert.Equal(2, version);
        Assert.Equal("jazzy", distro);
        var (topics, types) = await sim.Api.TopicsAsync();
        var typeOf = topics.Zip(types).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal("geometry_msgs/msg/Twist", typeOf["/cmd_vel"]);
        Assert.Equal("nav_msgs/msg/Odometry", typeOf["/odom"]);
        Assert.Equal("sensor_msgs/msg/CompressedImage", typeOf["/oakd/rgb/preview/image_raw/compressed"]);
        Assert.Equal("irobot_create_msgs/msg/HazardDetectionVector", typeOf["/hazard_detection"]);
        Assert.DoesNotContain(topics, t => t.Contains("/_action/", StringComparison.Ordinal));
        Assert.Equal(["/dock", "/navigate_to_pose", "/undock"], (await sim.Api.ActionServersAsync()).Order());
        Assert.Equal(0.306, (await sim.Api.GetParamAsync("/motion_control:max_speed"))!.GetValue<double>());
        await sim.Api.SetParamAsync("/motion_control:max_speed", 0.2);
        Assert.Equal(0.2, (await sim.Api.GetParamAsync("/motion_control:max_speed"))!.GetValue<double>());
        // A ROS 1 style name is malformed on ROS 2: rosapi answers an empty value, not an error.
        Assert.Null(await sim.Api.GetParamAsync("/motion_control/max_speed"));
        Assert.Contains("/motion_control:max_speed", await sim.Api.ParamNamesAsync());
        var failure = await Assert.ThrowsAsync<RosServiceFailedException>(() => sim.Client.CallServiceAsync("/nope"));
        Assert.Contains("Service /nope does not exist", failure.Message, StringComparison.Ordinal);
        var details = await sim.Api.MessageDetailsAsync("geometry_msgs/Twist");
        Assert.Equal(["linear", "angular"], details["typedefs"]![0]!["fieldnames"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Cmd_vel_moves_the_base_and_it_stops_half_a_second_after_the_last_command()
    {
        await using var sim = await RosSimProcess.StartAsync();
        var start = await sim.PositionAsync();
        // Docked facing the dock: reverse away from it at 0.2 m/s for 1.5 s.
        await sim.DriveAsync(-0.2, 0, 1.5);
        var atStop = await sim.PositionAsync();
        // The dead-man stop: odometry reports zero speed, then the base has gone no further than the last half second allows.
        await sim.NextAsync("/odom", o => o["twist"]!["twist"]!["linear"]!["x"]!.GetValue<double>() == 0.0, TimeSpan.FromSeconds(5));
        var later = await sim.PositionAsync();
        var moved = Math.Abs(atStop.Y - start.Y);
        Assert.InRange(moved, 0.15, 0.45);
        Assert.InRange(Math.Abs(later.Y - atStop.Y), 0, 0.12);
        var odom = await sim.NextAsync("/odom");
        Assert.Equal(0.0, odom["twist"]!["twist"]!["linear"]!["x"]!.GetValue<double>());
    }

    [Fact]
    public async Task Driving_into_the_wall_raises_a_bump_hazard_and_the_base_stays_out_of_the_wall()
    {
        await using var sim = await RosSimProcess.StartAsync();
        await using var hazards = await sim.Client.SubscribeAsync("/hazard_detection", "irobot_create_msgs/msg/HazardDetectionVector");
        // The dock is at the south wall in front of the robot: 0.23 m of floor, then the wall.
        var driving = sim.DriveAsync(0.3, 0, 3);
        JsonObject? bump = null;
        var deadline = DateTime.UtcNow + TestTimeouts.Effect;
        while (bump is null && DateTime.UtcNow < deadline)
        {
            var message = await hazards.NextAsync(TestTimeouts.Effect);
            bump = message["detections"]!.AsArray().OfType<JsonObject>().FirstOrDefault(d => d["type"]!.GetValue<int>() == 1);
        }
        await driving;
        Assert.NotNull(bump);
        Assert.StartsWith("bump_front", bump["header"]!["frame_id"]!.GetValue<string>(), StringComparison.Ordinal);
        var (_, y) = await sim.PositionAsync();
        Assert.True(y > -4 + 0.17 - 0.01, $"the base went into the wall: y = {y}");
    }

    [Fact]
    public async Task The_battery_drains_with_motion_and_charges_again_on_the_dock()
    {
        await using var sim = await RosSimProcess.StartAsync();
        await sim.Api.SetParamAsync("/rossim:battery_drain_per_metre", 0.2);
        await sim.Api.SetParamAsync("/rossim:battery_charge_per_second", 0.02);
        var undock = await sim.Client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject());
        var undocked = await undock.Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal(4, undocked.Status);
        Assert.False(undocked.Values!["is_docked"]!.GetValue<bool>());
        var before = (await sim.NextAsync("/battery_state"))["percentage"]!.GetValue<double>();
        await sim.DriveAsync(0.3, 0, 1.5);
        var after = (await sim.NextAsync("/battery_state", m => m["percentage"]!.GetValue<double>() < before - 0.05))["percentage"]!.GetValue<double>();
        Assert.InRange(before - after, 0.05, 0.4);
        var dock = await sim.Client.SendActionGoalAsync("/dock", "irobot_create_msgs/action/Dock", new JsonObject());
        var docked = await WithStateAsync(sim, dock.Result.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(4, docked.Status);
        Assert.True(docked.Values!["is_docked"]!.GetValue<bool>());
        var status = await sim.NextAsync("/dock_status", m => m["is_docked"]!.GetValue<bool>());
        Assert.True(status["is_docked"]!.GetValue<bool>());
        var charging = await sim.NextAsync("/battery_state", m => m["percentage"]!.GetValue<double>() > after + 0.02);
        Assert.Equal(1, charging["power_supply_status"]!.GetValue<int>());
    }

    // On a timeout, says where the robot was and what it was doing.
    private static async Task<T> WithStateAsync<T>(RosSimProcess sim, Task<T> task)
    {
        try
        {
            return await task;
        }
        catch (TimeoutException)
        {
            using var http = new HttpClient();
            var state = await http.GetStringAsync(new Uri($"http://127.0.0.1:{sim.Port}/api/state"));
            Assert.Fail($"timed out; the robot: {state}");
            throw;
        }
    }

    [Fact]
    public async Task Navigate_to_pose_reports_feedback_reaches_the_goal_around_the_table_and_can_be_cancelled()
    {
        await using var sim = await RosSimProcess.StartAsync();
        await (await sim.Client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject())).Result.WaitAsync(TestTimeouts.Effect);
        var goal = await sim.Client.SendActionGoalAsync("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", new JsonObject
        {
            ["pose"] = new JsonObject { ["header"] = new JsonObject { ["frame_id"] = "map" }, ["pose"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 0.5, ["y"] = -2.4 } } },
        });
        var feedback = await goal.Feedback.ReadAsync().AsTask().WaitAsync(TestTimeouts.Effect);
        Assert.True(feedback!["distance_remaining"]!.GetValue<double>() > 0);
        Assert.NotNull(feedback["current_pose"]!["pose"]!["position"]);
        var result = await goal.Result.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(4, result.Status);
        var (x, y) = await sim.PositionAsync();
        Assert.InRange(x, 0.4, 0.6);
        Assert.InRange(y, -2.5, -2.3);

        // A far goal, cancelled on the way: status 5 and the base stops.
        var far = await sim.Client.SendActionGoalAsync("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", new JsonObject
        {
            ["pose"] = new JsonObject { ["pose"] = new JsonObject { ["position"] = new JsonObject { ["x"] = -3.0, ["y"] = 3.0 } } },
        });
        await far.Feedback.ReadAsync().AsTask().WaitAsync(TestTimeouts.Effect);
        await far.CancelAsync();
        var cancelled = await far.Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal(5, cancelled.Status);

        // A goal inside the table is refused: aborted with the reason.
        var blocked = await sim.Client.SendActionGoalAsync("/navigate_to_pose", "nav2_msgs/action/NavigateToPose", new JsonObject
        {
            ["pose"] = new JsonObject { ["pose"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 1.7, ["y"] = 1.4 } } },
        });
        var aborted = await blocked.Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal(6, aborted.Status);
        Assert.Contains("no path", aborted.Values!["error_msg"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_camera_publishes_jpegs_of_the_room_that_change_when_the_robot_turns()
    {
        await using var sim = await RosSimProcess.StartAsync();
        var first = await sim.NextAsync("/oakd/rgb/preview/image_raw/compressed");
        Assert.Contains("jpeg", first["format"]!.GetValue<string>(), StringComparison.Ordinal);
        var bytes = Convert.FromBase64String(first["data"]!.GetValue<string>());
        using var image = Cv2.ImDecode(bytes, ImreadModes.Color);
        Assert.Equal(250, image.Width);
        Assert.Equal(250, image.Height);
        await sim.DriveAsync(0, 1.5, 1.2);
        var turned = await sim.NextAsync("/oakd/rgb/preview/image_raw/compressed");
        using var other = Cv2.ImDecode(Convert.FromBase64String(turned["data"]!.GetValue<string>()), ImreadModes.Color);
        using var diff = new Mat();
        Cv2.Absdiff(image, other, diff);
        Assert.True(Cv2.Mean(diff).Val0 > 5, "the view did not change when the robot turned");
    }

    [Fact]
    public async Task Png_compression_and_fragments_carry_a_message_the_client_reassembles()
    {
        await using var sim = await RosSimProcess.StartAsync();
        await using var battery = await sim.Client.SubscribeAsync("/battery_state", "sensor_msgs/msg/BatteryState",
            new SubscribeOptions { Compression = "png", FragmentSize = 120 });
        var message = await battery.NextAsync(TestTimeouts.Effect);
        Assert.InRange(message["percentage"]!.GetValue<double>(), 0.5, 1.0);
        Assert.True(message["present"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Errors_come_back_only_where_rosbridge_sends_them()
    {
        await using var sim = await RosSimProcess.StartAsync();
        // An unknown action type fails the goal with the reason and status 0.
        var bad = await sim.Client.SendActionGoalAsync("/dock", "no_such_msgs/action/Dock", new JsonObject());
        var result = await bad.Result.WaitAsync(TestTimeouts.Effect);
        Assert.False(result.Ok);
        Assert.Equal(0, result.Status);
        // Docking from far away is aborted by the robot.
        await (await sim.Client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject())).Result.WaitAsync(TestTimeouts.Effect);
        var undockAgain = await (await sim.Client.SendActionGoalAsync("/undock", "irobot_create_msgs/action/Undock", new JsonObject())).Result.WaitAsync(TestTimeouts.Effect);
        Assert.Equal(6, undockAgain.Status);
        // A publish with a field of the wrong kind is dropped silently; the connection keeps working.
        await sim.Client.SendRawAsync(new JsonObject { ["op"] = "publish", ["topic"] = "/cmd_vel", ["msg"] = new JsonObject { ["linear"] = new JsonObject { ["x"] = "fast" } } });
        await sim.Client.SendRawAsync(new JsonObject { ["op"] = "no_such_op" });
        Assert.Equal(2, (await sim.Api.DetectVersionAsync()).Version);
    }
}

// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Text.Json.Nodes;
using ModelContextProtocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The ROS 2 run of the tools: `rosa ros` against `rosa rossim`, a simulated ROS 2 TurtleBot 4 behind a rosbridge v2
/// server, beside the ROS 1 graph of <see cref="RosToolsTests"/>. The tests run in order on one robot: each leaves it where the next expects it.
/// </summary>
[Collection(RosSimRobotCollection.Name)]
public sealed class Ros2ToolsTests(RosSimRobotFixture robot)
{
    [Fact]
    public async Task Introspection_sees_a_ROS_2_robot_with_its_topics_services_actions_and_parameters()
    {
        Assert.Equal(2, (await robot.CallAsync("detect_ros_version"))["version"]!.GetValue<int>());
        var details = await robot.CallAsync("get_topic_details", new { topic = "/cmd_vel" });
        Assert.Equal("geometry_msgs/msg/Twist", details["type"]!.ToString());
        Assert.Contains("/motion_control", details["subscribers"]!.AsArray().Select(n => n!.ToString()));
        Assert.Contains("/battery_state", (await robot.CallAsync("get_topics"))["topics"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal(["/dock", "/navigate_to_pose", "/undock"], (await robot.CallAsync("get_actions"))["actions"]!.AsArray().Select(n => n!.ToString()).Order());
        Assert.Equal(0.306, (await robot.CallAsync("get_parameter", new { name = "/motion_control:max_speed" }))["value"]!.GetValue<double>());
        await robot.CallAsync("set_parameter", new { name = "/oakd:fps", value = 4.0 });
        Assert.Equal(4.0, (await robot.CallAsync("get_parameter", new { name = "/oakd:fps" }))["value"]!.GetValue<double>());
        Assert.Contains("/rossim:battery_drain_per_metre", (await robot.CallAsync("get_parameters"))["names"]!.AsArray().Select(n => n!.ToString()));
        var service = await robot.CallAsync("get_service_details", new { service = "/rossim/reset_pose" });
        Assert.Equal("std_srvs/srv/Trigger", service["type"]!.ToString());
        Assert.Contains("deny list", await robot.CallFailingAsync("call_service", new { service_name = "/rossim/reset_pose", service_type = "std_srvs/srv/Trigger", request = new { } }), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Undock_drive_navigate_cancel_and_dock_through_the_action_tools_with_feedback()
    {
        var undock = await robot.CallAsync("send_action_goal", new { action_name = "/undock", action_type = "irobot_create_msgs/action/Undock", goal = new { }, timeout = 60 });
        Assert.Equal("succeeded", undock["status"]!.ToString());
        Assert.False((await robot.StateAsync())["docked"]!.GetValue<bool>());

        // A streamed drive moves the base (clamped to 0.3 m/s), and it stands still afterwards.
        var before = (await robot.StateAsync())["pose"]!;
        var drive = await robot.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist",
            messages = new object[] { new { linear = new { x = 0.5 } } }, durations = new[] { 1.0 }, rate_hz = 10,
        });
        Assert.NotNull(drive);
        // The base stops after its dead-man time: wait for the simulator to report it standing, then read where it stands.
        var after = (await Poll.ForAsync(robot.StateAsync,
            s => s["velocity"]!["linear"]!.GetValue<double>() == 0 && s["velocity"]!["angular"]!.GetValue<double>() == 0, "the base to stand still"))["pose"]!;
        var moved = Math.Sqrt(Math.Pow(after["x"]!.GetValue<double>() - before["x"]!.GetValue<double>(), 2) + Math.Pow(after["y"]!.GetValue<double>() - before["y"]!.GetValue<double>(), 2));
        Assert.InRange(moved, 0.15, 0.45);

        // navigate_to_pose: feedback as MCP progress, then the goal is reached.
        var progress = new List<string>();
        var nav = await robot.CallAsync("send_action_goal", new
        {
            action_name = "/navigate_to_pose", action_type = "nav2_msgs/action/NavigateToPose",
            goal = new { pose = new { header = new { frame_id = "map" }, pose = new { position = new { x = -0.8, y = -2.2 } } } }, timeout = 90,
        }, new SyncProgress(p => { lock (progress) { progress.Add(p.Message ?? ""); } }));
        Assert.Equal("succeeded", nav["status"]!.ToString());
        Assert.True(nav["feedback_count"]!.GetValue<int>() >= 1);
        var pose = (await robot.StateAsync())["pose"]!;
        Assert.InRange(pose["x"]!.GetValue<double>(), -0.9, -0.7);

        // A far goal with a short wait keeps running; cancel_action_goal cancels it.
        var far = await robot.CallAsync("send_action_goal", new
        {
            action_name = "/navigate_to_pose", action_type = "nav2_msgs/action/NavigateToPose",
            goal = new { pose = new { pose = new { position = new { x = 3.0, y = 3.0 } } } }, timeout = 1,
        });
        Assert.Equal("running", far["status"]!.ToString());
        var cancelled = await robot.CallAsync("cancel_action_goal", new { action_name = "/navigate_to_pose", goal_id = far["goal_id"]!.ToString() });
        Assert.Equal("canceled", cancelled["status"]!.ToString());

        var dock = await robot.CallAsync("send_action_goal", new { action_name = "/dock", action_type = "irobot_create_msgs/action/Dock", goal = new { }, timeout = 90 });
        Assert.Equal("succeeded", dock["status"]!.ToString());
        Assert.True(dock["result"]!["is_docked"]!.GetValue<bool>());
        var docked = await robot.CallAsync("subscribe_once", new { topic = "/dock_status" });
        Assert.NotNull(docked["msg"]);
    }

    [Fact]
    public async Task Capture_camera_image_saves_the_oak_d_jpeg()
    {
        var shot = await robot.CallAsync("capture_camera_image", new { timeout = 20 });
        var path = shot["image_path"]!.ToString();
        Assert.True(File.Exists(path), path);
        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(0xFF, bytes[0]);
        Assert.Equal(0xD8, bytes[1]);
        Assert.StartsWith(robot.ImagesDir, path, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }
}

using System.Diagnostics;
using System.Globalization;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The safety envelope over every write, on the real ROS 1 graph: allow lists per kind, field bounds on a service request
/// (the stand-in robot's own service prints what it received), Twist limited by vector norm (the robot's /cmd_vel
/// subscriber prints what it got), and the dead-man of a single velocity message.
/// </summary>
[Collection(RosRobotCollection.Name)]
public sealed class SafetyEnvelopeTests(RosRobotFixture robot)
{
    [Fact]
    public async Task ServiceWrite_NotOnTheAllowList_IsRefused_WhileReadsStayOpen()
    {
        // /plan_path's neighbours on the robot are readable, yet a service the allow list does not name cannot be called.
        var error = await robot.CallFailingAsync("call_service", new { service_name = "/rosout/get_loggers", service_type = "roscpp/GetLoggers" });
        Assert.Contains("service /rosout/get_loggers is not on this robot's allow list for service writes", error, StringComparison.Ordinal);
        Assert.Contains("allow_services", error, StringComparison.Ordinal);
        var type = await robot.CallAsync("get_service_type", new { service = "/rosout/get_loggers" });
        Assert.Equal("roscpp/GetLoggers", type["type"]!.ToString());

        var parameter = await robot.CallFailingAsync("set_parameter", new { name = "/fake_turtlebot/max_speed", value = 5.0 });
        Assert.Contains("parameter /fake_turtlebot/max_speed is not on this robot's allow list", parameter, StringComparison.Ordinal);
        Assert.Contains("0.5", await robot.Graph.RunAsync("rosparam", ["get", "/fake_turtlebot/max_speed"]), StringComparison.Ordinal);
        var topic = await robot.CallFailingAsync("publish_once", new { topic = "/goal_pose", msg_type = "geometry_msgs/PoseStamped", msg = new { pose = new { position = new { x = 3.0 } } } });
        Assert.Contains("topic /goal_pose is not on this robot's allow list", topic, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceField_OverItsBound_IsClamped_AndTheRobotSideSeesTheClampedValue_OrRefused()
    {
        var result = await robot.CallAsync("call_service", new
        {
            service_name = "/plan_path",
            service_type = "nav_msgs/GetPlan",
            request = new { tolerance = 2.0, goal = new { pose = new { position = new { x = 1.25 } } } },
        });
        Assert.Contains("tolerance 2 clamped to 0.5", result["clamped"]![0]!.ToString(), StringComparison.Ordinal);
        Assert.Equal(0.5, result["request"]!["tolerance"]!.GetValue<double>());
        // The robot's own service handler received the clamped tolerance, not 2.0.
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains("plan_path tolerance=0.5000 goal.x=1.2500", StringComparison.Ordinal), TestTimeouts.Effect);
        Assert.DoesNotContain("tolerance=2.0000", robot.Graph.Robot.Output, StringComparison.Ordinal);

        // A bound that refuses: the goal 9 m away never reaches the robot.
        var refused = await robot.CallFailingAsync("call_service", new
        {
            service_name = "/plan_path",
            service_type = "nav_msgs/GetPlan",
            request = new { tolerance = 0.1, goal = new { pose = new { position = new { x = 9.0 } } } },
        });
        Assert.Contains("goal.pose.position.x = 9 is outside this robot's bound -5..5 for service /plan_path", refused, StringComparison.Ordinal);
        Assert.DoesNotContain("goal.x=9.0000", robot.Graph.Robot.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DiagonalTwist_IsLimitedByItsNorm_NotPerComponent()
    {
        // 0.4 forward and 0.4 sideways is 0.57 m/s: per-component clamping would pass 0.3 and 0.3 (0.42 m/s).
        var result = await robot.CallAsync("publish_once", new
        {
            topic = "/cmd_vel",
            msg_type = "geometry_msgs/Twist",
            msg = new { linear = new { x = 0.4, y = 0.4, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } },
        });
        var linear = result["published"]!["linear"]!;
        var x = linear["x"]!.GetValue<double>();
        var y = linear["y"]!.GetValue<double>();
        Assert.Equal(0.3, Math.Sqrt((x * x) + (y * y)), 6);
        Assert.Equal(x, y, 9);
        Assert.Contains("linear speed 0.566 m/s scaled down to 0.3 m/s", result["clamped"]![0]!.ToString(), StringComparison.Ordinal);
        // The base's subscriber got the scaled vector (0.2121 forward), not the per-component 0.3.
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains("cmd_vel linear.x=0.2121", StringComparison.Ordinal), TestTimeouts.Effect);
    }

    [Fact]
    public async Task SingleVelocityMessage_IsFollowedByZero_AfterTheDeadmanTime_UnlessRenewed()
    {
        var before = robot.Graph.Robot.Lines.Count;
        var first = await robot.CallAsync("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.1234 } } });
        Assert.Contains("1.5 s", first["deadman"]!.ToString(), StringComparison.Ordinal);
        // Kept on purpose: the renewal must come inside the 1.5 s dead-man time, 0.5 s after the first message.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        // A renewal within the dead-man time restarts it.
        await robot.CallAsync("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.1111 } } });
        var watch = Stopwatch.StartNew();
        await robot.Graph.Robot.WaitForLineAsync(l => l.Contains("cmd_vel linear.x=0.1111", StringComparison.Ordinal), TestTimeouts.Effect);
        await Poll.UntilAsync(() => Task.FromResult(robot.Graph.Robot.Lines.Skip(before).SkipWhile(l => !l.Contains("linear.x=0.1111", StringComparison.Ordinal))
            .Any(l => l.Contains("cmd_vel linear.x=0.0000", StringComparison.Ordinal))), "zero velocity after the dead-man time", TestTimeouts.Effect);
        var elapsed = watch.Elapsed;
        // Not before the dead-man time (1.5 s, less the call's own return trip), and not only at the renewal.
        Assert.True(elapsed >= TimeSpan.FromSeconds(1.2), $"zero came {elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s after the renewal");
        var sequence = robot.Graph.Robot.Lines.Skip(before).Where(l => l.StartsWith("cmd_vel", StringComparison.Ordinal)).ToList();
        var firstIndex = sequence.FindIndex(l => l.Contains("linear.x=0.1234", StringComparison.Ordinal));
        var renewIndex = sequence.FindIndex(l => l.Contains("linear.x=0.1111", StringComparison.Ordinal));
        Assert.True(firstIndex >= 0 && renewIndex == firstIndex + 1, "no zero between the command and its renewal: " + string.Join(" | ", sequence));
    }
}

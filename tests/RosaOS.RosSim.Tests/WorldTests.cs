// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using System.Text.Json.Nodes;
using RosaOS.RosSim.Graph;
using RosaOS.RosSim.Robot;

namespace RosaOS.RosSim.Tests;

/// <summary>The world and the base's physics in-process, on a fake clock.</summary>
public sealed class WorldTests
{
    [Fact]
    public void The_planner_goes_around_the_table_and_refuses_a_goal_inside_it()
    {
        var world = new World();
        var path = world.Plan((0.5, 0.5), (2.8, 1.4));
        Assert.NotNull(path);
        Assert.Equal((2.8, 1.4), path[^1]);
        Assert.True(path.Count >= 2, "a straight line would cross the table");
        Assert.Null(world.Plan((0, 0), (1.7, 1.4)));
        Assert.Null(world.Plan((0, 0), (9, 0)));
    }

    [Fact]
    public async Task A_command_is_obeyed_for_half_a_second_then_the_base_stops()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var graph = new RosGraph();
        await using var robot = new TurtleBotSim(graph, new World(), time, NullLogger.Instance, camera: null);
        robot.Teleport(0, 0, 0);
        graph.Publish("/cmd_vel", "geometry_msgs/msg/Twist", new JsonObject { ["linear"] = new JsonObject { ["x"] = 5.0 }, ["angular"] = new JsonObject { ["z"] = 0.0 } });
        for (var i = 0; i < 20; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            robot.Step(0.05);
        }
        // Clamped to the Create 3's 0.306 m/s, and only for 0.5 s.
        Assert.InRange(robot.State.X, 0.14, 0.16);
        Assert.Equal(0, robot.State.Linear);
    }

    [Fact]
    public async Task A_bump_is_counted_once_per_contact_and_the_wall_holds()
    {
        var time = new FakeTimeProvider();
        var graph = new RosGraph();
        await using var robot = new TurtleBotSim(graph, new World(), time, NullLogger.Instance, camera: null);
        robot.Teleport(3.7, 0, 0);
        var hits = 0;
        graph.FindTopic("/hazard_detection")!.Listen("test", m => hits += m["detections"]!.AsArray().Count);
        for (var i = 0; i < 10; i++)
        {
            graph.Publish("/cmd_vel", "geometry_msgs/msg/Twist", new JsonObject { ["linear"] = new JsonObject { ["x"] = 0.3 } });
            time.Advance(TimeSpan.FromMilliseconds(50));
            robot.Step(0.05);
        }
        Assert.True(robot.State.X <= 4 - 0.17, $"x = {robot.State.X}");
        Assert.Equal(1, robot.State.Bumps);
        Assert.True(hits > 0);
    }
}

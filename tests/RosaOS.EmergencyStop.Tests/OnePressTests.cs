using System.Diagnostics;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>One press stops every robot, whatever moves it, and the stop holds.</summary>
[Collection(StopStackCollection.Name)]
public sealed class OnePressTests(StopStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_press_stops_the_driving_turtlebot_its_goal_and_the_turning_head_while_a_hung_driver_waits_alone()
    {
        await stack.ResetAsync();
        // Reachy: a slow goto through its MCP tool, as a worker would; 30 s, so that on a loaded machine the set-up of the
        // TurtleBot's motions below cannot take long enough for the head to (nearly) arrive before the press.
        var turn = StopStack.CallAsync(stack.ReachyUrl, "goto_target", new { head_yaw = 60, duration = 30 });
        await Poll.UntilAsync(async () => await stack.HeadYawAsync() > 3, "the head to be turning");
        // TurtleBot: a 20 s drive, a long action goal, and a single command on top, through rosa ros's tools.
        var drive = StopStack.CallAsync(stack.RosUrl, "publish_for_durations", new
        {
            topic = "/cmd_vel",
            msg_type = "geometry_msgs/Twist",
            messages = new[] { new { linear = new { x = 0.2 } } },
            durations = new[] { 20.0 },
        });
        var goal = StopStack.CallAsync(stack.RosUrl, "send_action_goal", new { action_name = "/dock_action", action_type = "actionlib/TestAction", goal = new { goal = 1200 }, timeout = 60 });
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx > 0.1, "the base to drive");
        await Poll.UntilAsync(async () => JsonNode.Parse((await StopStack.CallAsync(stack.RosUrl, "get_action_status")).Text)!["running"]!.AsArray().Count == 1, "the goal to run");
        var (once, onceError) = await StopStack.CallAsync(stack.RosUrl, "publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.25 } } });
        Assert.False(onceError, once);
        await using var cmdVel = stack.Graph.StartWitness("rostopic", ["echo", "/cmd_vel/linear/x"]);
        await cmdVel.WaitForLineAsync(l => l.Trim() is "0.2" or "0.25");

        var watch = Stopwatch.StartNew();
        var (status, answer) = await stack.PressAsync();
        var pressed = watch.Elapsed;

        Assert.Equal(200, status);
        var drivers = answer!["drivers"]!.AsArray().ToDictionary(d => d!["driver"]!.GetValue<string>(), d => d!.AsObject());
        foreach (var name in new[] { "reachy-mini", "turtlebot" })
        {
            Assert.True(drivers[name]["ok"]!.GetValue<bool>(), drivers[name].ToJsonString());
            Assert.True(drivers[name]["engaged"]!.GetValue<bool>());
            // Each answered on its own time, not after the hung driver's deadline.
            Assert.True(drivers[name]["elapsed_ms"]!.GetValue<double>() < 1500, drivers[name].ToJsonString());
        }
        Assert.Contains("no answer within 2 s", drivers["frozen"]["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("not running", drivers["dog"]["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.False(answer["ok"]!.GetValue<bool>(), "not every driver confirmed, and the answer says so");
        Assert.True(stack.Frozen.Accepted > 0, "the hung driver was tried");
        Assert.True(pressed < TimeSpan.FromSeconds(5), $"the press took {pressed}");
        Assert.Contains("zero velocity on /cmd_vel", drivers["turtlebot"]["summary"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("cancelled goal", drivers["turtlebot"]["summary"]!.GetValue<string>(), StringComparison.Ordinal);

        // Seen from outside: the base stops, zero velocity went out, the goal ended cancelled, the drive ended early.
        await cmdVel.WaitForLineAsync(l => l.Trim() == "0.0");
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx == 0, "the base to stop", TimeSpan.FromSeconds(10));
        var (goalText, goalError) = await goal.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(goalError, goalText);
        Assert.Equal("canceled", JsonNode.Parse(goalText)!["status"]!.GetValue<string>());
        var (driveText, driveError) = await drive.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(driveError, driveText);
        var driven = JsonNode.Parse(driveText)!;
        Assert.True(driven["stopped_early"]!.GetValue<bool>());
        Assert.Contains("emergency stop engaged", driven["stopped_by"]!.GetValue<string>(), StringComparison.Ordinal);
        // The head stopped on its way and holds still.
        var (turnText, _) = await turn.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.Contains("Stopped after", turnText, StringComparison.Ordinal);
        Assert.Empty(await stack.RunningMovesAsync());
        var (still, first, last) = await StopStack.StaysStillAsync(stack.HeadYawAsync, TimeSpan.FromSeconds(1));
        Assert.True(still, $"the head kept moving after the stop ({first:0.0}° → {last:0.0}°)");
        Assert.True(last < 55, $"the turn was not stopped early (yaw {last:0.0}°)");
    }

    [Fact]
    public async Task An_emotion_the_turn_toward_a_voice_and_the_listening_pose_all_stop_and_stay_stopped()
    {
        await stack.ResetAsync();
        // An emotion (a recorded move of several seconds).
        var (emotion, emotionError) = await StopStack.CallAsync(stack.ReachyUrl, "play_emotion", new { emotion = "cheerful" });
        Assert.False(emotionError, emotion);
        await Poll.UntilAsync(async () => (await stack.RunningMovesAsync()).Count == 1, "the emotion to play");
        var (status, _) = await stack.PressAsync();
        Assert.Equal(200, status);
        Assert.Empty(await stack.RunningMovesAsync());
        var (still, first, last) = await StopStack.StaysStillAsync(stack.HeadYawAsync, TimeSpan.FromSeconds(1));
        Assert.True(still, $"the emotion kept moving the head ({first:0.0}° → {last:0.0}°)");

        // The speech loop's turn toward a voice: "hello" from the robot's right (azimuth 150°, head yaw −60°).
        await stack.ResetAsync();
        // rosa reachy's output holds the earlier tests' lines too: this turn's refusal is the one after those.
        static bool PoseRefused(string line) => line.Contains("Could not play the listening pose: emergency stop engaged", StringComparison.Ordinal);
        var refusedBefore = stack.Reachy.Lines.Count(PoseRefused);
        await stack.SayAsync("hello", 150);
        await Poll.UntilAsync(async () => await stack.SpeechStateAsync() == "turning" && await stack.HeadYawAsync() < -3, "the head to turn toward the voice");
        (status, _) = await stack.PressAsync();
        Assert.Equal(200, status);
        Assert.Empty(await stack.RunningMovesAsync());
        (still, first, last) = await StopStack.StaysStillAsync(stack.HeadYawAsync, TimeSpan.FromSeconds(1.5));
        Assert.True(still, $"the turn toward the voice went on ({first:0.0}° → {last:0.0}°)");
        Assert.True(last > -57, $"the turn was not stopped early (yaw {last:0.0}°)");
        // The listening pose that follows the turn is refused: the antennas never wiggle.
        var (antennasStill, a0, a1) = await StopStack.StaysStillAsync(async () => (await stack.AntennasAsync())[0], TimeSpan.FromSeconds(1.5));
        Assert.True(antennasStill, $"the listening pose moved the antennas while stopped ({a0:0.0}° → {a1:0.0}°)");
        await Poll.UntilAsync(() => Task.FromResult(stack.Reachy.Lines.Count(PoseRefused) > refusedBefore), "rosa reachy to refuse the listening pose");

        // The listening pose itself: "hello" from the front, then the press while the antennas wiggle.
        await stack.ResetAsync();
        await stack.SayAsync("hello", 90);
        await Poll.UntilAsync(async () => await stack.SpeechStateAsync() == "listening", "the listening pose");
        await Poll.UntilAsync(async () => Math.Abs((await stack.AntennasAsync())[0]) > 2, "the antennas to wiggle");
        (status, _) = await stack.PressAsync();
        Assert.Equal(200, status);
        Assert.Empty(await stack.RunningMovesAsync());
        (antennasStill, a0, a1) = await StopStack.StaysStillAsync(async () => (await stack.AntennasAsync())[0], TimeSpan.FromSeconds(2));
        Assert.True(antennasStill, $"the listening pose went on after the stop ({a0:0.0}° → {a1:0.0}°)");
        Assert.Empty(await stack.RunningMovesAsync());
    }
}

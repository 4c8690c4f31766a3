using RosaOS.ReachyMini.Kinematics;

namespace RosaOS.Simulator.Tests;

/// <summary>wake_up and goto_sleep: the daemon's scripted sequences.</summary>
[Collection("motion")]
public sealed class BehaviourTests(MotionSim sim)
{
    [Fact]
    public async Task GotoSleep_ThenWakeUp()
    {
        await sim.WaitIdleAsync();
        var (status, body, _) = await sim.PostJsonAsync("api/move/play/goto_sleep", null);
        Assert.Equal(200, status);
        var sleep = Guid.Parse(body!["uuid"]!.GetValue<string>());
        Assert.Equal("completed", (await sim.WaitMoveEndAsync(sleep))["outcome"]!.GetValue<string>());
        var pose = await sim.PoseAsync();
        var expectedPitch = Math.Asin(HeadKinematics.SleepHeadPose[2]);
        Assert.Equal(expectedPitch, pose.Pitch, 0.01);
        Assert.Equal(HeadKinematics.SleepHeadPose[11], pose.Z, 0.002);
        var antennas = (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray();
        Assert.Equal(-3.05, antennas[0]!.GetValue<double>(), 1e-3);
        Assert.Equal(3.05, antennas[1]!.GetValue<double>(), 1e-3);
        Assert.Equal("disabled", (await sim.GetJsonAsync("api/motors/status"))!["mode"]!.GetValue<string>());
        var sounds = (await sim.GetJsonAsync("sim/speaker/log"))!.AsArray().Select(e => e!["file"]?.GetValue<string>()).ToList();
        Assert.Contains("go_sleep.wav", sounds);

        (status, _, _) = await sim.PostJsonAsync("api/motors/set_mode/enabled", null);
        Assert.Equal(200, status);
        (status, body, _) = await sim.PostJsonAsync("api/move/play/wake_up", null);
        Assert.Equal(200, status);
        var wake = Guid.Parse(body!["uuid"]!.GetValue<string>());
        Assert.Equal("completed", (await sim.WaitMoveEndAsync(wake))["outcome"]!.GetValue<string>());
        pose = await sim.PoseAsync();
        Assert.Equal(0, pose.Pitch, 0.01);
        Assert.Equal(0, pose.Roll, 0.01);
        Assert.Equal(0, pose.Z, 0.002);
        antennas = (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray();
        Assert.Equal(-0.1745, antennas[0]!.GetValue<double>(), 1e-3);
        var moves = (await sim.GetJsonAsync("sim/moves"))!.AsArray();
        Assert.Contains(moves, m => m!["kind"]!.GetValue<string>() == "wake_up" && m["uuid"]!.GetValue<string>() == wake.ToString());
        Assert.Contains("wake_up.wav", (await sim.GetJsonAsync("sim/speaker/log"))!.AsArray().Select(e => e!["file"]?.GetValue<string>()));
    }
}

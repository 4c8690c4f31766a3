using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>
/// What Pollen's Python SDK does against the sim, as the mockup daemon answers it (issue 18): media detection,
/// set_torque, gravity compensation, recording, wake-up when awake, the IK warning and <c>/api/state/imu</c>.
/// </summary>
[Collection("motion")]
public sealed class SdkParityTests(MotionSim sim)
{
    private static string Matrix(double x, double y, double z, double yaw = 0)
        => "[" + string.Join(",", RosaOS.ReachyMini.Geometry.Transform.FromXyzRpy(x, y, z, 0, 0, yaw)
            .Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private async Task<string> MotorModeAsync() => (await sim.GetJsonAsync("api/motors/status"))!["mode"]!.GetValue<string>();

    [Fact]
    public async Task Status_ReportsNoMedia_SoTheSdkSkipsWebRtc()
    {
        // ReachyMini() picks WebRTC on port 8443 unless no_media is true; the sim serves no WebRTC.
        var status = (await sim.GetJsonAsync("api/daemon/status"))!;
        Assert.True(status["no_media"]!.GetValue<bool>());
        var media = (await sim.GetJsonAsync("api/media/status"))!;
        Assert.True(media["no_media"]!.GetValue<bool>());
        Assert.False(media["available"]!.GetValue<bool>());
        // The rosaOS camera route stays (it is not SDK media).
        using var frame = await sim.Http.GetAsync(new Uri("sim/camera/frame.jpg", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal("image/jpeg", frame.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Imu_IsNullInSimulation()
    {
        using var response = await sim.Http.GetAsync(new Uri("api/state/imu", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("null", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SetTorque_DisablesAndEnablesTheMotors_PerMotorIdsLeaveTheMode()
    {
        await sim.WaitIdleAsync();
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        await ws.SendAsync("""{"type":"set_torque","on":false,"ids":null}""");
        await Poll.UntilAsync(async () => await MotorModeAsync() == "disabled", "disable_motors() -> disabled");
        await ws.SendAsync("""{"type":"set_torque","on":true,"ids":["stewart_1"]}""");
        await ws.SendAsync("""{"type":"set_torque","on":true}""");
        await Poll.UntilAsync(async () => await MotorModeAsync() == "enabled", "enable_motors() -> enabled");
        var status = (await sim.GetJsonAsync("api/daemon/status"))!;
        Assert.Equal("enabled", status["backend_status"]!["motor_control_mode"]!.GetValue<string>());
    }

    [Fact]
    public async Task GravityCompensation_IsStored_OverRestAndSdk()
    {
        await sim.WaitIdleAsync();
        var (status, body, _) = await sim.PostJsonAsync("api/motors/set_mode/gravity_compensation", null);
        Assert.Equal(200, status);
        Assert.Equal("motors changed to MotorControlMode.GravityCompensation mode", body!["status"]!.GetValue<string>());
        Assert.Equal("gravity_compensation", await MotorModeAsync());

        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        await ws.SendAsync("""{"type":"set_gravity_compensation","enabled":false}""");
        await Poll.UntilAsync(async () => await MotorModeAsync() == "enabled", "gravity off -> enabled");
        await ws.SendAsync("""{"type":"set_motor_mode","mode":"gravity_compensation"}""");
        await Poll.UntilAsync(async () => await MotorModeAsync() == "gravity_compensation", "set_motor_mode gravity");
        await ws.SendAsync("""{"type":"set_gravity_compensation","enabled":false}""");
        await Poll.UntilAsync(async () => await MotorModeAsync() == "enabled", "back to enabled");
    }

    [Fact]
    public async Task Recording_ReturnsTheAppendedRecords_OnStop()
    {
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        // Outside a recording appended records are ignored.
        await ws.SendAsync("""{"type":"append_record","record":{"time":1.0,"body_yaw":0.0}}""");
        await ws.SendAsync("""{"type":"start_recording"}""");
        for (var i = 0; i < 3; i++)
        {
            await ws.SendAsync("{\"type\":\"append_record\",\"record\":{\"time\":" + (10 + i) + ",\"body_yaw\":0.0,\"antennas\":[0.1," + i + "]}}");
        }
        await ws.SendAsync("""{"type":"stop_recording"}""");
        var recorded = await ws.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "recorded_data", TimeSpan.FromSeconds(5));
        Assert.NotNull(recorded);
        var data = recorded!["data"]!.AsArray();
        Assert.Equal([10.0, 11.0, 12.0], data.Select(r => r!["time"]!.GetValue<double>()));
        Assert.Equal(2, data[2]!["antennas"]![1]!.GetValue<double>());

        // A second stop hands out an empty recording, still in time for the SDK's 5 s wait.
        await ws.SendAsync("""{"type":"stop_recording"}""");
        recorded = await ws.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "recorded_data", TimeSpan.FromSeconds(5));
        Assert.Empty(recorded!["data"]!.AsArray());
    }

    [Fact]
    public async Task WakeUp_WhenAlreadyAwake_StandsDown_ButWakesFromElsewhere()
    {
        await sim.WaitIdleAsync();
        await sim.PostJsonAsync("api/motors/set_mode/enabled", null);
        var id = await sim.GotoAsync("""{"head_pose":{"x":0,"y":0,"z":0,"roll":0,"pitch":0,"yaw":0},"antennas":[-0.1745,0.1745],"body_yaw":0,"duration":0.3}""");
        await sim.WaitMoveEndAsync(id);
        var soundsBefore = await WakeSoundsAsync();

        var (status, body, _) = await sim.PostJsonAsync("api/move/play/wake_up", null);
        Assert.Equal(200, status);
        var move = await sim.WaitMoveEndAsync(Guid.Parse(body!["uuid"]!.GetValue<string>()));
        Assert.Equal("completed", move["outcome"]!.GetValue<string>());
        var took = DateTimeOffset.Parse(move["finished_at"]!.GetValue<string>(), CultureInfo.InvariantCulture)
            - DateTimeOffset.Parse(move["started_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.True(took < TimeSpan.FromSeconds(0.5), $"an awake robot stands down at once, took {took}");
        Assert.Equal(soundsBefore, await WakeSoundsAsync());

        // Away from the init pose, the wake-up plays (sound and nod).
        id = await sim.GotoAsync("""{"head_pose":{"x":0,"y":0,"z":0,"roll":0,"pitch":0,"yaw":0.4},"antennas":[-0.1745,0.1745],"body_yaw":0,"duration":0.3}""");
        await sim.WaitMoveEndAsync(id);
        (_, body, _) = await sim.PostJsonAsync("api/move/play/wake_up", null);
        await sim.WaitMoveEndAsync(Guid.Parse(body!["uuid"]!.GetValue<string>()));
        Assert.Equal(soundsBefore + 1, await WakeSoundsAsync());
        Assert.Equal(0, (await sim.PoseAsync()).Yaw, 0.01);
    }

    private async Task<int> WakeSoundsAsync()
        => (await sim.GetJsonAsync("sim/speaker/log"))!.AsArray().Count(e => e!["file"]?.GetValue<string>() == "wake_up.wav");

    [Fact]
    public async Task UnreachableTarget_WarnsOnce_WhileItStands()
    {
        const string Warning = "head pose not achievable";
        await sim.WaitIdleAsync();
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        // Start from a reachable target (another test may have left an unreachable one standing); a pose the head
        // is not already at, so reaching it proves the IK succeeded.
        await ReachAsync(ws, 0.004);
        var before = sim.Process.Lines.Count(l => l.Contains(Warning, StringComparison.Ordinal));
        var failures = (await sim.GetJsonAsync("sim/loop"))!["ik_failures"]!.GetValue<long>();
        await ws.SendAsync($$"""{"type":"set_target","head":{{Matrix(0, 0, 0.3)}}}""");
        // Two seconds of failing control ticks (100 at 50 Hz), where the old sim warned twice.
        await Poll.UntilAsync(async () => (await sim.GetJsonAsync("sim/loop"))!["ik_failures"]!.GetValue<long>() >= failures + 100, "100 failed IK ticks");
        Assert.Equal(before + 1, sim.Process.Lines.Count(l => l.Contains(Warning, StringComparison.Ordinal)));

        // A reachable target re-arms the warning for the next unreachable one.
        await ReachAsync(ws, -0.004);
        await ws.SendAsync($$"""{"type":"set_target","head":{{Matrix(0, 0, 0.3)}}}""");
        await Poll.UntilAsync(() => Task.FromResult(sim.Process.Lines.Count(l => l.Contains(Warning, StringComparison.Ordinal)) == before + 2), "a second warning");
        await ReachAsync(ws, 0);
    }

    private async Task ReachAsync(WsClient ws, double z)
    {
        await ws.SendAsync($$"""{"type":"set_target","head":{{Matrix(0, 0, z)}}}""");
        await Poll.ForAsync(sim.PoseAsync, p => Math.Abs(p.Z - z) < 5e-4, $"the head at z={z}");
    }
}

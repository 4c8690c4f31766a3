using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>A sim that starts asleep, for the lifecycle tests (stop → 503 → start → restart).</summary>
public sealed class SleepySim : SimFixture
{
    protected override string[] ExtraArgs => ["--no-wake-up-on-start", "--robot-name", "sleepy"];
}

/// <summary>Daemon start/stop/restart jobs, the backend gate and start-up options.</summary>
public sealed class LifecycleTests(SleepySim sim) : IClassFixture<SleepySim>
{
    [Fact]
    public async Task StartsAsleep_ThenStopGates503_ThenStartAndRestart()
    {
        // --no-wake-up-on-start: running, in the sleep pose, with the chosen name.
        var status = (await sim.GetJsonAsync("api/daemon/status"))!;
        Assert.Equal("sleepy", status["robot_name"]!.GetValue<string>());
        var antennas = (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray();
        Assert.Equal(-3.05, antennas[0]!.GetValue<double>(), 2e-6);
        Assert.True((await sim.PoseAsync()).Pitch > 0.3, "not in the sleep pose");
        Assert.Empty((await sim.GetJsonAsync("sim/moves"))!.AsArray());
        // No target yet: the daemon asserts (500); the simulator says why, in JSON.
        using (var noTarget = await sim.Http.GetAsync(new Uri("api/state/full?with_target_head_pose=true", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(500, (int)noTarget.StatusCode);
            Assert.Contains("target", JsonNode.Parse(await noTarget.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var (code, body, _) = await sim.PostJsonAsync("api/daemon/stop?goto_sleep=false", null);
        Assert.Equal(200, code);
        var job = body!["job_id"]!.GetValue<string>();
        await sim.WaitForStateAsync("stopped");
        await Poll.UntilAsync(async () => (await sim.GetJsonAsync($"api/apps/job-status/{job}"))!["status"]!.GetValue<string>() == "done", "stop job done");
        var jobInfo = (await sim.GetJsonAsync($"api/apps/job-status/{job}"))!;
        Assert.Equal("daemon-stop", jobInfo["command"]!.GetValue<string>());
        Assert.NotEmpty(jobInfo["logs"]!.AsArray());
        Assert.Null((await sim.GetJsonAsync("api/daemon/status"))!["backend_status"]);

        foreach (var path in new[] { "api/state/full", "api/state/present_head_pose", "api/motors/status", "api/kinematics/info" })
        {
            using var response = await sim.Http.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
            Assert.Equal(503, (int)response.StatusCode);
            Assert.Equal("Backend not running", JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["detail"]!.GetValue<string>());
        }
        (code, body, _) = await sim.PostJsonAsync("api/move/goto", """{"head_pose":{"yaw":0.1},"duration":1}""");
        Assert.Equal(503, code);
        (code, _, _) = await sim.PostJsonAsync("api/move/set_target", """{"target_antennas":[0,0]}""");
        Assert.Equal(503, code);
        (code, _, _) = await sim.PostJsonAsync("api/move/play/wake_up", null);
        Assert.Equal(503, code);
        await Assert.ThrowsAnyAsync<System.Net.WebSockets.WebSocketException>(async () => await WsClient.ConnectAsync(sim, "ws/sdk"));
        // Routes without the backend gate still answer.
        Assert.Equal("generic", (await sim.GetJsonAsync("api/camera/specs"))!["name"]!.GetValue<string>());
        Assert.NotEmpty((await sim.GetJsonAsync("api/move/recorded-move-datasets/list/pollen-robotics/reachy-mini-emotions-library"))!.AsArray());

        (code, _, _) = await sim.PostJsonAsync("api/daemon/start", null);
        Assert.Equal(422, code);
        (code, body, _) = await sim.PostJsonAsync("api/daemon/start?wake_up=true", null);
        Assert.Equal(200, code);
        var (busy, busyBody, _) = await sim.PostJsonAsync("api/daemon/restart", null);
        Assert.Equal(409, busy);
        Assert.Equal("Daemon is busy.", busyBody!["detail"]!.GetValue<string>());
        await sim.WaitForStateAsync("running");
        var pose = await sim.PoseAsync();
        Assert.Equal(0, pose.Pitch, 0.01);
        Assert.Contains((await sim.GetJsonAsync("sim/moves"))!.AsArray(), m => m!["kind"]!.GetValue<string>() == "wake_up");

        (code, _, _) = await sim.PostJsonAsync("api/daemon/restart", null);
        Assert.Equal(200, code);
        await Poll.UntilAsync(async () => (await sim.GetJsonAsync("api/daemon/status"))!["state"]!.GetValue<string>() == "running"
            && (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray()[0]!.GetValue<double>() < -3, "restarted asleep");
        using var missing = await sim.Http.GetAsync(new Uri($"api/apps/job-status/{Guid.NewGuid()}", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(404, (int)missing.StatusCode);
    }

    [Fact]
    public async Task Sigterm_StopsCleanly()
    {
        await using var rosa = RosaProcess.StartRosa(["sim", "--port", "0", "--no-wake-up-on-start"]);
        await rosa.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal));
        rosa.Signal(15);
        var code = await rosa.WaitForExitAsync();
        Assert.True(code == 0, $"exit code {code}\n{rosa.Output}");
        Assert.Contains("rosa sim stopped", rosa.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortInUse_ExitsWithAClearError()
    {
        await using var rosa = RosaProcess.StartRosa(["sim", "--port", sim.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.NotEqual(0, await rosa.WaitForExitAsync());
        Assert.Contains("cannot listen", rosa.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadDatasetFlag_ExitsWithUsageError()
    {
        await using var rosa = RosaProcess.StartRosa(["sim", "--port", "0", "--dataset", "nodir"]);
        Assert.Equal(2, await rosa.WaitForExitAsync());
        Assert.Contains("NAME=DIR", rosa.Output, StringComparison.Ordinal);
    }
}

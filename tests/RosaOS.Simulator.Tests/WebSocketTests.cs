using System.Diagnostics;
using System.Text.Json.Nodes;

namespace RosaOS.Simulator.Tests;

/// <summary>/ws/sdk, /api/state/ws/full, /api/move/ws/updates and /api/move/ws/set_target.</summary>
[Collection("motion")]
public sealed class WebSocketTests(MotionSim sim)
{
    private static string Matrix(double yaw, double pitch = 0)
        => "[" + string.Join(",", RosaOS.ReachyMini.Geometry.Transform.FromXyzRpy(0, 0, 0, 0, pitch, yaw)
            .Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]";

    [Fact]
    public async Task Sdk_StreamsJointsAndPoseAt50Hz_AndStatusEverySecond()
    {
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        var joints = 0;
        var poses = 0;
        JsonNode? status = null;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(2.2))
        {
            var message = await ws.ReceiveAsync(TimeSpan.FromSeconds(2));
            Assert.NotNull(message);
            switch (message!["type"]!.GetValue<string>())
            {
                case "joint_positions":
                    joints++;
                    Assert.Equal(7, message["head_joint_positions"]!.AsArray().Count);
                    Assert.Equal(2, message["antennas_joint_positions"]!.AsArray().Count);
                    break;
                case "head_pose":
                    poses++;
                    Assert.Equal(4, message["head_pose"]!.AsArray().Count);
                    Assert.Equal(1.0, message["head_pose"]![3]![3]!.GetValue<double>());
                    break;
                case "daemon_status":
                    status = message;
                    break;
            }
        }
        var seconds = watch.Elapsed.TotalSeconds;
        Assert.InRange(joints / seconds, 35, 60);
        Assert.InRange(poses / seconds, 35, 60);
        Assert.NotNull(status);
        Assert.True(status!["mockup_sim_enabled"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Sdk_Commands_MoveTheRobot_AndTaskReportsProgress()
    {
        await sim.WaitIdleAsync();
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        await ws.SendAsync("""{"type":"set_automatic_body_yaw","enabled":true}""");
        await ws.SendAsync($$"""{"type":"set_full_target","head":{{Matrix(0.25)}},"antennas":[0.3,-0.3],"body_yaw":null}""");
        var pose = await RosaOS.Testing.Poll.ForAsync(sim.PoseAsync, p => Math.Abs(p.Yaw - 0.25) < 2e-3, "set_full_target yaw");
        Assert.Equal(0, pose.Pitch, 0.002);
        await ws.SendAsync("""{"type":"set_antennas","antennas":[0.1,-0.2]}""");
        await RosaOS.Testing.Poll.ForAsync(async () => (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray(),
            a => Math.Abs(a[1]!.GetValue<double>() + 0.2) < 1e-9, "set_antennas");
        // Invalid commands are ignored (fire-and-forget), the socket stays usable.
        await ws.SendAsync("not json");
        await ws.SendAsync("""{"type":"set_antennas","antennas":[1]}""");

        // A cartoon task overshoots past the target before settling, which only that time law does.
        var id = Guid.NewGuid();
        await ws.SendAsync($$"""{"type":"task","uuid":"{{id}}","req":{"head":{{Matrix(0)}},"antennas":null,"duration":0.4,"method":"minjerk","body_yaw":null},"timestamp":"2026-01-01T00:00:00Z"}""");
        Assert.NotNull(await ws.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "task_progress" && m["uuid"]!.GetValue<string>() == id.ToString(), TimeSpan.FromSeconds(5)));
        id = Guid.NewGuid();
        await ws.SendAsync($$"""{"type":"task","uuid":"{{id}}","req":{"head":{{Matrix(0.5)}},"antennas":null,"duration":1.5,"method":"cartoon","body_yaw":null},"timestamp":"2026-01-01T00:00:00Z"}""");
        var yaws = new List<double>();
        JsonNode? progress = null;
        while (progress is null)
        {
            var message = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(message);
            var type = message!["type"]!.GetValue<string>();
            if (type == "head_pose")
            {
                var m = message["head_pose"]!.AsArray();
                yaws.Add(Math.Atan2(m[1]![0]!.GetValue<double>(), m[0]![0]!.GetValue<double>()));
            }
            else if (type == "task_progress" && message["uuid"]!.GetValue<string>() == id.ToString())
            {
                progress = message;
            }
        }
        Assert.True(progress["finished"]!.GetValue<bool>());
        Assert.Null(progress["error"]);
        Assert.True(yaws.Min() < -0.03, $"no anticipation below 0: min {yaws.Min():F3}");
        Assert.True(yaws.Max() > 0.53, $"no overshoot above 0.5: max {yaws.Max():F3}");
        Assert.Equal(0.5, (await sim.PoseAsync()).Yaw, 0.01);

        // A bad task gets a task_progress carrying the error.
        id = Guid.NewGuid();
        await ws.SendAsync($$$"""{"type":"task","uuid":"{{{id}}}","req":{"head":null,"antennas":null,"duration":-1,"method":"warp","body_yaw":null}}""");
        var failed = await ws.ReceiveUntilAsync(m => m["type"]!.GetValue<string>() == "task_progress" && m["uuid"]!.GetValue<string>() == id.ToString(), TimeSpan.FromSeconds(5));
        Assert.Contains("duration", failed!["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sdk_PlayRecordedMove_IsLogged()
    {
        await sim.WaitIdleAsync();
        await using var ws = await WsClient.ConnectAsync(sim, "ws/sdk");
        await ws.SendAsync("""{"type":"play_recorded_move","move_name":"no1","dataset_name":"pollen-robotics/reachy-mini-emotions-library"}""");
        var entry = await RosaOS.Testing.Poll.ForAsync(async () => (await sim.GetJsonAsync("sim/moves"))!.AsArray().LastOrDefault(),
            m => m?["name"]?.GetValue<string>() == "pollen-robotics/reachy-mini-emotions-library/no1", "no1 in the move log");
        Assert.Equal("recorded", entry!["kind"]!.GetValue<string>());
        await sim.WaitIdleAsync();
    }

    [Fact]
    public async Task StateWsFull_SendsFramesAtTheRequestedFrequency()
    {
        await using var ws = await WsClient.ConnectAsync(sim, "api/state/ws/full?frequency=20&with_head_joints=true&use_pose_matrix=true");
        var count = 0;
        var watch = Stopwatch.StartNew();
        JsonNode? last = null;
        while (watch.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            last = await ws.ReceiveAsync(TimeSpan.FromSeconds(1));
            Assert.NotNull(last);
            count++;
        }
        Assert.InRange(count / watch.Elapsed.TotalSeconds, 12, 24);
        Assert.Equal("enabled", last!["control_mode"]!.GetValue<string>());
        Assert.Equal(16, last["head_pose"]!["m"]!.AsArray().Count);
        Assert.Equal(7, last["head_joints"]!.AsArray().Count);
    }

    [Fact]
    public async Task MoveUpdates_ReportStartAndCompletion()
    {
        await sim.WaitIdleAsync();
        // No pause: the simulator subscribes the socket before it answers the handshake.
        await using var ws = await WsClient.ConnectAsync(sim, "api/move/ws/updates");
        var id = await sim.GotoAsync("""{"head_pose":{"yaw":0.1},"duration":0.3}""");
        var started = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("move_started", started!["type"]!.GetValue<string>());
        Assert.Equal(id.ToString(), started["uuid"]!.GetValue<string>());
        var done = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("move_completed", done!["type"]!.GetValue<string>());
        Assert.Equal(id.ToString(), done["uuid"]!.GetValue<string>());
        Assert.Equal("", done["details"]!.GetValue<string>());

        id = await sim.GotoAsync("""{"head_pose":{"yaw":0.4},"duration":3}""");
        Assert.Equal("move_started", (await ws.ReceiveAsync(TimeSpan.FromSeconds(5)))!["type"]!.GetValue<string>());
        var (status, _, _) = await sim.PostJsonAsync("api/move/stop", $$"""{"uuid":"{{id}}"}""");
        Assert.Equal(200, status);
        var cancelled = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("move_cancelled", cancelled!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task WsSetTarget_StreamsTargets_AndRepliesToErrors()
    {
        await sim.WaitIdleAsync();
        await using var ws = await WsClient.ConnectAsync(sim, "api/move/ws/set_target");
        for (var i = 1; i <= 10; i++)
        {
            await ws.SendAsync($$"""{"target_head_pose":{"pitch":{{(0.02 * i).ToString(System.Globalization.CultureInfo.InvariantCulture)}}},"target_antennas":[0,0]}""");
        }
        await RosaOS.Testing.Poll.ForAsync(sim.PoseAsync, p => Math.Abs(p.Pitch - 0.2) < 2e-3, "streamed pitch 0.2");
        await ws.SendAsync("""{"target_head_pose":{"pitch":"steep"}}""");
        var error = await ws.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("error", error!["status"]!.GetValue<string>());
        Assert.Contains("pitch", error["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await ws.SendAsync("""{"target_head_pose":{"pitch":0}}""");
        await RosaOS.Testing.Poll.ForAsync(sim.PoseAsync, p => Math.Abs(p.Pitch) < 2e-3, "pitch back to 0");
    }

    [Fact]
    public async Task SlowSdkClient_DoesNotStallOthers()
    {
        // A client that never reads: its queue drops the oldest frames while a reading client keeps 50 Hz.
        await using var slow = await WsClient.ConnectAsync(sim, "ws/sdk");
        await using var fast = await WsClient.ConnectAsync(sim, "ws/sdk");
        var count = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            var message = await fast.ReceiveAsync(TimeSpan.FromSeconds(1));
            Assert.NotNull(message);
            if (message!["type"]!.GetValue<string>() == "joint_positions")
            {
                count++;
            }
        }
        Assert.InRange(count / watch.Elapsed.TotalSeconds, 35, 60);
    }
}

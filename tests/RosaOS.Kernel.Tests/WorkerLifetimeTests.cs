using System.Diagnostics;
using ModelContextProtocol.Client;
using RosaOS.Hosting;
using RosaOS.ReachyMini.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>Workers stop with their kernel: they stop the motion they started, and a restarted kernel ends any that survived.</summary>
public sealed class WorkerLifetimeTests
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    [Fact]
    public async Task Kill_9_of_the_kernel_mid_move_leaves_no_worker_moving_the_robot_after_2_s_and_latches_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = RosaProcess.StartRosa(["sim", "--port", "0"]);
        var simPort = (await sim.WaitForListeningAsync("sim")).Port;
        using var daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri($"http://127.0.0.1:{simPort}") });
        await Poll.UntilAsync(async () => (await daemon.GetRunningMovesAsync()).Count == 0
            && (await daemon.GetStatusAsync()).State == RosaOS.ReachyMini.Protocol.DaemonState.Running, "the simulated robot to be awake and idle");
        await using var reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", $"http://127.0.0.1:{simPort}", "--no-listen"]);
        var reachyPort = (await reachy.WaitForListeningAsync("reachy")).Port;

        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("look left very slowly"), ScriptedTurn.Call("launch_process", new { system_prompt = "Look left very slowly.", robots = new[] { "reachy-mini" } }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("On it."));
        llm.When(WorkerOn("Look left very slowly."), ScriptedTurn.Call("goto_target", new { head_yaw = 40, duration = 20 }), ScriptedTurn.Say("never").After(never.Task));
        var config = KernelHarness.NewConfigDir(new Dictionary<string, string> { ["reachy-mini"] = $"http://127.0.0.1:{reachyPort}/mcp" });
        var kernel = await KernelHarness.StartAsync(llm, configDir: config);
        try
        {
            await kernel.WaitForPoolAsync();
            Assert.Equal("On it.", await kernel.ChatAsync("look left very slowly"));
            await Poll.UntilAsync(async () => (await daemon.GetRunningMovesAsync()).Count == 1, "the worker's 20 s move to be running");
            var worker = ProcessIdentity.Of(Assert.Single(await kernel.RunningAsync()).GetProperty("pid").GetInt32())!;

            await kernel.CrashAsync();
            var sinceKill = Stopwatch.StartNew();
            await Poll.UntilAsync(async () => (await daemon.GetRunningMovesAsync()).Count == 0 && !worker.IsAlive(),
                "the robot to stop and the worker to exit", timeout: TimeSpan.FromSeconds(2), interval: TimeSpan.FromMilliseconds(20));
            Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(2), $"stopped after {sinceKill.Elapsed.TotalMilliseconds:0} ms");

            var move = Assert.Single(await daemon.GetMoveLogAsync(ct), m => m.Kind == "goto" && m.DurationS == 20);
            Assert.Equal("cancelled", move.Outcome);
            // The worker stopped its motion without engaging an emergency stop: the robot obeys the next move at once.
            await using var mcp = await McpClient.CreateAsync(
                new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{reachyPort}/mcp") }),
                new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: ct);
            var next = await mcp.CallToolAsync("goto_target", new Dictionary<string, object?> { ["head_yaw"] = 10, ["duration"] = 0.3 }, cancellationToken: ct);
            Assert.NotEqual(true, next.IsError);
            Assert.StartsWith("Reached the target", ((ModelContextProtocol.Protocol.TextContentBlock)next.Content[0]).Text, StringComparison.Ordinal);
        }
        finally
        {
            await kernel.DisposeAsync();
            never.SetResult();
        }
    }

    [Fact]
    public async Task A_worker_whose_kernel_hangs_notices_the_lost_heartbeat_within_2_s_and_exits()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "1"]);
        await kernel.WaitForPoolAsync(1);
        var worker = ProcessIdentity.Of((await kernel.GetJsonAsync("/api/processes")).GetProperty("pool_pids").EnumerateArray().Single().GetInt32())!;
        var kernelProcess = ProcessIdentity.Of(kernel.Process.Id)!;
        try
        {
            // A frozen kernel is alive and keeps the pipe open: only the missing heartbeats tell.
            Assert.True(kernelProcess.Signal(SigStop));
            var frozen = Stopwatch.StartNew();
            await Poll.UntilAsync(() => Task.FromResult(!worker.IsAlive()), "the worker to give up on its frozen kernel", timeout: TimeSpan.FromSeconds(2.5));
            Assert.True(frozen.Elapsed < TimeSpan.FromSeconds(2.5), $"exited after {frozen.Elapsed.TotalMilliseconds:0} ms");
        }
        finally
        {
            kernelProcess.Signal(SigCont);
        }
    }

    [Fact]
    public async Task A_restarted_kernel_ends_workers_of_its_previous_run_by_pid_and_start_time_never_by_pid_alone()
    {
        var dataDir = TestPaths.NewTempDirectory("lifetime");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var decoy = RosaProcess.Start("/bin/sleep", ["600"], name: "decoy");
        var decoyIdentity = ProcessIdentity.Of(decoy.Id)!;
        var kernel1 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
        try
        {
            await kernel1.WaitForPoolAsync(1);
            var pool = (await kernel1.GetJsonAsync("/api/processes")).GetProperty("pool_pids").EnumerateArray().Single().GetInt32();
            var worker = ProcessIdentity.Of(pool)!;
            // A stopped worker cannot notice that its kernel died: only the next kernel can end it.
            Assert.True(worker.Signal(SigStop));
            // Not CrashAsync: the stopped worker keeps the kernel's output pipes open, so only /proc shows the kernel is gone.
            var kernelProcess = ProcessIdentity.Of(kernel1.Process.Id)!;
            kernel1.Process.Signal(9);
            await Poll.UntilAsync(() => Task.FromResult(!kernelProcess.IsAlive()), "the killed kernel to be gone");
            Assert.True(worker.IsAlive());

            using (var file = new JournalFile(dataDir))
            {
                Assert.Equal(1, file.Count($"SELECT COUNT(*) FROM children WHERE pid={worker.Pid} AND pid_start={worker.StartTicks}"));
                // The same pid with another start time is another process (a reused pid): it must be left alone.
                file.Execute("INSERT INTO children (pid, pid_start, kind, started_at) VALUES ($p, $s, 'pool', $a)",
                    ("$p", decoyIdentity.Pid), ("$s", decoyIdentity.StartTicks + 1), ("$a", JournalFile.Ago(TimeSpan.FromMinutes(1))));
            }

            await using var kernel2 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
            Assert.Contains($"Ended 1 worker processes left alive by the previous kernel run (pids {worker.Pid})", kernel2.Process.Output, StringComparison.Ordinal);
            Assert.False(worker.IsAlive());
            Assert.True(decoyIdentity.IsAlive());
            await kernel2.WaitForPoolAsync(1);
            Assert.Equal("ok", await kernel2.ChatAsync("still working?"));
        }
        finally
        {
            await kernel1.DisposeAsync();
        }
    }
}

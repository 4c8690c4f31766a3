using RosaOS.ReachyMini.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>The whole stack with real processes: rosa sim, rosa reachy, rosa kernel and its workers; only the LLM is scripted.</summary>
public sealed class EndToEndTests
{
    private const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    [Fact]
    public async Task Say_hello_and_look_happy_moves_the_simulated_robot_speaks_and_reports_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sim = RosaProcess.StartRosa(["sim", "--port", "0", "--dataset", $"{EmotionsDataset}={TestPaths.EmotionsLibrary}"]);
        var simPort = (await sim.WaitForListeningAsync("sim")).Port;
        using var daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri($"http://127.0.0.1:{simPort}") });
        await Poll.UntilAsync(async () => (await daemon.GetRunningMovesAsync()).Count == 0
            && (await daemon.GetStatusAsync()).State == RosaOS.ReachyMini.Protocol.DaemonState.Running, "the simulated robot to be awake and idle");
        await using var reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", $"http://127.0.0.1:{simPort}"]);
        var reachyPort = (await reachy.WaitForListeningAsync("reachy")).Port;

        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("say hello and look happy"), ScriptedTurn.Call("launch_process", new { system_prompt = "Say hello to the user and look happy.", robots = new[] { "reachy-mini" } }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("On it."));
        llm.When(WorkerOn("Say hello to the user and look happy."),
            ScriptedTurn.Call("play_emotion", new { emotion = "Enthusiastic" }),
            ScriptedTurn.Call("speak", new { text = "Hello! Nice to see you." }),
            ScriptedTurn.Say("I said hello and looked happy."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("Reachy greeted you."));
        var config = KernelHarness.NewConfigDir(new Dictionary<string, string> { ["reachy-mini"] = $"http://127.0.0.1:{reachyPort}/mcp" });
        await using var kernel = await KernelHarness.StartAsync(llm, configDir: config);
        await kernel.WaitForPoolAsync();
        using var sse = new SseReader(kernel.Port);
        await sse.WaitForAsync("provider_status");
        var speakerBefore = (await daemon.GetSpeakerLogAsync(null, ct)).Select(e => e.Id).DefaultIfEmpty(0).Max();

        Assert.Equal("On it.", await kernel.ChatAsync("say hello and look happy"));
        await kernel.WaitForUpdateAsync(m => m == "Reachy greeted you.");

        // The kernel's prompt listed only the reachable robot, and the worker was offered Reachy's tools.
        Assert.Contains("reachy-mini: Reachy Mini robot tools", llm.ChatRequests.First(IsKernel).SystemPrompt, StringComparison.Ordinal);
        Assert.DoesNotContain("turtlebot:", llm.ChatRequests.First(IsKernel).SystemPrompt, StringComparison.Ordinal);
        var workerTools = llm.ChatRequests.First(IsWorker).ToolNames;
        Assert.Contains("play_emotion", workerTools);
        Assert.Contains("speak", workerTools);
        // The robot moved and said the words.
        var emotion = (await daemon.GetMoveLogAsync(ct)).Last(m => m.Kind == "recorded");
        Assert.StartsWith($"{EmotionsDataset}/enthusiastic", emotion.Name, StringComparison.Ordinal);
        // speak returns once the words are queued: they may still be playing.
        var spoken = await Poll.ForAsync(() => daemon.GetSpeakerLogAsync(speakerBefore, ct), s => s.Count > 0 && s[^1].EndedAt is not null, "the words spoken");
        Assert.Equal("Hello! Nice to see you.", string.Join(" ", spoken.Select(e => e.Text)));
        // The callback reached the kernel with the worker's output.
        Assert.Contains("Agent output: I said hello and looked happy.", llm.ChatRequests.First(KernelOn("[Worker callback]")).LastUserText, StringComparison.Ordinal);
        // Each tool call is in the audit log and on the live stream.
        var audit = (await kernel.GetJsonAsync("/api/audit")).EnumerateArray().ToList();
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "play_emotion" && a.GetProperty("server").GetString() == "reachy-mini" && !a.GetProperty("is_error").GetBoolean());
        Assert.Contains(audit, a => a.GetProperty("tool").GetString() == "speak" && a.GetProperty("arguments").GetString()!.Contains("Nice to see you", StringComparison.Ordinal));
        await sse.WaitForAsync("tool_call", "play_emotion");
        await sse.WaitForAsync("kernel_output", "Reachy greeted you.");

        // The emergency stop reaches every configured driver: the running Reachy latches, the others say they are not running.
        var (status, estop) = await kernel.PostJsonAsync("/api/estop", "{}");
        Assert.Equal(200, status);
        var drivers = estop.GetProperty("drivers").EnumerateArray().ToDictionary(d => d.GetProperty("driver").GetString()!);
        Assert.True(drivers["reachy-mini"].GetProperty("ok").GetBoolean(), drivers["reachy-mini"].GetProperty("summary").GetString());
        Assert.True(drivers["reachy-mini"].GetProperty("engaged").GetBoolean());
        Assert.Contains("not running", drivers["turtlebot"].GetProperty("summary").GetString(), StringComparison.Ordinal);
    }
}

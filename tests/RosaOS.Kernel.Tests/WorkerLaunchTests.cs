using System.Globalization;
using System.Text.Json;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// One launch protocol: the kernel's workers (pooled or one-off) get their task, with its drivers resolved from
/// drivers.json, as a line on stdin; a worker started by hand still takes the original's environment variables.
/// </summary>
public sealed class WorkerLaunchTests
{
    [Fact]
    public async Task A_pooled_worker_uses_the_drivers_sent_with_its_task_not_a_drivers_json_changed_after_the_kernel_read_it()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("wave please"), ScriptedTurn.Call("launch_process", new { system_prompt = "Wave hello.", robots = new[] { "reachy-mini" } }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("On it."));
        llm.When(WorkerOn("Wave hello."), ScriptedTurn.Say("waved"));
        llm.Fallback = ScriptedTurn.Say("ok");
        var first = TestStack.NotRunningUrl();
        var config = KernelHarness.NewConfigDir(new Dictionary<string, string> { ["reachy-mini"] = first });
        await using var kernel = await KernelHarness.StartAsync(llm, configDir: config);
        await kernel.WaitForPoolAsync();

        // After the kernel read it (and its pool workers started), drivers.json moves the robot and becomes unreadable.
        var moved = TestStack.NotRunningUrl();
        var drivers = Path.Combine(config, "drivers.json");
        File.WriteAllText(drivers, File.ReadAllText(drivers).Replace(first, moved, StringComparison.Ordinal) + "\n{ not json");

        Assert.Equal("On it.", await kernel.ChatAsync("wave please"));
        var worker = await llm.WaitForRequestAsync(WorkerOn("Wave hello."));
        // The robot is down either way; the worker says where it looked: at the url the kernel sent with the task.
        Assert.Contains($"reachy-mini: MCP server at {first} is not reachable", worker.SystemPrompt, StringComparison.Ordinal);
        Assert.DoesNotContain(moved, worker.SystemPrompt, StringComparison.Ordinal);
        Assert.DoesNotContain("not valid JSON", worker.SystemPrompt, StringComparison.Ordinal);
        var task = Assert.Single((await kernel.GetJsonAsync("/api/processes")).GetProperty("all").EnumerateArray(),
            p => p.GetProperty("system_prompt").GetString() == "Wave hello.");
        Assert.Equal("pool", task.GetProperty("kind").GetString());
        await kernel.WaitForUpdateAsync(m => m == "ok");
    }

    [Fact]
    public async Task A_worker_started_by_hand_with_the_originals_environment_variables_runs_its_task_and_calls_back()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(WorkerOn("Say hello by hand."), ScriptedTurn.Say("hello from a hand-started worker"));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("heard it"));
        var url = TestStack.NotRunningUrl();
        var config = KernelHarness.NewConfigDir(new Dictionary<string, string> { ["reachy-mini"] = url });
        await using var kernel = await KernelHarness.StartAsync(llm, configDir: config);

        await using var worker = RosaProcess.StartRosa(["worker"], new Dictionary<string, string?>
        {
            ["WORKER_ID"] = "by-hand-1",
            ["WORKER_SYSTEM_PROMPT"] = "Say hello by hand.",
            ["WORKER_MCP_SERVERS"] = "reachy-mini",
            ["CALLBACK_URL"] = $"http://127.0.0.1:{kernel.Port.ToString(CultureInfo.InvariantCulture)}/event",
            ["ROSAOS_CONFIG_DIR"] = config,
            ["GROQ_API_KEY"] = "gsk_test",
            ["GROQ_BASE_URL"] = llm.GroqBaseUrl,
            ["LOCAL_LLM_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        });

        Assert.Equal(0, await worker.WaitForExitAsync(TestTimeouts.Effect));
        // Started by hand, it found its robot in drivers.json (and says the robot is down).
        var asked = await llm.WaitForRequestAsync(WorkerOn("Say hello by hand."));
        Assert.Contains($"reachy-mini: MCP server at {url} is not reachable", asked.SystemPrompt, StringComparison.Ordinal);
        var callback = await llm.WaitForRequestAsync(KernelOn("[Worker callback]"));
        Assert.Contains("Task was successful.", callback.LastUserText, StringComparison.Ordinal);
        Assert.Contains("Agent output: hello from a hand-started worker", callback.LastUserText, StringComparison.Ordinal);
        Assert.Contains("worker_id=by-hand-1", callback.LastUserText, StringComparison.Ordinal);
    }
}

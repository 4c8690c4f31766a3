using System.Text.Json;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>The kernel with real worker processes: chat → launch → worker turn → callback → kernel reply.</summary>
public sealed class KernelFlowTests
{
    [Fact]
    public async Task Chat_launches_a_worker_whose_callback_reaches_the_kernel_and_updates()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("say hello and look happy"), ScriptedTurn.Call("launch_process", new { system_prompt = "Greet the user warmly and look happy.", robots = new[] { "reachy-mini", "unicorn" } }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("I launched a worker to greet you."));
        llm.When(WorkerOn("Greet the user warmly"), ScriptedTurn.Say("I greeted the user."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("The worker greeted the user."));
        await using var kernel = await KernelHarness.StartAsync(llm);
        await kernel.WaitForPoolAsync();

        using var sse = new SseReader(kernel.Port);
        await sse.WaitForAsync("provider_status");
        var output = await kernel.ChatAsync("say hello and look happy");

        Assert.Equal("I launched a worker to greet you.", output);
        var launchResult = llm.ChatRequests.First(KernelAfterTool).Messages[^1].Text;
        Assert.Contains("Worker launched successfully (pool). Worker ID: ", launchResult, StringComparison.Ordinal);
        // Every driver is on a dead port here, so both are ignored and the original's fallback applies.
        Assert.Contains("Ignored unknown or unreachable robots: reachy-mini, unicorn", launchResult, StringComparison.Ordinal);
        Assert.Contains("Falling back to reachy-mini.", launchResult, StringComparison.Ordinal);
        var workerId = launchResult.Split("Worker ID: ")[1][..36];

        await kernel.WaitForUpdateAsync(m => m == "The worker greeted the user.");

        var worker = llm.ChatRequests.First(WorkerOn("Greet the user warmly"));
        Assert.Contains("Reachy Mini", worker.SystemPrompt, StringComparison.Ordinal);
        Assert.StartsWith("Complete the assigned task", worker.LastUserText, StringComparison.Ordinal);
        var callback = llm.ChatRequests.First(KernelOn("[Worker callback]"));
        Assert.Equal($"[Worker callback] Task was successful. System prompt: Greet the user warmly and look happy.. Agent output: I greeted the user. (worker_id={workerId}, done=True).", callback.LastUserText);
        // The callback turn sees the conversation so far (history).
        Assert.Contains(callback.Messages, m => m.Role == "user" && m.Text == "say hello and look happy");

        await sse.WaitForAsync("kernel_output", "The worker greeted the user.");
        Assert.Contains(sse.Events, e => e.Type == "user_message" && e.Data.Contains("say hello and look happy", StringComparison.Ordinal));
        Assert.Contains(sse.Events, e => e.Type == "process_launched" && e.Data.Contains(workerId, StringComparison.Ordinal));
        Assert.Contains(sse.Events, e => e.Type == "process_finished" && e.Data.Contains(workerId, StringComparison.Ordinal));
        Assert.Empty(await kernel.RunningAsync());
    }

    [Fact]
    public async Task Speech_events_run_as_user_said_and_empty_text_is_refused()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("[User said] hello robot"), ScriptedTurn.Say("Hello human."));
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);

        var (status, body) = await kernel.PostJsonAsync("/stt", """{"text":"  hello robot "}""");
        Assert.Equal(200, status);
        Assert.True(body.GetProperty("ok").GetBoolean());
        var (_, empty) = await kernel.PostJsonAsync("/stt", """{"text":"   "}""");
        Assert.False(empty.GetProperty("ok").GetBoolean());
        Assert.Equal("missing or empty text", empty.GetProperty("error").GetString());

        await kernel.WaitForUpdateAsync(m => m == "Hello human.");
        Assert.Single(llm.ChatRequests);
    }

    [Fact]
    public async Task Two_pooled_workers_and_a_third_one_off_run_at_once_and_all_call_back()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var release = new TaskCompletionSource();
        llm.When(KernelOn("three tasks"), ScriptedTurn.Calls(
            ("launch_process", new { system_prompt = "task A" }),
            ("launch_process", new { system_prompt = "task B" }),
            ("launch_process", new { system_prompt = "task C" })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("three launched"));
        foreach (var t in new[] { "task A", "task B", "task C" })
        {
            llm.When(WorkerOn(t), ScriptedTurn.Say("finished " + t).After(release.Task));
        }
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("noted 1"), ScriptedTurn.Say("noted 2"), ScriptedTurn.Say("noted 3"));
        await using var kernel = await KernelHarness.StartAsync(llm);
        await kernel.WaitForPoolAsync();

        Assert.Equal("three launched", await kernel.ChatAsync("three tasks"));
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(IsWorker) == 3), "three workers asking the LLM at once");
        var running = await kernel.RunningAsync();
        Assert.Equal(["one-off", "pool", "pool"], running.Select(p => p.GetProperty("kind").GetString()).Order());
        Assert.Equal(3, running.Select(p => p.GetProperty("pid").GetInt32()).Distinct().Count());

        release.SetResult();
        var seen = new List<string>();
        foreach (var n in new[] { "noted 1", "noted 2", "noted 3" })
        {
            await kernel.WaitForUpdateAsync(m => m == n, seen);
        }
        var callbacks = llm.ChatRequests.Where(KernelOn("[Worker callback]")).Select(r => r.LastUserText).ToList();
        Assert.All(new[] { "task A", "task B", "task C" }, t => Assert.Single(callbacks, c => c.Contains("Agent output: finished " + t, StringComparison.Ordinal)));
        await Poll.UntilAsync(async () => (await kernel.RunningAsync()).Length == 0, "no running workers");
    }

    [Fact]
    public async Task A_pool_with_one_warm_worker_starts_the_next_when_a_task_takes_it_and_two_tasks_both_run_pooled()
    {
        // rosa up keeps one pool worker warm (--pool-warm 1) to save memory: the second slot must still serve a task.
        await using var llm = await ScriptedLlmServer.StartAsync();
        var release = new TaskCompletionSource();
        llm.When(KernelOn("two tasks"), ScriptedTurn.Calls(
            ("launch_process", new { system_prompt = "task A" }),
            ("launch_process", new { system_prompt = "task B" })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("two launched"));
        foreach (var t in new[] { "task A", "task B" })
        {
            llm.When(WorkerOn(t), ScriptedTurn.Say("finished " + t).After(release.Task));
        }
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("noted 1"), ScriptedTurn.Say("noted 2"));
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "2", "--pool-warm", "1"]);
        await kernel.WaitForPoolAsync(1);
        Assert.Single((await kernel.GetJsonAsync("/api/processes")).GetProperty("pool_pids").EnumerateArray());

        Assert.Equal("two launched", await kernel.ChatAsync("two tasks"));
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(IsWorker) == 2), "two workers asking the LLM at once");
        var running = await kernel.RunningAsync();
        Assert.Equal(["pool", "pool"], running.Select(p => p.GetProperty("kind").GetString()));
        Assert.Equal(2, running.Select(p => p.GetProperty("pid").GetInt32()).Distinct().Count());

        release.SetResult();
        var seen = new List<string>();
        foreach (var n in new[] { "noted 1", "noted 2" })
        {
            await kernel.WaitForUpdateAsync(m => m == n, seen);
        }
        var callbacks = llm.ChatRequests.Where(KernelOn("[Worker callback]")).Select(r => r.LastUserText).ToList();
        Assert.All(new[] { "task A", "task B" }, t => Assert.Single(callbacks, c => c.Contains("Agent output: finished " + t, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_provider_starts_anyway_and_says_so_in_health_and_chat()
    {
        await using var kernel = await KernelHarness.StartAsync(llm: null, extraArgs: ["--pool-size", "0"]);

        var health = await kernel.GetJsonAsync("/health");
        Assert.False(health.GetProperty("llm").GetProperty("available").GetBoolean());
        Assert.Contains("no LLM configured: set GROQ_API_KEY or start a local endpoint", health.GetProperty("llm").GetProperty("status").GetString(), StringComparison.Ordinal);
        var output = await kernel.ChatAsync("hello?");
        Assert.StartsWith("Error: no LLM configured", output, StringComparison.Ordinal);
        Assert.Contains("LLM: none", kernel.Process.Output, StringComparison.Ordinal);
        Assert.Equal("ok", (await kernel.GetJsonAsync("/health")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Worker_with_no_reachable_robot_still_runs_its_turns_and_reports_tool_calls()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("look around"), ScriptedTurn.Call("launch_process", new { system_prompt = "Look around the room." }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("launched"));
        llm.When(WorkerOn("Look around the room."), ScriptedTurn.Call("take_picture", new { for_text_only_model = true }), ScriptedTurn.Say("I could not see anything."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("worker reported"));
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);

        await kernel.ChatAsync("look around");
        await kernel.WaitForUpdateAsync(m => m == "worker reported");

        var first = llm.ChatRequests.First(IsWorker);
        Assert.Contains("reachy-mini: MCP server at", first.SystemPrompt, StringComparison.Ordinal);
        var second = llm.ChatRequests.Where(IsWorker).ElementAt(1);
        Assert.Contains(second.Messages, m => m.Role == "tool" && m.Text.Contains("there is no tool named 'take_picture'", StringComparison.Ordinal));
        var audit = await kernel.GetJsonAsync("/api/audit");
        var row = Assert.Single(audit.EnumerateArray());
        Assert.Equal("take_picture", row.GetProperty("tool").GetString());
        Assert.True(row.GetProperty("is_error").GetBoolean());
        Assert.Contains("for_text_only_model", row.GetProperty("arguments").GetString(), StringComparison.Ordinal);
    }
}

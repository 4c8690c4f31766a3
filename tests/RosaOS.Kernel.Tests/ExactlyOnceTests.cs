using System.Text.Json;
using RosaOS.Hosting;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>Crashes and retries never make the kernel do a thing twice: resumed turns, one callback per task, idempotent POSTs.</summary>
public sealed class ExactlyOnceTests
{
    [Fact]
    public async Task Kill_9_right_after_launch_process_resumes_the_turn_without_a_second_worker_and_reports_the_lost_task_once()
    {
        var dataDir = TestPaths.NewTempDirectory("once");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("patrol"), ScriptedTurn.Call("launch_process", new { system_prompt = "Patrol the room." }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("held").After(never.Task), ScriptedTurn.Say("Patrol launched."));
        llm.When(WorkerOn("Patrol the room."), ScriptedTurn.Say("never").After(never.Task));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("The patrol worker was lost; shall I try again?"));

        var kernel1 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
        await kernel1.WaitForPoolAsync(1);
        // /chat answers when its turn ends, and this turn is held right after the launch: ask in the background.
        var chat = kernel1.ChatAsync("patrol");
        await llm.WaitForRequestAsync(WorkerOn("Patrol the room."));
        await llm.WaitForRequestAsync(KernelAfterTool);
        var worker = Assert.Single(await kernel1.RunningAsync());
        var workerId = worker.GetProperty("worker_id").GetString()!;
        var workerProcess = ProcessIdentity.Of(worker.GetProperty("pid").GetInt32())!;

        await kernel1.CrashAsync();
        // The orphaned worker notices at once (its stdin closes) and exits: nothing runs on for a dead kernel.
        await Poll.UntilAsync(() => Task.FromResult(!workerProcess.IsAlive()), "the worker of the killed kernel to exit", timeout: TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => chat);
        await kernel1.DisposeAsync();

        await using var kernel2 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
        Assert.Contains("Re-running 1 events", kernel2.Process.Output, StringComparison.Ordinal);
        Assert.Contains("1 tasks were running when the kernel stopped", kernel2.Process.Output, StringComparison.Ordinal);
        // The loop resumes the turn after the kernel is listening: wait for its line rather than read the output at once.
        await kernel2.Process.WaitForLineAsync(l => l.Contains("Resuming the turn of event 1: 2 steps recorded before the last stop are replayed", StringComparison.Ordinal));
        var updates = await kernel2.WaitForUpdateAsync(m => m.StartsWith("The patrol worker was lost", StringComparison.Ordinal));

        // The turn finished from its journal: the recorded launch was given back, not run again.
        Assert.Contains("Patrol launched.", updates);
        Assert.Single(llm.ChatRequests, r => KernelOn("patrol")(r));
        Assert.Single(llm.ChatRequests, r => WorkerOn("Patrol the room.")(r));
        Assert.Empty((await kernel2.GetJsonAsync("/api/processes")).GetProperty("all").EnumerateArray());
        var resumed = llm.ChatRequests.Last(KernelAfterTool);
        Assert.Contains(resumed.Messages, m => m.Role == "tool" && m.Text.Contains("Worker launched successfully (pool). Worker ID: " + workerId, StringComparison.Ordinal));
        var journal = await kernel2.JournalAsync();
        var chatEvent = Assert.Single(journal, e => e.GetProperty("kind").GetString() == "chat");
        Assert.Equal("done", chatEvent.GetProperty("status").GetString());
        Assert.Equal("Patrol launched.", chatEvent.GetProperty("output").GetString());
        // Exactly one callback for the task: that its worker was lost, and what it had done.
        var callback = Assert.Single(journal, e => e.GetProperty("kind").GetString() == "callback");
        var text = callback.GetProperty("text").GetString()!;
        Assert.Contains($"worker_id={workerId}, done=False", text, StringComparison.Ordinal);
        Assert.Contains("the worker was lost when the kernel stopped", text, StringComparison.Ordinal);
        Assert.Contains("it had not called any tool yet", text, StringComparison.Ordinal);
        never.SetResult();
    }

    [Fact]
    public async Task Kill_9_after_the_callback_was_journaled_runs_its_turn_once_and_reports_nothing_lost()
    {
        var dataDir = TestPaths.NewTempDirectory("once");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("wave"), ScriptedTurn.Call("launch_process", new { system_prompt = "Wave at the user." }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("Waving."));
        llm.When(WorkerOn("Wave at the user."), ScriptedTurn.Say("I waved."));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("held").After(never.Task), ScriptedTurn.Say("Reachy waved at you."));

        var kernel1 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
        await kernel1.WaitForPoolAsync(1);
        Assert.Equal("Waving.", await kernel1.ChatAsync("wave"));
        await llm.WaitForRequestAsync(KernelOn("[Worker callback]"));
        await kernel1.CrashAsync();
        await kernel1.DisposeAsync();

        await using var kernel2 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "1");
        await kernel2.WaitForUpdateAsync(m => m == "Reachy waved at you.");
        Assert.DoesNotContain("tasks were running when the kernel stopped", kernel2.Process.Output, StringComparison.Ordinal);
        var callback = Assert.Single(await kernel2.JournalAsync(), e => e.GetProperty("kind").GetString() == "callback");
        Assert.Contains("Agent output: I waved.", callback.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("done", callback.GetProperty("status").GetString());
        Assert.Single(llm.ChatRequests, r => WorkerOn("Wave at the user.")(r));
        never.SetResult();
    }

    [Fact]
    public async Task Repeated_callback_stt_and_tool_call_posts_with_one_idempotency_key_make_one_event_each()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);

        for (var i = 0; i < 2; i++)
        {
            var posts = new[]
            {
                await kernel.PostJsonAsync("/event", """{"worker_id":"w-1","message":"Task was successful.","done":true}""", "task:w-1:callback"),
                await kernel.PostJsonAsync("/stt", """{"text":"open the door"}""", "stt:utterance-1"),
                // Clients that cannot set headers put the key in the body; the original's fields are unchanged.
                await kernel.PostJsonAsync("/stt", """{"text":"close the window","idempotency_key":"stt:utterance-2"}"""),
                await kernel.PostJsonAsync("/api/worker-tool-calls",
                    """{"worker_id":"w-1","server":"reachy-mini","tool":"speak","arguments":"{}","result":"said it","is_error":false,"duration_ms":3}""", "task:w-1:call:1:done"),
            };
            // A duplicate is answered exactly as the first was.
            Assert.All(posts, p => Assert.Equal((200, true), (p.Status, p.Body.GetProperty("ok").GetBoolean())));
        }
        // The original's clients send no key: each of their POSTs is its own event, as before.
        await kernel.PostJsonAsync("/stt", """{"text":"no key"}""");
        await kernel.PostJsonAsync("/stt", """{"text":"no key"}""");
        await Poll.UntilAsync(async () => (await kernel.GetJsonAsync("/health")).GetProperty("events").GetProperty("pending").GetInt64() == 0, "the events to run");

        var texts = (await kernel.JournalAsync()).Select(e => e.GetProperty("text").GetString()!).ToList();
        Assert.Single(texts, t => t.StartsWith("[Worker callback] Task was successful.", StringComparison.Ordinal));
        Assert.Single(texts, t => t == "[User said] open the door");
        Assert.Single(texts, t => t == "[User said] close the window");
        Assert.Equal(2, texts.Count(t => t == "[User said] no key"));
        Assert.Single(llm.ChatRequests, r => KernelOn("[User said] open the door")(r));
        Assert.Single((await kernel.GetJsonAsync("/api/audit")).EnumerateArray(), a => a.GetProperty("worker_id").GetString() == "w-1");

        var (status, body) = await kernel.PostJsonAsync("/stt", """{"text":"x"}""", new string('k', 201));
        Assert.Equal(400, status);
        Assert.Contains("idempotency key must be 1 to 200 characters", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}

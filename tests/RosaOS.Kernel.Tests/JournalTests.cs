using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>The journal: accepted events survive a crash, run after restart, and never run twice once done.</summary>
public sealed class JournalTests
{
    [Fact]
    public async Task Events_pending_at_a_crash_run_after_restart_exactly_once_and_history_is_reloaded()
    {
        var dataDir = TestPaths.NewTempDirectory("journal");
        var configDir = KernelHarness.NewConfigDir();

        await using (var llm1 = await ScriptedLlmServer.StartAsync())
        {
            var never = new TaskCompletionSource();
            llm1.Fallback = ScriptedTurn.Say("never").After(never.Task);
            var kernel1 = await KernelHarness.StartAsync(llm1, dataDir, configDir, "--pool-size", "0");
            foreach (var word in new[] { "one", "two", "three" })
            {
                var (status, _) = await kernel1.PostJsonAsync("/stt", $$"""{"text":"{{word}}"}""");
                Assert.Equal(200, status);
            }
            await llm1.WaitForRequestAsync(KernelOn("[User said] one"));
            kernel1.Process.SignalGroup(9);
            await kernel1.Process.WaitForExitAsync();
            await kernel1.DisposeAsync();
            never.SetResult();
        }

        await using (var llm2 = await ScriptedLlmServer.StartAsync())
        {
            llm2.Fallback = ScriptedTurn.Say("handled");
            await using var kernel2 = await KernelHarness.StartAsync(llm2, dataDir, configDir, "--pool-size", "0");
            Assert.Contains("Re-running 3 events", kernel2.Process.Output, StringComparison.Ordinal);
            await Poll.UntilAsync(async () => (await kernel2.GetJsonAsync("/health")).GetProperty("events").GetProperty("pending").GetInt64() == 0, "the pending events to run");

            var texts = llm2.ChatRequests.Select(r => r.LastUserText).ToList();
            Assert.Equal(["[User said] one", "[User said] two", "[User said] three"], texts);
            // "two" runs after "one" finished, with it in the conversation.
            Assert.Contains(llm2.ChatRequests[1].Messages, m => m.Role == "user" && m.Text == "[User said] one");
        }

        await using (var llm3 = await ScriptedLlmServer.StartAsync())
        {
            llm3.Fallback = ScriptedTurn.Say("four handled");
            await using var kernel3 = await KernelHarness.StartAsync(llm3, dataDir, configDir, "--pool-size", "0");
            Assert.Equal("four handled", await kernel3.ChatAsync("four"));

            var only = Assert.Single(llm3.ChatRequests);
            Assert.Equal("four", only.LastUserText);
            // The conversation was reloaded from the database.
            Assert.Contains(only.Messages, m => m.Role == "user" && m.Text == "[User said] three");
            Assert.Contains(only.Messages, m => m.Role == "assistant" && m.Text == "handled");
        }
    }

    [Fact]
    public async Task History_window_bounds_the_prompt()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0", "--history-window", "4"]);

        for (var i = 0; i < 5; i++)
        {
            await kernel.ChatAsync($"message {i}");
        }

        var last = llm.ChatRequests[^1];
        Assert.Equal("message 4", last.LastUserText);
        // system + 4 kept messages (2 exchanges) + the new one.
        Assert.Equal(6, last.Messages.Count);
        Assert.Equal("message 2", last.Messages[1].Text);
    }
}

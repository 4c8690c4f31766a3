using System.Globalization;
using System.Text.Json;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>Timers in a real kernel: scheduled by the kernel agent, listed and cancelled over HTTP, firing after a restart.</summary>
public sealed class TimerKernelTests
{
    [Fact]
    public async Task A_timer_due_while_the_kernel_was_stopped_fires_once_after_the_restart_and_wakes_the_kernel_agent()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("remind me to stretch"), ScriptedTurn.Call("schedule_timer", new { text = "remind the user to stretch", delay_seconds = 2 }));
        llm.When(KernelOn("check the battery every hour"),
            ScriptedTurn.Call("schedule_timer", new { text = "check the battery", delay_seconds = 3600, repeat_seconds = 3600 }));
        llm.When(KernelOn("[Timer] remind the user to stretch"), ScriptedTurn.Say("Time to stretch!"));
        llm.Fallback = ScriptedTurn.Say("Done.");
        var data = TestPaths.NewTempDirectory("timer-restart");
        var config = KernelHarness.NewConfigDir();
        // Port 0 at the first start; a restart takes the ports it got, as rosa up restarts a kernel where its clients look.
        var (port, processPort) = (0, 0);
        DateTimeOffset due;
        await using (var kernel = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            (port, processPort) = (kernel.Port, kernel.ProcessPort);
            await kernel.ChatAsync("remind me to stretch in two seconds");
            var result = llm.ChatRequests.Where(KernelAfterTool).Last().Body;
            Assert.Contains("created_at", result, StringComparison.Ordinal);
            Assert.DoesNotContain("Error:", result, StringComparison.Ordinal);
            var timers = (await kernel.GetJsonAsync("/api/timers")).GetProperty("timers").EnumerateArray().ToArray();
            var timer = Assert.Single(timers);
            Assert.Equal(("remind the user to stretch", "active", "kernel"),
                (timer.GetProperty("text").GetString(), timer.GetProperty("status").GetString(), timer.GetProperty("owner").GetString()));
            due = DateTimeOffset.Parse(timer.GetProperty("due_at").GetString()!, CultureInfo.InvariantCulture);
        }
        // Stopped until well past the due time (the clock is another process's state here: the kernel's).
        await Poll.UntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > due.AddSeconds(1)), "the timer's due time to pass");
        Assert.DoesNotContain(llm.ChatRequests, r => KernelOn("[Timer]")(r));

        await using (var again = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            var woke = await llm.WaitForRequestAsync(KernelOn("[Timer] remind the user to stretch"));
            Assert.Contains("timer_id=", woke.LastUserText, StringComparison.Ordinal);
            await again.WaitForUpdateAsync(m => m.Contains("Time to stretch!", StringComparison.Ordinal));
            var fired = await Poll.ForAsync(async () => (await again.JournalAsync()).Where(e => e.GetProperty("kind").GetString() == "timer").ToArray(),
                e => e.Length == 1 && e[0].GetProperty("status").GetString() == "done", "the timer's event done");
            Assert.StartsWith("[Timer] remind the user to stretch", fired[0].GetProperty("text").GetString(), StringComparison.Ordinal);
            var timer = Assert.Single((await again.GetJsonAsync("/api/timers")).GetProperty("timers").EnumerateArray());
            Assert.Equal(("done", 1), (timer.GetProperty("status").GetString(), timer.GetProperty("fired").GetInt32()));

            // A repeating one, cancelled by a person: JSON only, unknown ids are 404, a second cancel is 409.
            await again.ChatAsync("check the battery every hour");
            var repeating = (await again.GetJsonAsync("/api/timers")).GetProperty("timers").EnumerateArray()
                .Single(t => t.GetProperty("status").GetString() == "active");
            Assert.Equal(3600, repeating.GetProperty("repeat_seconds").GetDouble());
            var id = repeating.GetProperty("timer_id").GetString()!;
            using (var form = new StringContent("by=me", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"))
            using (var refused = await again.Http.PostAsync(new Uri($"/api/timers/{id}/cancel", UriKind.Relative), form, TestContext.Current.CancellationToken))
            {
                Assert.Equal(415, (int)refused.StatusCode);
            }
            Assert.Equal(404, (await again.PostJsonAsync("/api/timers/timer-nope/cancel", "{}")).Status);
            var (status, body) = await again.PostJsonAsync($"/api/timers/{id}/cancel", """{"by": "Ana at the UI"}""");
            Assert.Equal(200, status);
            Assert.Equal("cancelled by Ana at the UI", body.GetProperty("timer").GetProperty("end_reason").GetString());
            Assert.Equal(409, (await again.PostJsonAsync($"/api/timers/{id}/cancel", "{}")).Status);
        }
        // Never twice: a further restart finds nothing due and journals no second [Timer] event.
        await using (var third = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            await third.ChatAsync("anything new?");
            Assert.Single(await third.JournalAsync(), e => e.GetProperty("kind").GetString() == "timer");
            Assert.Single(llm.ChatRequests, r => KernelOn("[Timer] remind the user to stretch")(r));
        }
    }
}

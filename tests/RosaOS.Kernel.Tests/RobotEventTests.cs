using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>POST /api/robot-events: a driver's watch held; the kernel journals it once and its agent is woken with the text.</summary>
public sealed class RobotEventTests
{
    [Fact]
    public async Task A_robot_event_is_journaled_once_and_wakes_the_kernel_agent_and_bad_reports_are_refused()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.When(KernelOn("[Robot event]"), ScriptedTurn.Say("The TurtleBot's battery is low; I will send it to the dock."));
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, null, null, "--pool-size", "0");

        const string Report = """{"robot": "turtlebot", "watch_id": "watch-battery", "message": "/battery_state percentage fell below 0.2 (now 0.19)"}""";
        var (status, body) = await kernel.PostJsonAsync("/api/robot-events", Report, idempotencyKey: "watch-battery/1");
        Assert.Equal((200, false), (status, body.GetProperty("duplicate").GetBoolean()));
        var woke = await llm.WaitForRequestAsync(KernelOn("[Robot event]"));
        Assert.Equal("[Robot event] /battery_state percentage fell below 0.2 (now 0.19) (robot=turtlebot, watch_id=watch-battery)", woke.LastUserText);
        await kernel.WaitForUpdateAsync(m => m.Contains("battery is low", StringComparison.Ordinal));

        // The driver's retry after a lost answer is answered as the first and journals nothing.
        (status, body) = await kernel.PostJsonAsync("/api/robot-events", Report, idempotencyKey: "watch-battery/1");
        Assert.Equal((200, true), (status, body.GetProperty("duplicate").GetBoolean()));
        Assert.Single(await kernel.JournalAsync(), e => e.GetProperty("kind").GetString() == "robot_event");

        foreach (var (bad, expected) in new[]
        {
            ("""{"watch_id": "w", "message": "m"}""", "\"robot\" is missing"),
            ("""{"robot": "toaster", "watch_id": "w", "message": "m"}""", "\"robot\" must be a robot of drivers.json"),
            ("""{"robot": "turtlebot", "watch_id": "", "message": "m"}""", "\"watch_id\" must be 1 to 100 characters"),
            ("""{"robot": "turtlebot", "watch_id": "w", "message": "  "}""", "\"message\" must be 1 to 2000 characters"),
            ("""{"robot": "turtlebot", "watch_id": "w", "message": 5}""", "\"message\" must be a string"),
        })
        {
            var (badStatus, answer) = await kernel.PostJsonAsync("/api/robot-events", bad);
            Assert.Equal(400, badStatus);
            Assert.Contains(expected, answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        using var form = new StringContent("robot=turtlebot", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var refused = await kernel.Http.PostAsync(new Uri("/api/robot-events", UriKind.Relative), form, TestContext.Current.CancellationToken);
        Assert.Equal(415, (int)refused.StatusCode);
        Assert.Single(await kernel.JournalAsync(), e => e.GetProperty("kind").GetString() == "robot_event");
    }
}

using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>The stop does not depend on the kernel, on the caller staying, or on every driver being up.</summary>
[Collection(StopStackCollection.Name)]
public sealed class ResilienceTests(StopStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static object Drive(double seconds) => new
    {
        topic = "/cmd_vel",
        msg_type = "geometry_msgs/Twist",
        messages = new[] { new { linear = new { x = 0.2 } } },
        durations = new[] { seconds },
    };

    /// <summary>The kernel starts while the TurtleBot's driver is down, so it has it as unreachable.</summary>
    private async Task StartKernelWithTheTurtlebotDownAsync()
    {
        await stack.ResetAsync();
        await stack.StopRosAsync();
        await stack.StopKernelAsync();
        await stack.StartKernelAsync();
        Assert.Contains((await stack.GetJsonAsync($"{stack.KernelUrl}/health"))["drivers"]!.AsArray(),
            d => d!["name"]!.GetValue<string>() == "turtlebot" && !d["reachable"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Rosa_estop_stops_every_robot_with_the_kernel_killed_and_the_kernel_starts_stopped()
    {
        await stack.ResetAsync();
        var turn = StopStack.CallAsync(stack.ReachyUrl, "goto_target", new { head_yaw = -60, duration = 10 });
        var drive = StopStack.CallAsync(stack.RosUrl, "publish_for_durations", Drive(20));
        await Poll.UntilAsync(async () => await stack.HeadYawAsync() < -3, "the head to be turning");
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx > 0.1, "the base to drive");
        await stack.KillKernelAsync();

        var (code, output) = await stack.RunEstopCliAsync("--reason", "the kernel is gone");

        Assert.Equal(1, code); // the hung and the absent drivers could not confirm, and the exit code says so
        Assert.Contains("EMERGENCY STOP ENGAGED", output, StringComparison.Ordinal);
        Assert.Matches(@"reachy-mini\s+stopped", output);
        Assert.Matches(@"turtlebot\s+stopped", output);
        Assert.Matches(@"frozen\s+NO ANSWER.*no answer within 2 s", output);
        Assert.Matches(@"kernel\s+not running", output);
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx == 0, "the base to stop", TimeSpan.FromSeconds(10));
        Assert.True(JsonNode.Parse((await drive.WaitAsync(TestTimeouts.Effect, Ct)).Text)!["stopped_early"]!.GetValue<bool>());
        Assert.Contains("Stopped after", (await turn.WaitAsync(TestTimeouts.Effect, Ct)).Text, StringComparison.Ordinal);
        var (still, first, last) = await StopStack.StaysStillAsync(stack.HeadYawAsync, TimeSpan.FromSeconds(1));
        Assert.True(still, $"the head kept moving ({first:0.0}° → {last:0.0}°)");
        foreach (var url in new[] { stack.ReachyUrl, stack.RosUrl })
        {
            var state = await stack.GetJsonAsync($"{url}/estop");
            Assert.True(state["engaged"]!.GetValue<bool>());
            Assert.Equal("cli", state["source"]!.GetValue<string>());
            Assert.Equal("the kernel is gone", state["reason"]!.GetValue<string>());
        }

        // The kernel comes back stopped: `rosa estop` left its latch in the data folder.
        await stack.StartKernelAsync();
        var kernel = await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop");
        Assert.True(kernel["engaged"]!.GetValue<bool>());
        Assert.Equal("cli", kernel["source"]!.GetValue<string>());
        var (statusCode, status) = await stack.RunEstopCliAsync("--status");
        Assert.Equal(1, statusCode);
        Assert.Matches(@"reachy-mini\s+ENGAGED", status);
    }

    [Fact]
    public async Task The_stop_runs_to_the_end_when_the_caller_disconnects_midway_and_the_worker_driving_the_robot_is_terminated()
    {
        await stack.ResetAsync();
        stack.Llm.When(r => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal) && r.LastUserText == "drive the turtlebot forward",
            ScriptedTurn.Call("launch_process", new { system_prompt = "Drive the turtlebot forward for twenty seconds.", robots = new[] { "turtlebot" } }));
        stack.Llm.When(r => r.SystemPrompt.Contains("Drive the turtlebot forward for twenty seconds.", StringComparison.Ordinal),
            ScriptedTurn.Call("publish_for_durations", Drive(20)), ScriptedTurn.Say("Drove."));
        using (var chat = new StringContent("""{"prompt":"drive the turtlebot forward"}""", System.Text.Encoding.UTF8, "application/json"))
        {
            using var response = await stack.Http.PostAsync(new Uri($"{stack.KernelUrl}/chat"), chat, Ct);
            response.EnsureSuccessStatusCode();
        }
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx > 0.1, "the worker to drive the base");
        Assert.Single((await stack.GetJsonAsync($"{stack.KernelUrl}/api/processes"))["running"]!.AsArray());

        // The caller (a tab being reloaded) goes away while the kernel still waits for the hung driver.
        using var caller = new HttpClient();
        using var leave = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        using var body = new StringContent("""{"source":"ui","reason":"the tab is reloaded mid-stop"}""", System.Text.Encoding.UTF8, "application/json");
        var press = caller.PostAsync(new Uri($"{stack.KernelUrl}/api/estop"), body, leave.Token);
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop"))["engaged"]!.GetValue<bool>(), "the kernel to start the stop");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => press);

        // It ran to the end anyway: the robot stopped, the worker is gone, and the full answer is in the audit log.
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx == 0, "the base to stop", TimeSpan.FromSeconds(10));
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync($"{stack.KernelUrl}/api/processes"))["running"]!.AsArray().Count == 0, "the worker to be terminated");
        var engage = await Poll.ForAsync(async () => (await stack.GetArrayAsync($"{stack.KernelUrl}/api/audit?limit=50"))
                .Select(a => a!.AsObject()).FirstOrDefault(a => a["tool"]!.GetValue<string>() == "engage" && a["arguments"]!.GetValue<string>().Contains("mid-stop", StringComparison.Ordinal)),
            a => a is not null, "the engage to be audited");
        var outcome = JsonNode.Parse(engage!["outcome"]!.GetValue<string>())!;
        Assert.Single(outcome["terminated"]!.AsArray());
        var drivers = outcome["drivers"]!.AsArray().ToDictionary(d => d!["driver"]!.GetValue<string>(), d => d!);
        Assert.True(drivers["turtlebot"]["ok"]!.GetValue<bool>());
        Assert.True(drivers["reachy-mini"]["ok"]!.GetValue<bool>());
        Assert.Contains("no answer within 2 s", drivers["frozen"]["summary"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_robot_back_after_the_kernel_started_is_given_to_the_next_task_without_waiting_for_a_probe()
    {
        await StartKernelWithTheTurtlebotDownAsync();

        // It comes back and a task asks for it at once: the launch probes it then (the periodic probe also waits on "frozen").
        await stack.StartRosAsync();
        stack.Llm.When(r => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal) && r.LastUserText == "nudge the turtlebot",
            ScriptedTurn.Call("launch_process", new { system_prompt = "Nudge the turtlebot forward.", robots = new[] { "turtlebot" } }));
        stack.Llm.When(r => r.SystemPrompt.Contains("Nudge the turtlebot forward.", StringComparison.Ordinal),
            ScriptedTurn.Call("publish_for_durations", Drive(2)), ScriptedTurn.Say("Nudged."));
        var before = await stack.OdomXAsync();
        var (status, _) = await stack.PostAsync($"{stack.KernelUrl}/chat", """{"prompt":"nudge the turtlebot"}""");
        Assert.InRange(status, 200, 299);
        // Where the base is, not how fast: a 2 s nudge can fall between two samples of its speed on a loaded machine.
        await Poll.ForAsync(stack.OdomXAsync, x => Math.Abs(x - before) > 0.1, "the worker to drive the returned base");
        var worker = stack.Llm.ChatRequests.First(r => r.SystemPrompt.Contains("Nudge the turtlebot forward.", StringComparison.Ordinal));
        Assert.Contains("publish_for_durations", worker.ToolNames);
        Assert.DoesNotContain("Unavailable right now", worker.SystemPrompt, StringComparison.Ordinal);
        await Poll.ForAsync(stack.OdomVxAsync, vx => vx == 0, "the nudge to end");
    }

    [Fact]
    public async Task A_driver_down_when_the_kernel_started_and_at_the_press_is_latched_as_soon_as_it_is_back()
    {
        await StartKernelWithTheTurtlebotDownAsync();

        var (status, answer) = await stack.PressAsync();
        Assert.Equal(200, status);
        var turtlebot = answer!["drivers"]!.AsArray().Single(d => d!["driver"]!.GetValue<string>() == "turtlebot")!;
        Assert.Contains("not running", turtlebot["summary"]!.GetValue<string>(), StringComparison.Ordinal);

        // It comes back with no stop of its own; the kernel keeps trying and latches it.
        await stack.StartRosAsync();
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync($"{stack.RosUrl}/estop"))["engaged"]!.GetValue<bool>(), "the kernel to latch the returning driver");
        var (text, isError) = await StopStack.CallAsync(stack.RosUrl, "publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.2 } } });
        Assert.True(isError, text);
        Assert.Contains("emergency stop engaged", text, StringComparison.Ordinal);
    }
}

using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>The stop holds until a person releases it: motion tools refuse, across restarts; only the UI and the CLI release; all audited.</summary>
[Collection(StopStackCollection.Name)]
public sealed partial class LatchTests(StopStack stack)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [GeneratedRegex(@"emergency stop engaged at \d\d:\d\d:\d\d from the UI; a person must release it")]
    private static partial Regex FromTheUi();

    [Fact]
    public async Task Motion_tools_refuse_while_latched_read_only_tools_work_and_the_latch_survives_restarting_each_driver_and_the_kernel()
    {
        await stack.ResetAsync();
        var (status, _) = await stack.PressAsync();
        Assert.Equal(200, status);

        await AssertRefusingAsync("after the press");
        // Read-only tools keep working, and so do the stop tools.
        Assert.False((await StopStack.CallAsync(stack.ReachyUrl, "list_emotions")).IsError);
        Assert.False((await StopStack.CallAsync(stack.ReachyUrl, "stop_move")).IsError);
        var (state, _) = await StopStack.CallAsync(stack.ReachyUrl, "emergency_stop_status");
        Assert.True(JsonNode.Parse(state)!["engaged"]!.GetValue<bool>());
        var (odom, odomError) = await StopStack.CallAsync(stack.RosUrl, "subscribe_once", new { topic = "/odom", msg_type = "nav_msgs/Odometry" });
        Assert.False(odomError, odom);
        Assert.False((await StopStack.CallAsync(stack.RosUrl, "get_topics")).IsError);

        // Each driver and the kernel restart with the stop still engaged.
        await stack.RestartReachyAsync();
        await stack.StopRosAsync();
        await stack.StartRosAsync();
        await stack.StopKernelAsync();
        await stack.StartKernelAsync();
        await AssertRefusingAsync("after restarting rosa reachy, rosa ros and rosa kernel");
        var kernel = await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop");
        Assert.True(kernel["engaged"]!.GetValue<bool>());
        Assert.Equal("ui", kernel["source"]!.GetValue<string>());

        // A person releases it from the command line; everything moves again.
        var (code, output) = await stack.RunEstopCliAsync("--release", "--yes");
        Assert.Contains("reachy-mini", output, StringComparison.Ordinal);
        Assert.Matches(@"reachy-mini\s+released", output);
        Assert.Matches(@"turtlebot\s+released", output);
        Assert.Equal(1, code); // the hung driver could not confirm its release, and the exit code says so
        Assert.False((await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop"))["engaged"]!.GetValue<bool>());
        var (moved, moveError) = await StopStack.CallAsync(stack.ReachyUrl, "goto_target", new { head_yaw = 10, duration = 0.3 });
        Assert.False(moveError, moved);
        var (published, publishError) = await StopStack.CallAsync(stack.RosUrl, "publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.0 } } });
        Assert.False(publishError, published);
    }

    private async Task AssertRefusingAsync(string when)
    {
        foreach (var (tool, args) in new (string, object?)[]
        {
            ("goto_target", new { head_yaw = 20 }), ("move_head_left", null), ("reset_head", null), ("play_emotion", new { emotion = "cheerful" }),
            ("move_to_audio", null), ("center_on_face", null),
        })
        {
            var (text, isError) = await StopStack.CallAsync(stack.ReachyUrl, tool, args);
            Assert.True(isError, $"{tool} was not refused {when}: {text}");
            Assert.Matches(FromTheUi(), text);
        }
        foreach (var (tool, args) in new (string, object)[]
        {
            ("publish_once", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", msg = new { linear = new { x = 0.2 } } }),
            ("publish_for_durations", new { topic = "/cmd_vel", msg_type = "geometry_msgs/Twist", messages = new[] { new { linear = new { x = 0.2 } } }, durations = new[] { 1.0 } }),
            ("send_action_goal", new { action_name = "/dock_action", action_type = "actionlib/TestAction", goal = new { goal = 1 } }),
            ("call_service", new { service_name = "/dock", service_type = "std_srvs/Trigger" }),
            ("set_parameter", new { name = "/fake_turtlebot/max_speed", value = 2.0 }),
        })
        {
            var (text, isError) = await StopStack.CallAsync(stack.RosUrl, tool, args);
            Assert.True(isError, $"{tool} was not refused {when}: {text}");
            Assert.Matches(FromTheUi(), text);
        }
        await using var processes = await StopStack.ConnectAsync(stack.ProcessManagerUrl, Ct);
        var launch = await processes.CallToolAsync("launch_process", new Dictionary<string, object?> { ["system_prompt"] = "Wave at the visitor." }, cancellationToken: Ct);
        var launched = string.Concat(launch.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text));
        Assert.StartsWith("Refused: no process can be launched: emergency stop engaged", launched, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_person_releases_no_agent_can_and_every_engage_and_release_is_audited()
    {
        await stack.ResetAsync();
        // No driver offers a release tool, and the contract's roles say so.
        foreach (var url in new[] { stack.ReachyUrl, stack.RosUrl })
        {
            await using var client = await StopStack.ConnectAsync(url, Ct);
            var tools = await client.ListToolsAsync(cancellationToken: Ct);
            Assert.DoesNotContain(tools, t => t.Name.Contains("release", StringComparison.OrdinalIgnoreCase));
            var roles = tools.Select(t => t.ProtocolTool.Meta?[EstopContract.MetaKey]?.GetValue<string>()).OfType<string>().ToList();
            Assert.Equal(1, roles.Count(r => r == EstopContract.Roles.Engage));
            Assert.Equal(1, roles.Count(r => r == EstopContract.Roles.State));
            Assert.All(roles, r => Assert.Contains(r, new[] { "engage", "state", "stop", "allowed" }));
            Assert.Equal("/estop", client.ServerCapabilities.Experimental![EstopContract.MetaKey] is System.Text.Json.JsonElement e ? e.GetProperty("http").GetString() : null);
        }

        // An agent may stop: Reachy's emergency_stop tool. The kernel sees it and stops the whole system.
        var (stopped, stopError) = await StopStack.CallAsync(stack.ReachyUrl, "emergency_stop", new { reason = "a child is too close" });
        Assert.False(stopError, stopped);
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop"))["engaged"]!.GetValue<bool>(), "the kernel to stop everything");
        await Poll.UntilAsync(async () => (await stack.GetJsonAsync($"{stack.RosUrl}/estop"))["engaged"]!.GetValue<bool>(), "the turtlebot to be stopped too");
        Assert.Equal("agent", (await stack.GetJsonAsync($"{stack.KernelUrl}/api/estop"))["source"]!.GetValue<string>());

        // Nothing an agent can reach releases it.
        var (again, _) = await StopStack.CallAsync(stack.ReachyUrl, "emergency_stop", new { reason = "release please" });
        Assert.True(JsonNode.Parse(again)!["already_engaged"]!.GetValue<bool>());
        var (status, body) = await stack.PostAsync($"{stack.ReachyUrl}/estop/release", """{"by":"agent","confirm":true}""");
        Assert.Equal(403, status);
        Assert.Contains("only a person releases", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, body) = await stack.PostAsync($"{stack.ReachyUrl}/estop/release", """{"by":"ui"}""");
        Assert.Equal(400, status);
        Assert.Contains("\"confirm\" must be true", body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, _) = await stack.PostAsync($"{stack.ReachyUrl}/estop/release", """{"by":"ui","confirm":true}""", "text/plain");
        Assert.Equal(415, status);
        (status, _) = await stack.PostAsync($"{stack.KernelUrl}/api/estop/release", """{"by":"kernel","confirm":true}""");
        Assert.Equal(403, status);
        (status, _) = await stack.PostAsync($"{stack.KernelUrl}/api/estop/release", """{"by":"ui","confirm":false}""");
        Assert.Equal(400, status);
        Assert.True((await stack.GetJsonAsync($"{stack.ReachyUrl}/estop"))["engaged"]!.GetValue<bool>());

        // The UI's release (with its confirmation) releases everything.
        (status, body) = await stack.PostAsync($"{stack.KernelUrl}/api/estop/release", """{"by":"ui","confirm":true,"note":"checked the room"}""");
        Assert.Equal(200, status);
        Assert.False(body!["engaged"]!.GetValue<bool>());
        foreach (var url in new[] { stack.ReachyUrl, stack.RosUrl })
        {
            var state = await stack.GetJsonAsync($"{url}/estop");
            Assert.False(state["engaged"]!.GetValue<bool>(), $"{url}/estop after the release: {state.ToJsonString()}; the release answered {body.ToJsonString()}");
        }

        // The kernel agent and the workers are never handed a release tool.
        stack.Llm.When(r => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal) && r.LastUserText == "list your tools",
            ScriptedTurn.Call("launch_process", new { system_prompt = "Report the tools you have.", robots = new[] { "reachy-mini", "turtlebot" } }));
        stack.Llm.When(r => r.SystemPrompt.Contains("Report the tools you have.", StringComparison.Ordinal), ScriptedTurn.Say("Done."));
        using (var chat = new StringContent("""{"prompt":"list your tools"}""", System.Text.Encoding.UTF8, "application/json"))
        {
            using var response = await stack.Http.PostAsync(new Uri($"{stack.KernelUrl}/chat"), chat, Ct);
            response.EnsureSuccessStatusCode();
        }
        var worker = await stack.Llm.WaitForRequestAsync(r => r.SystemPrompt.Contains("Report the tools you have.", StringComparison.Ordinal), TestTimeouts.Effect);
        var kernelAgent = stack.Llm.ChatRequests.First(r => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal));
        Assert.Contains("emergency_stop", worker.ToolNames);
        Assert.Contains("goto_target", worker.ToolNames);
        Assert.Contains("publish_once", worker.ToolNames);
        Assert.DoesNotContain(worker.ToolNames, t => t.Contains("release", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(kernelAgent.ToolNames, t => t.Contains("release", StringComparison.OrdinalIgnoreCase) || t.Contains("estop", StringComparison.OrdinalIgnoreCase));

        // Audited: who, when, each driver's answer and its time.
        var audit = (await stack.GetArrayAsync($"{stack.KernelUrl}/api/audit?limit=200")).Select(a => a!.AsObject()).Where(a => a["server"]!.GetValue<string>() == "estop").ToList();
        var engage = audit.First(a => a["tool"]!.GetValue<string>() == "engage" && a["worker_id"]!.GetValue<string>() == "agent");
        var outcome = JsonNode.Parse(engage["outcome"]!.GetValue<string>())!;
        Assert.Contains("a child is too close", outcome.ToJsonString() + engage["arguments"], StringComparison.Ordinal);
        var answers = outcome["drivers"]!.AsArray();
        Assert.Equal(["dog", "frozen", "reachy-mini", "turtlebot"], answers.Select(d => d!["driver"]!.GetValue<string>()).Order());
        Assert.All(answers, d => Assert.True(d!["elapsed_ms"]!.GetValue<double>() >= 0));
        Assert.False(string.IsNullOrEmpty(engage["at"]!.GetValue<string>()));
        var release = audit.First(a => a["tool"]!.GetValue<string>() == "release");
        Assert.Equal("ui", release["worker_id"]!.GetValue<string>());
        Assert.Contains("checked the room", release["arguments"]!.GetValue<string>(), StringComparison.Ordinal);
        // The driver keeps its own history too, for stops made with the kernel down.
        var history = await File.ReadAllLinesAsync(Path.Combine(stack.DataDir, "estop", "reachy-mini.log"), Ct);
        Assert.Contains(history, l => l.Contains("\"action\":\"engage\"", StringComparison.Ordinal) && l.Contains("\"source\":\"agent\"", StringComparison.Ordinal));
        Assert.Contains(history, l => l.Contains("\"action\":\"release\"", StringComparison.Ordinal));
    }
}

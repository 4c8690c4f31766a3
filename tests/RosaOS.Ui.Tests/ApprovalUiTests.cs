using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>
/// The real stack with an approval policy: <c>rosa sim</c>, a <c>rosa reachy</c> whose drivers.json entry gates goto_target
/// behind a person's approval, and the kernel reading the same drivers.json, plus one headless Chromium.
/// </summary>
public sealed class ApprovalStackFixture : UiStackFixture
{
    public const double TimeoutSeconds = 120;

    protected override bool WithKasa => false;

    /// <summary>The shipped config, with the Reachy's goto_target gated: the driver and the kernel read this one file.</summary>
    protected override void EditDrivers(JsonObject servers)
    {
        servers["reachy-mini"]!["approval"] = new JsonObject { ["tools"] = new JsonArray("goto_target"), ["timeout_seconds"] = TimeoutSeconds };
        // The light's entry is gated too, but no server answers on its port: the page must say that policy is not enforced.
        servers["Kasa Lightbulb Controller"]!["approval"] = new JsonObject { ["tools"] = new JsonArray("turn_off_light") };
    }
}

/// <summary>The approvals panel driven in Debian's Chromium: a person approves or denies a worker's gated call on the simulated Reachy.</summary>
public sealed class ApprovalUiTests(ApprovalStackFixture stack) : IClassFixture<ApprovalStackFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions s_visible = new() { Timeout = 30_000 };

    /// <summary>The header a worker names itself with (the lease contract's, RosaOS.EmergencyStop.LeaseContract.Header).</summary>
    private const string LeaseHeader = "Rosa-Lease-Holder";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_gated_call_shows_in_the_queue_with_driver_tool_and_arguments_Approve_runs_it_on_the_robot_Deny_refuses_it_and_both_are_audited_as_ui()
    {
        var page = await stack.Browser.NewPageAsync();
        await page.GotoAsync(stack.KernelUrl);
        await Assertions.Expect(page.Locator("#stream-state")).ToHaveTextAsync("events: live", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#no-approvals")).ToBeVisibleAsync(s_visible);
        await Assertions.Expect(page.Locator("#approval-problems li[data-driver='Kasa Lightbulb Controller']")).ToContainTextAsync("Not enforced: Kasa Lightbulb Controller did not list its approvals", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#approval-problems li[data-driver='reachy-mini']")).ToHaveCountAsync(0);
        // The kernel knows the Reachy enforces this policy (it serves /approvals with its gate).
        var listed = await stack.Http.GetFromJsonAsync<JsonObject>($"{stack.KernelUrl}api/approvals", Ct);
        var reachyEntry = listed!["drivers"]!.AsArray().Single(d => d!["driver"]!.ToString() == "reachy-mini")!;
        Assert.Null(reachyEntry["problem"]);
        Assert.Equal(ApprovalStackFixture.TimeoutSeconds, reachyEntry["timeout_seconds"]!.GetValue<double>());

        // A worker (any MCP client naming itself) asks to turn the head: the call waits for a person.
        await using var worker = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{stack.ReachyPort}/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { [LeaseHeader] = "w-ui-approval" },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);
        await Poll.UntilAsync(stack.IdleAsync, "the robot to be idle", TestTimeouts.Effect);
        var start = await stack.HeadYawDegreesAsync();
        var target = start > 0 ? -33.0 : 33.0;
        var first = worker.CallToolAsync("goto_target", new Dictionary<string, object?> { ["head_yaw"] = target, ["duration"] = 0.5 }, cancellationToken: Ct).AsTask();

        var item = page.Locator("#approval-list li", new() { HasText = "goto_target" });
        await Assertions.Expect(item).ToBeVisibleAsync(s_visible);
        await Assertions.Expect(item).ToContainTextAsync("reachy-mini · goto_target");
        await Assertions.Expect(item).ToContainTextAsync("caller w-ui-approval");
        await Assertions.Expect(item.Locator("pre")).ToContainTextAsync($"\"head_yaw\": {target.ToString(CultureInfo.InvariantCulture)}");
        await Assertions.Expect(item.Locator("pre")).ToContainTextAsync("\"duration\": 0.5");
        await Assertions.Expect(page.Locator("#no-approvals")).ToBeHiddenAsync();
        await BrowserFixture.ScreenshotAsync(page, "approval-waiting");
        Assert.False(first.IsCompleted);
        Assert.True(await stack.IdleAsync(), "the robot moved before anyone approved");

        // Approve: the call runs once, and the head turns to the approved angle.
        await item.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        var ran = await first.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.False(ran.IsError == true, Text(ran));
        await Poll.UntilAsync(async () => Math.Abs(await stack.HeadYawDegreesAsync() - target) < 1.5 && await stack.IdleAsync(), $"the head to turn to {target}°", TestTimeouts.Effect);
        await Assertions.Expect(page.Locator("#approval-list li")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#no-approvals")).ToBeVisibleAsync(s_visible);

        // Deny (the page asks for an optional reason): the worker is refused with it, and the head stays.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync("the cable is caught");
        var second = worker.CallToolAsync("goto_target", new Dictionary<string, object?> { ["head_yaw"] = -target, ["duration"] = 0.5 }, cancellationToken: Ct).AsTask();
        var item2 = page.Locator("#approval-list li", new() { HasText = "goto_target" });
        await Assertions.Expect(item2.Locator("pre")).ToContainTextAsync($"\"head_yaw\": {(-target).ToString(CultureInfo.InvariantCulture)}", new() { Timeout = 30_000 });
        await item2.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        var denied = await second.WaitAsync(TestTimeouts.Effect, Ct);
        Assert.True(denied.IsError);
        Assert.Contains("goto_target refused: a person (in the rosaOS UI) denied this call on reachy-mini (\"the cable is caught\"); it did not run", Text(denied), StringComparison.Ordinal);
        Assert.True(await stack.IdleAsync(), "the denied call moved the robot");
        Assert.InRange(await stack.HeadYawDegreesAsync(), target - 2, target + 2);
        await Assertions.Expect(page.Locator("#approval-list li")).ToHaveCountAsync(0, new() { Timeout = 30_000 });

        // The kernel's audit says the person in the UI decided each.
        var audit = await stack.Http.GetStringAsync(new Uri($"{stack.KernelUrl}api/audit?limit=50"), Ct);
        Assert.Contains("goto_target on reachy-mini approved by ui (approval", audit, StringComparison.Ordinal);
        Assert.Contains("goto_target on reachy-mini denied by ui: the cable is caught", audit, StringComparison.Ordinal);
        Assert.Contains("caller w-ui-approval", audit, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_leases_panel_shows_each_robots_holder_a_person_takes_control_and_gives_it_back_and_get_processes_tells_the_kernel_agent()
    {
        const string LeaseTask = "Lease UI task: keep the head still for the visitor.";
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stack.Llm.When(r => IsKernel(r) && r.LastUserText == "hold the head still",
            ScriptedTurn.Call("launch_process", new { system_prompt = LeaseTask, robots = new[] { "reachy-mini" } }), ScriptedTurn.Say("A worker holds the head."));
        stack.Llm.When(r => r.SystemPrompt.Contains(LeaseTask, StringComparison.Ordinal), new ScriptedTurn { Text = "Held.", Gate = release.Task });
        stack.Llm.When(r => IsKernel(r) && r.LastUserText.Contains(LeaseTask, StringComparison.Ordinal), ScriptedTurn.Say("The worker is done."));
        stack.Llm.When(r => IsKernel(r) && r.LastUserText == "who holds the robots", ScriptedTurn.Call("get_processes", new { }), ScriptedTurn.Say("Checked."));
        stack.Llm.When(r => IsKernel(r) && r.LastUserText == "who holds the robots now", ScriptedTurn.Call("get_processes", new { }), ScriptedTurn.Say("Checked again."));
        var page = await stack.Browser.NewPageAsync();
        await page.GotoAsync(stack.KernelUrl);
        await Assertions.Expect(page.Locator("#stream-state")).ToHaveTextAsync("events: live", new() { Timeout = 30_000 });
        var row = page.Locator("#lease-list li", new() { HasText = "reachy-mini:" });
        await Assertions.Expect(row).ToContainTextAsync("reachy-mini: free", new() { Timeout = 30_000 });

        // A worker launched for the Reachy holds its lease: the page names it.
        await page.FillAsync("#chat-input", "hold the head still");
        await page.ClickAsync("#chat-send");
        await Assertions.Expect(page.Locator("#chat-log li.robot", new() { HasText = "A worker holds the head." })).ToBeVisibleAsync(s_visible);
        var workerId = (await stack.Http.GetFromJsonAsync<JsonObject>($"{stack.KernelUrl}api/processes", Ct))!["running"]!.AsArray()
            .Single(p => p!["system_prompt"]!.ToString() == LeaseTask)!["worker_id"]!.ToString();
        await Assertions.Expect(row).ToContainTextAsync($"reachy-mini: worker {workerId}", new() { Timeout = 30_000 });
        await Assertions.Expect(row).ToHaveClassAsync("lease-worker");
        // The kernel agent learns it from get_processes.
        await stack.Http.PostAsJsonAsync(new Uri($"{stack.KernelUrl}chat"), new { prompt = "who holds the robots" }, Ct);
        Assert.Contains("\"reachy-mini\":\"holds it\"", await GetProcessesResultAsync("who holds the robots"), StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "lease-worker");

        // A person takes control in the page: the page, the driver and get_processes say so, and the worker's motion is refused naming the person.
        await row.GetByRole(AriaRole.Button, new() { Name = "Take control" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync("reachy-mini: a person (manual control)", new() { Timeout = 30_000 });
        await Poll.UntilAsync(async () => (await stack.Http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{stack.ReachyPort}/lease", Ct))!["holder"]?.ToString()
            == "person", "the Reachy to learn a person holds it", TestTimeouts.Effect);
        await using (var worker = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{stack.ReachyPort}/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { [LeaseHeader] = workerId },
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct))
        {
            // Refused by the lease before any approval is asked (goto_target is gated in this stack).
            var refused = await worker.CallToolAsync("goto_target", new Dictionary<string, object?> { ["head_yaw"] = 10, ["duration"] = 0.5 }, cancellationToken: Ct);
            Assert.True(refused.IsError);
            Assert.Contains("reachy-mini is held by a person", Text(refused), StringComparison.Ordinal);
            Assert.Empty((await stack.Http.GetFromJsonAsync<JsonObject>($"{stack.KernelUrl}api/approvals", Ct))!["pending"]!.AsArray());
        }
        await stack.Http.PostAsJsonAsync(new Uri($"{stack.KernelUrl}chat"), new { prompt = "who holds the robots now" }, Ct);
        Assert.Contains("\"reachy-mini\":\"waiting: a person has taken control\"", await GetProcessesResultAsync("who holds the robots now"), StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "lease-person");

        // Give back: the worker that waited at the head of the line holds it again; when it ends, nobody does.
        await row.GetByRole(AriaRole.Button, new() { Name = "Give back" }).ClickAsync();
        await Assertions.Expect(row).ToContainTextAsync($"reachy-mini: worker {workerId}", new() { Timeout = 30_000 });
        release.SetResult();
        await Assertions.Expect(row).ToContainTextAsync("reachy-mini: free", new() { Timeout = 60_000 });
        var audit = await stack.Http.GetStringAsync(new Uri($"{stack.KernelUrl}api/audit?limit=50"), Ct);
        Assert.Contains("take_control", audit, StringComparison.Ordinal);
        Assert.Contains("return_control", audit, StringComparison.Ordinal);
    }

    /// <summary>The text of get_processes's result the kernel model was given after <paramref name="userText"/>.</summary>
    private async Task<string> GetProcessesResultAsync(string userText)
    {
        string? text = null;
        await Poll.UntilAsync(() =>
        {
            text = stack.Llm.ChatRequests.Where(r => IsKernel(r) && r.LastUserText == userText && r.Messages.Count > 0 && r.Messages[^1].Role == "tool")
                .Select(r => r.Messages[^1].Text).FirstOrDefault();
            return Task.FromResult(text is not null);
        }, $"the kernel model to see get_processes after '{userText}'", TestTimeouts.Effect);
        return text!;
    }

    private static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}

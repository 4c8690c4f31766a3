using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>
/// A page opened after the fact (a reload, another browser) draws what happened before from the kernel's database:
/// the conversation, what the robot said, the finished process with its tool call, and the turn's breakdown; also
/// after the kernel restarted, and without drawing anything twice when the live stream delivers the same items.
/// </summary>
public sealed class HistoryUiTests(UiStackFixture stack) : IClassFixture<UiStackFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions s_visible = new() { Timeout = 30_000 };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_page_opened_after_a_turn_shows_its_conversation_process_tool_call_and_breakdown_also_after_a_kernel_restart()
    {
        const string Prompt = "greet the visitor at the door for me";
        const string Task = "Greet the visitor at the door out loud.";
        stack.Llm.When(r => IsKernel(r) && r.LastUserText == Prompt, ScriptedTurn.Call("launch_process", new { system_prompt = Task, robots = new[] { "reachy-mini" } }));
        stack.Llm.When(r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "tool" && r.Messages.Any(m => m.Text == Prompt),
            ScriptedTurn.Say("A worker is greeting the visitor."));
        stack.Llm.When(r => r.SystemPrompt.Contains(Task, StringComparison.Ordinal),
            ScriptedTurn.Call("speak", new { text = "Welcome, dear visitor!" }), ScriptedTurn.Say("I greeted the visitor."));
        stack.Llm.When(r => IsKernel(r) && r.LastUserText.Contains("I greeted the visitor.", StringComparison.Ordinal), ScriptedTurn.Say("The visitor was greeted."));
        var data = TestPaths.NewTempDirectory("data");
        // Port 0 at the first start; the restart takes the port it got, so the open page finds the kernel at its origin again.
        var kernel = await stack.StartKernelAsync(0, stack.Llm, data);
        var port = (await kernel.WaitForListeningAsync("kernel")).Port;
        var kernelUrl = $"http://127.0.0.1:{port}/";
        try
        {
            // A page open through the turn draws it live.
            var live = await OpenAsync(kernelUrl);
            using (var response = await stack.Http.PostAsJsonAsync($"{kernelUrl}chat", new { prompt = Prompt }, Ct))
            {
                Assert.Equal("A worker is greeting the visitor.", (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!["output"]!.GetValue<string>());
            }
            var process = await Poll.ForAsync(async () => (await stack.Http.GetFromJsonAsync<JsonObject>($"{kernelUrl}api/processes", Ct))!["all"]!.AsArray()
                .Select(p => p!.AsObject()).FirstOrDefault(p => p["system_prompt"]!.GetValue<string>() == Task), p => p?["state"]?.GetValue<string>() == "done",
                "the worker to finish", TestTimeouts.Effect);
            var workerId = process!["worker_id"]!.GetValue<string>();
            // The turn's breakdown holds the worker's speak call once its spans reach the kernel.
            var traceId = await Poll.ForAsync(async () => TraceWithSpeak(await stack.Http.GetFromJsonAsync<JsonObject>($"{kernelUrl}api/turns?limit=20", Ct)),
                t => t is not null, "the turn's breakdown with the worker's speak call", TestTimeouts.Effect);
            await Assertions.Expect(live.Locator("#chat-log li.robot", new() { HasText = "The visitor was greeted." })).ToBeVisibleAsync(s_visible);

            // A page opened now draws it from the database.
            await ExpectHistoryAsync(await OpenAsync(kernelUrl), workerId, traceId!);

            // The kernel restarts: a new page still shows it, and the open page, which reloads the history when its stream
            // reconnects, shows every item once.
            var reloaded = live.WaitForResponseAsync(r => r.Url.Contains("/api/history", StringComparison.Ordinal), new() { Timeout = 60_000 });
            await kernel.DisposeAsync();
            await Assertions.Expect(live.Locator("#stream-state")).ToHaveTextAsync("events: reconnecting", new() { Timeout = 30_000 });
            kernel = await stack.StartKernelAsync(port, stack.Llm, data);
            await ExpectHistoryAsync(await OpenAsync(kernelUrl), workerId, traceId!);
            await reloaded;
            await ExpectHistoryAsync(live, workerId, traceId!);
        }
        finally
        {
            await kernel.DisposeAsync();
        }
    }

    private static async Task ExpectHistoryAsync(IPage page, string workerId, string traceId)
    {
        // Each conversation line once: the user, the kernel's answers, and what the robot said.
        await ExpectOnceAsync(page.Locator("#chat-log li.user", new() { HasText = "greet the visitor at the door for me" }));
        await ExpectOnceAsync(page.Locator("#chat-log li.robot", new() { HasText = "A worker is greeting the visitor." }));
        await ExpectOnceAsync(page.Locator("#chat-log li.said", new() { HasText = "Welcome, dear visitor!" }));
        await ExpectOnceAsync(page.Locator("#chat-log li.robot", new() { HasText = "The visitor was greeted." }));
        // The finished process, its outcome and its tool call.
        var process = page.Locator($"#finished-processes li[data-worker-id='{workerId}']");
        await ExpectOnceAsync(process);
        await Assertions.Expect(process).ToHaveAttributeAsync("data-state", "done");
        await Assertions.Expect(process.Locator(".outcome")).ToContainTextAsync("reported success");
        await ExpectOnceAsync(process.Locator(".tool-call", new() { HasText = "speak" }));
        await Assertions.Expect(process.Locator(".tool-call")).ToContainTextAsync("Welcome, dear visitor!");
        // The activity lists the launch, the call and the end once each.
        await ExpectOnceAsync(page.Locator("#activity li[data-kind=process_launched]", new() { HasText = "Greet the visitor at the door" }));
        await ExpectOnceAsync(page.Locator("#activity li[data-kind=tool_call]", new() { HasText = "Welcome, dear visitor!" }));
        await ExpectOnceAsync(page.Locator("#activity li[data-kind=process_finished]", new() { HasText = "Greet the visitor at the door" }));
        // The turn's breakdown, with the worker's speak call in it.
        var turn = page.Locator($"#turns li.turn[data-trace-id='{traceId}']");
        await Assertions.Expect(turn).ToBeVisibleAsync(s_visible);
        await Assertions.Expect(turn).ToContainTextAsync("tool call speak");
        // The chat reads in time order: the user's words first, the kernel's first answer after them, the callback's answer after the
        // words spoken (the worker may speak before or after the kernel's first answer: they run side by side).
        var lines = (await page.Locator("#chat-log li").AllTextContentsAsync()).ToList();
        int At(string text) => lines.FindIndex(l => l.Contains(text, StringComparison.Ordinal));
        var (user, answer, said, callback) = (At("greet the visitor at the door for me"), At("A worker is greeting the visitor."), At("Welcome, dear visitor!"), At("The visitor was greeted."));
        Assert.True(user >= 0 && user < answer && user < said && said < callback, $"chat lines out of order: {string.Join(" | ", lines)}");
    }

    private static async Task ExpectOnceAsync(ILocator locator)
    {
        await Assertions.Expect(locator.First).ToBeVisibleAsync(s_visible);
        await Assertions.Expect(locator).ToHaveCountAsync(1);
    }

    private async Task<IPage> OpenAsync(string url)
    {
        var page = await stack.Browser.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("#stream-state")).ToHaveTextAsync("events: live", new() { Timeout = 30_000 });
        return page;
    }

    private static string? TraceWithSpeak(JsonObject? turns)
        => turns?["turns"]?.AsArray().Select(t => t!.AsObject()).FirstOrDefault(t => t["spans"]!.AsArray()
            .Any(s => s!["name"]!.GetValue<string>() == "tool.call" && s["attributes"]?["tool"]?.GetValue<string>() == "speak"))?["trace_id"]?.GetValue<string>();

    private static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);
}

using System.Text.Json;
using ModelContextProtocol.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>Workers that die, hang or are terminated never lose their task; the process manager's MCP server.</summary>
public sealed class SupervisionTests
{
    [Fact]
    public async Task Worker_killed_with_sigkill_mid_task_produces_a_failure_callback_and_the_pool_recovers()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("patrol"), ScriptedTurn.Call("launch_process", new { system_prompt = "Patrol the room." }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("patrol launched"));
        llm.When(WorkerOn("Patrol the room."), ScriptedTurn.Say("never").After(never.Task));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("the patrol worker died"));
        await using var kernel = await KernelHarness.StartAsync(llm);
        await kernel.WaitForPoolAsync();

        await kernel.ChatAsync("patrol");
        await llm.WaitForRequestAsync(WorkerOn("Patrol the room."));
        var worker = Assert.Single(await kernel.RunningAsync());
        var pid = worker.GetProperty("pid").GetInt32();
        var workerId = worker.GetProperty("worker_id").GetString();
        // Process.Kill sends SIGKILL on Linux: no chance for the worker to report anything.
        using (var victim = System.Diagnostics.Process.GetProcessById(pid))
        {
            victim.Kill();
        }

        var callback = await llm.WaitForRequestAsync(KernelOn("[Worker callback]"));
        Assert.Contains("Task was not successful. System prompt: Patrol the room.", callback.LastUserText, StringComparison.Ordinal);
        Assert.Contains("killed by signal 9", callback.LastUserText, StringComparison.Ordinal);
        Assert.EndsWith($"(worker_id={workerId}, done=False).", callback.LastUserText, StringComparison.Ordinal);
        await kernel.WaitForUpdateAsync(m => m == "the patrol worker died");
        var processes = await kernel.GetJsonAsync("/api/processes");
        Assert.Equal("failed", processes.GetProperty("all").EnumerateArray().Single(p => p.GetProperty("worker_id").GetString() == workerId).GetProperty("state").GetString());
        await Poll.UntilAsync(async () =>
        {
            var pids = (await kernel.GetJsonAsync("/api/processes")).GetProperty("pool_pids").EnumerateArray().Select(p => p.GetInt32()).ToList();
            return pids.Count == 2 && !pids.Contains(pid);
        }, "the pool replacing the killed worker");
        never.SetResult();
    }

    [Fact]
    public async Task Worker_hanging_past_the_time_limit_is_killed_and_reported()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("wait forever"), ScriptedTurn.Call("launch_process", new { system_prompt = "Wait forever." }));
        llm.When(KernelAfterTool, ScriptedTurn.Say("launched"));
        llm.When(WorkerOn("Wait forever."), ScriptedTurn.Say("never").After(never.Task));
        llm.When(KernelOn("[Worker callback]"), ScriptedTurn.Say("timed out"));
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0", "--task-timeout", "3"]);

        await kernel.ChatAsync("wait forever");
        var worker = Assert.Single(await kernel.RunningAsync());
        var pid = worker.GetProperty("pid").GetInt32();

        var callback = await llm.WaitForRequestAsync(KernelOn("[Worker callback]"));
        Assert.Contains("exceeded the time limit of 3 s", callback.LastUserText, StringComparison.Ordinal);
        await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), "the hung worker process to be gone");
        never.SetResult();
    }

    [Fact]
    public async Task Terminate_needs_force_for_pool_workers_and_frees_the_slot_over_http_and_mcp()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("two jobs"), ScriptedTurn.Calls(("launch_process", new { system_prompt = "job one" }), ("launch_process", new { system_prompt = "job two" })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("launched"));
        llm.Fallback = ScriptedTurn.Say("never").After(never.Task);
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "1"]);
        await kernel.WaitForPoolAsync(1);

        await kernel.ChatAsync("two jobs");
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(IsWorker) == 2), "both workers running");
        var running = await kernel.RunningAsync();
        var pooled = running.Single(p => p.GetProperty("kind").GetString() == "pool");
        var oneOff = running.Single(p => p.GetProperty("kind").GetString() == "one-off");

        var (status, refused) = await kernel.PostJsonAsync($"/api/processes/{pooled.GetProperty("worker_id").GetString()}/terminate", "{}");
        Assert.Equal(200, status);
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.Contains("Use force=True", refused.GetProperty("result").GetString(), StringComparison.Ordinal);
        var (_, forced) = await kernel.PostJsonAsync($"/api/processes/{pooled.GetProperty("worker_id").GetString()}/terminate", """{"force":true}""");
        Assert.True(forced.GetProperty("ok").GetBoolean());
        Assert.Contains("job one", forced.GetProperty("result").GetString() + forced.GetProperty("result").GetString(), StringComparison.Ordinal);

        await using var mcp = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{kernel.ProcessPort}/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);
        var tools = await mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(["get_processes", "launch_process", "terminate_process"], tools.Select(t => t.Name).Order());
        var list = await mcp.CallToolAsync("get_processes", new Dictionary<string, object?>(), cancellationToken: TestContext.Current.CancellationToken);
        var listed = ((ModelContextProtocol.Protocol.TextContentBlock)list.Content[0]).Text;
        Assert.Contains(oneOff.GetProperty("worker_id").GetString()!, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(pooled.GetProperty("worker_id").GetString()!, listed, StringComparison.Ordinal);

        var done = await mcp.CallToolAsync("terminate_process", new Dictionary<string, object?> { ["worker_id"] = oneOff.GetProperty("worker_id").GetString() },
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains("terminated successfully", ((ModelContextProtocol.Protocol.TextContentBlock)done.Content[0]).Text, StringComparison.Ordinal);
        var pid = oneOff.GetProperty("pid").GetInt32();
        await Poll.UntilAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}") || File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal)), "the one-off worker to be gone");
        Assert.Empty(await kernel.RunningAsync());
        var missing = await mcp.CallToolAsync("terminate_process", new Dictionary<string, object?> { ["worker_id"] = "nope" }, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Process not found.", ((ModelContextProtocol.Protocol.TextContentBlock)missing.Content[0]).Text);
        // Terminated tasks do not call back: the kernel asked for it.
        Assert.DoesNotContain(llm.ChatRequests, r => KernelOn("[Worker callback]")(r));
        never.SetResult();
    }

    [Fact]
    public async Task Emergency_stop_terminates_every_worker()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("go"), ScriptedTurn.Calls(("launch_process", new { system_prompt = "a" }), ("launch_process", new { system_prompt = "b" })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("launched"));
        llm.Fallback = ScriptedTurn.Say("never").After(never.Task);
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);
        await kernel.ChatAsync("go");
        Assert.Equal(2, (await kernel.RunningAsync()).Length);

        var (status, body) = await kernel.PostJsonAsync("/api/estop", "{}");

        Assert.Equal(200, status);
        Assert.Equal(2, body.GetProperty("terminated").GetArrayLength());
        Assert.Empty(await kernel.RunningAsync());
        never.SetResult();
    }

    [Fact]
    public async Task Limits_refuse_with_a_reason_the_model_can_act_on()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("too much"), ScriptedTurn.Calls(
            ("launch_process", new { system_prompt = "first" }),
            ("launch_process", new { system_prompt = "second" }),
            ("launch_process", new { system_prompt = new string('x', 20_001) }),
            ("launch_process", new { system_prompt = "" })));
        llm.When(KernelAfterTool, ScriptedTurn.Say("ok"));
        llm.Fallback = ScriptedTurn.Say("never").After(never.Task);
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0", "--max-workers", "1"]);

        await kernel.ChatAsync("too much");

        var results = llm.ChatRequests.First(KernelAfterTool).Messages.Where(m => m.Role == "tool").Select(m => m.Text).ToList();
        Assert.Equal(4, results.Count);
        Assert.Contains("Worker launched successfully", results[0], StringComparison.Ordinal);
        Assert.Contains("Refused: 1 workers are already running (limit 1)", results[1], StringComparison.Ordinal);
        Assert.Contains("over the limit of 20000", results[2], StringComparison.Ordinal);
        Assert.Contains("Refused: system_prompt is empty", results[3], StringComparison.Ordinal);
        Assert.Single(await kernel.RunningAsync());
        never.SetResult();
    }
}

using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Ui.Tests;

/// <summary><c>./rosa up</c> as a newcomer runs it: fresh data folder, no LLM, then chat, status, a crash, and Ctrl-C.</summary>
public sealed class UpTests
{
    private const int SigInt = 2;

    [Fact]
    public async Task Up_OnAFreshMachineWithoutLlm_ServesEverything_RestartsACrashedChild_AndCtrlCLeavesNoProcess()
    {
        var (sim, reachy, kernel, processes, closedLlm) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        var data = Path.Combine(TestPaths.NewTempDirectory("up"), "data");
        var environment = new Dictionary<string, string?>
        {
            ["ROSAOS_CONFIG_DIR"] = TestConfig.CopyWithReachyPort(reachy),
            ["ROSAOS_DATA_DIR"] = data,
            ["REACHY_MCP_PORT"] = reachy.ToString(),
            ["RAG_AGENT_PORT"] = kernel.ToString(),
            ["PROCESS_SERVER_PORT"] = processes.ToString(),
            ["LOCAL_LLM_PORT"] = closedLlm.ToString(),
        };
        await using var up = RosaProcess.StartRosa(["up", "--sim-port", sim.ToString(), "--no-ros", "--max-restarts", "2"], environment);

        await up.WaitForLineAsync(l => l.Contains("rosaOS is up.", StringComparison.Ordinal), TimeSpan.FromSeconds(120));
        await up.WaitForLineAsync(l => l.Contains("Press Ctrl-C", StringComparison.Ordinal));
        Assert.Contains($"http://127.0.0.1:{kernel}/", up.Output, StringComparison.Ordinal);
        Assert.Contains($"http://127.0.0.1:{reachy}/mcp", up.Output, StringComparison.Ordinal);
        var llmLine = up.Lines.Single(l => l.TrimStart().StartsWith("LLM ", StringComparison.Ordinal));
        Assert.Matches("(?i)no llm|none|not configured|unavailable", llmLine);
        Assert.True(File.Exists(Path.Combine(data, "logs", "kernel.log")), "the kernel's log is written under data/logs");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var port in new[] { sim, reachy, kernel })
        {
            var health = await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{port}/health", TestContext.Current.CancellationToken);
            Assert.Equal("ok", (string?)health!["status"]);
        }
        Assert.Equal(200, (int)(await http.GetAsync($"http://127.0.0.1:{kernel}/", TestContext.Current.CancellationToken)).StatusCode);

        // rosa status: one line per service, all up, exit 0.
        await using (var status = RosaProcess.StartRosa(["status", "--data-dir", data], environment))
        {
            Assert.Equal(0, await status.WaitForExitAsync(TestTimeouts.Effect));
            foreach (var name in new[] { "robot", "reachy", "kernel" })
            {
                Assert.Contains(status.Lines, l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(" up ", StringComparison.Ordinal));
            }
        }

        // rosa chat in a pipe: the reply to a message, then a clean exit at end of input.
        await using (var chat = RosaProcess.StartRosa(["chat", "--base-url", $"http://127.0.0.1:{kernel}", "--no-poll"], environment))
        {
            await chat.WriteLineAsync("hello robot");
            chat.CloseInput();
            Assert.Equal(0, await chat.WaitForExitAsync(TestTimeouts.Effect));
            var reply = Assert.Single(chat.Lines, l => l.StartsWith("Robot: ", StringComparison.Ordinal));
            Assert.Matches("(?i)no llm", reply);
            Assert.DoesNotContain(chat.Lines, l => l.StartsWith("You:", StringComparison.Ordinal));
        }

        // A child that dies is reported and restarted.
        var simPid = (int)(await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{sim}/health", TestContext.Current.CancellationToken))!["pid"]!;
        using (var victim = System.Diagnostics.Process.GetProcessById(simPid))
        {
            victim.Kill(); // SIGKILL: a crash, not a shutdown
        }
        await up.WaitForLineAsync(l => l.Contains("sim exited unexpectedly", StringComparison.Ordinal), TestTimeouts.Effect);
        var restarted = await Poll.ForAsync(
            async () => { try { return (int?)(await http.GetFromJsonAsync<JsonObject>($"http://127.0.0.1:{sim}/health", TestContext.Current.CancellationToken))!["pid"]; } catch (HttpRequestException) { return null; } },
            pid => pid is not null && pid != simPid, "the simulated robot to come back", TestTimeouts.Effect);
        Assert.NotEqual(simPid, restarted);

        var stack = StackProcesses.Of(up.Id);
        Assert.True(stack.Count >= 3, $"expected sim, reachy and kernel under rosa up, found {stack.Count}");

        // Ctrl-C: everything stops, in order, and nothing of the stack survives.
        up.Signal(SigInt);
        Assert.Equal(0, await up.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(up.Lines, l => l.Contains("[up     ] stopped.", StringComparison.Ordinal));
        await Poll.UntilAsync(() => Task.FromResult(StackProcesses.Of(up.Id).Count == 0), "every process of the stack to exit", TestTimeouts.Shutdown);
        Assert.False(File.Exists(Path.Combine(data, "run", "up.json")), "the run file is removed on stop");

        await using var after = RosaProcess.StartRosa(["status", "--data-dir", data], environment);
        Assert.NotEqual(0, await after.WaitForExitAsync(TestTimeouts.Effect));
        Assert.Contains(after.Lines, l => l.StartsWith("kernel", StringComparison.Ordinal) && l.Contains(" down ", StringComparison.Ordinal));
    }
}

using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>
/// <c>./rosa up</c> with the shipped drivers.json and a .env holding secrets, as a switching user runs it: it says which file
/// it read and which keys it took, starts only what the config switches on and says why the rest is off, no process of
/// the stack talks to anything off this machine, the kernel (and so its workers) inherit the .env, and no secret value
/// appears in a log, /health, the event stream or the UI.
/// </summary>
public sealed class ShippedConfigTests
{
    private const int SigInt = 2;

    [Fact]
    public async Task Up_with_the_shipped_config_and_a_dotenv_stays_on_this_machine_and_never_shows_a_secret()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("Hello from the kernel.");
        var (sim, reachy, kernel, processes) = (FreePort.Next(), FreePort.Next(), FreePort.Next(), FreePort.Next());
        var (turtlebot, rosbridge) = (FreePort.Next(), FreePort.Next());
        var apiKey = "gsk_SECRET_" + Guid.NewGuid().ToString("N");
        var other = "other-SECRET-" + Guid.NewGuid().ToString("N");
        var workdir = TestPaths.NewTempDirectory("upenv");
        var data = Path.Combine(workdir, "data");
        await File.WriteAllTextAsync(Path.Combine(workdir, ".env"), $"""
            # what a Python rosaOS user keeps in .env
            export GROQ_API_KEY="{apiKey}"
            GROQ_BASE_URL={llm.GroqBaseUrl}   # the stand-in for Groq
            ROSA_TEST_TOKEN='{other}'
            RAG_AGENT_PORT=1
            """, ct);
        var environment = new Dictionary<string, string?>
        {
            ["ROSAOS_CONFIG_DIR"] = TestConfig.CopyShipped(reachy, turtlebot, rosbridge),
            ["ROSAOS_DATA_DIR"] = data,
            ["REACHY_MCP_PORT"] = reachy.ToString(CultureInfo.InvariantCulture),
            ["RAG_AGENT_PORT"] = kernel.ToString(CultureInfo.InvariantCulture),
            ["PROCESS_SERVER_PORT"] = processes.ToString(CultureInfo.InvariantCulture),
            ["LOCAL_LLM_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
            // As a user runs it: .env loading on, and the Hub not switched off (the checkout's emotions are local anyway).
            ["PYTHON_DOTENV_DISABLED"] = null,
            ["HF_HUB_OFFLINE"] = null,
        };
        await using var up = RosaProcess.StartRosa(["up", "--sim-port", sim.ToString(CultureInfo.InvariantCulture)], environment, workdir);
        await up.WaitForLineAsync(l => l.Contains("Press Ctrl-C", StringComparison.Ordinal), TimeSpan.FromSeconds(120));

        // Which file, which keys (names only), and that the real environment won for RAG_AGENT_PORT.
        Assert.Contains(up.Lines, l => l.Contains($"read {Path.Combine(workdir, ".env")}: took GROQ_API_KEY, GROQ_BASE_URL, ROSA_TEST_TOKEN; already set in the environment, kept: RAG_AGENT_PORT", StringComparison.Ordinal));
        // Which drivers started, which are off and why.
        Assert.Contains(up.Lines, l => l.Contains("reachy-mini", StringComparison.Ordinal) && l.Contains("started: rosa reachy", StringComparison.Ordinal));
        // Two robots: the shipped turtlebot is the simulated ROS 2 TurtleBot 4 (`rosa rossim`) behind its own `rosa ros`.
        Assert.Contains(up.Lines, l => l.Contains("turtlebot", StringComparison.Ordinal) && l.Contains("started: rosa ros", StringComparison.Ordinal));
        Assert.Contains(up.Lines, l => l.Contains($"simulated ROS 2 TurtleBot 4 (rosa rossim) on ws://127.0.0.1:{rosbridge}", StringComparison.Ordinal));
        using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
        {
            await Poll.UntilAsync(async () => (await probe.GetStringAsync($"http://127.0.0.1:{turtlebot}/health", ct)).Contains("\"connected\":true", StringComparison.Ordinal),
                "the turtlebot's rosa ros to reach the simulated robot");
        }
        foreach (var name in new[] { "dog" })
        {
            Assert.Contains(up.Lines, l => l.Contains($"  {name} ", StringComparison.Ordinal) && l.Contains("disabled: \"enabled\": false in", StringComparison.Ordinal));
        }
        Assert.Contains(up.Lines, l => l.Contains("  Kasa Lightbulb Controller ", StringComparison.Ordinal) && l.Contains("started: rosa kasa --sim", StringComparison.Ordinal));
        Assert.DoesNotContain(up.Lines, l => l.Contains("connects off this machine", StringComparison.Ordinal));
        Assert.Contains(up.Lines, l => l.TrimStart().StartsWith("Not started", StringComparison.Ordinal) && l.Contains("dog", StringComparison.Ordinal));

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var kernelUrl = $"http://127.0.0.1:{kernel}";
        var events = new StringBuilder();
        using var stopEvents = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reading = ReadEventsAsync(new Uri($"{kernelUrl}/api/events"), events, stopEvents.Token);

        // The kernel inherited the .env: its Groq calls carry the key (the one place it belongs).
        using (var chat = await http.PostAsJsonAsync($"{kernelUrl}/chat", new { prompt = "hello" }, ct))
        {
            Assert.Contains("Hello from the kernel.", await chat.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }
        Assert.Contains(llm.ChatRequests, r => r.Headers.TryGetValue("authorization", out var auth) && auth == "Bearer " + apiKey);

        // No process of the stack (rosa up, sim, reachy, kernel, its workers) has a TCP peer off this machine.
        var stack = StackProcesses.Of(up.Id).Append(up.Id).ToList();
        Assert.True(stack.Count >= 4, $"expected rosa up, sim, reachy, rossim, ros and kernel, found {stack.Count} processes");
        Assert.True(StackSockets.SocketCount(stack) > 0, "the stack holds no sockets at all: the check would prove nothing");
        Assert.Empty(StackSockets.OffMachinePeers(stack));

        // The secrets appear nowhere a person or another program can read them.
        var seen = new StringBuilder(up.Output);
        foreach (var port in new[] { sim, reachy, kernel, turtlebot, rosbridge })
        {
            seen.Append(await http.GetStringAsync($"http://127.0.0.1:{port}/health", ct));
        }
        foreach (var path in new[] { "/", "/ui/app.js", "/ui/leases.js", "/api/leases", "/ui/config.json", "/api/drivers", "/api/processes", "/api/audit", "/updates" })
        {
            seen.Append(await http.GetStringAsync(kernelUrl + path, ct));
        }
        await Poll.UntilAsync(() => Task.FromResult(Snapshot(events).Contains("Hello from the kernel.", StringComparison.Ordinal)), "the kernel's reply on the event stream");
        seen.Append(Snapshot(events));
        foreach (var log in Directory.GetFiles(Path.Combine(data, "logs")))
        {
            using var reader = new StreamReader(new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            seen.Append(await reader.ReadToEndAsync(ct));
        }
        var everything = seen.ToString();
        Assert.Contains("GROQ_API_KEY", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(other, everything, StringComparison.Ordinal);

        Assert.Empty(StackSockets.OffMachinePeers(StackProcesses.Of(up.Id).Append(up.Id)));
        await stopEvents.CancelAsync();
        await reading;
        up.Signal(SigInt);
        Assert.Equal(0, await up.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private static string Snapshot(StringBuilder events)
    {
        lock (events)
        {
            return events.ToString();
        }
    }

    private static async Task ReadEventsAsync(Uri uri, StringBuilder events, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        try
        {
            using var stream = await http.GetStreamAsync(uri, cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                lock (events)
                {
                    events.AppendLine(line);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}

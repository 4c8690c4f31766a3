using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The rosaOS stack around one ROS robot, all real processes on free ports: `rosa sim` + `rosa reachy`,
/// `rosa ros --name turtlebot` reading the same config folder as `rosa kernel` (which runs its own
/// `rosa worker` processes), and one data folder for all of them. Only the LLM is scripted (as Groq).
/// The kernel bits follow tests/RosaOS.Kernel.Tests/KernelHarness.cs, which this project cannot reference.
/// </summary>
internal sealed class KernelStack : IAsyncDisposable
{
    private const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";
    private readonly List<RosaProcess> _processes = [];

    private KernelStack()
    {
    }

    public string DataDir { get; } = TestPaths.NewTempDirectory("stackdata");

    public string ConfigDir { get; } = TestPaths.NewTempDirectory("stackcfg");

    public int KernelPort { get; } = FreePort.Next();

    public int RosPort { get; } = FreePort.Next();

    public RosaProcess Kernel { get; private set; } = null!;

    public RosaProcess Ros { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Starts Reachy (simulated), the turtlebot's `rosa ros` on <paramref name="rosbridge"/>, then the kernel, and waits for its pool.</summary>
    public static async Task<KernelStack> StartAsync(Uri rosbridge, ScriptedLlmServer llm)
    {
        var stack = new KernelStack();
        try
        {
            await stack.StartAllAsync(rosbridge, llm);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(Uri rosbridge, ScriptedLlmServer llm)
    {
        var env = new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = DataDir, ["ROSAOS_CONFIG_DIR"] = ConfigDir };
        var simPort = FreePort.Next();
        var reachyPort = FreePort.Next();
        StackConfig.Write(ConfigDir, reachyPort, RosPort, rosbridge);

        var sim = Track(RosaProcess.StartRosa(["sim", "--port", Str(simPort), "--dataset", $"{EmotionsDataset}={TestPaths.EmotionsLibrary}"], env));
        // `rosa ros` reads its rosbridge, port and safety from the config folder's drivers.json, as under `rosa up`.
        Ros = Track(RosaProcess.StartRosa(["ros", "--name", "turtlebot"], env));
        await sim.WaitForHttpAsync($"http://127.0.0.1:{simPort}/api/daemon/status");
        var reachy = Track(RosaProcess.StartRosa(["reachy", "--port", Str(reachyPort), "--daemon", $"http://127.0.0.1:{simPort}"], env));
        await reachy.WaitForHttpAsync($"http://127.0.0.1:{reachyPort}/health");
        await Ros.WaitForHttpAsync($"http://127.0.0.1:{RosPort}/health");
        using (var probe = new HttpClient())
        {
            await Poll.UntilAsync(async () => JsonNode.Parse(await probe.GetStringAsync(new Uri($"http://127.0.0.1:{RosPort}/health")))!["connected"]!.GetValue<bool>(),
                "rosa ros to connect to rosbridge");
        }

        // The kernel probes its drivers once at start, so the robots' servers are up before it.
        var kernelEnv = new Dictionary<string, string?>(env)
        {
            ["LOCAL_LLM_PORT"] = Str(FreePort.Next()),
            ["GROQ_API_KEY"] = "gsk_test",
            ["GROQ_BASE_URL"] = llm.GroqBaseUrl,
        };
        Kernel = Track(RosaProcess.StartRosa(["kernel", "--port", Str(KernelPort), "--process-port", Str(FreePort.Next())], kernelEnv));
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{KernelPort}"), Timeout = TimeSpan.FromSeconds(60) };
        await Kernel.WaitForHttpAsync($"http://127.0.0.1:{KernelPort}/health");
        await Poll.UntilAsync(() => Task.FromResult(Kernel.Lines.Count(l => l.Contains("worker ready (pool", StringComparison.Ordinal)) >= 2), "2 pool workers");
    }


    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var text = await Http.GetStringAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<string> ChatAsync(string prompt)
    {
        using var response = await Http.PostAsJsonAsync(new Uri("/chat", UriKind.Relative), new { prompt }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return body.GetProperty("output").GetString()!;
    }

    /// <summary>Collects /updates (drained on read) until one message satisfies <paramref name="accept"/>.</summary>
    public async Task<List<string>> WaitForUpdateAsync(Func<string, bool> accept)
    {
        var seen = new List<string>();
        await Poll.UntilAsync(async () =>
        {
            var body = await GetJsonAsync("/updates");
            seen.AddRange(body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()!));
            return seen.Any(accept);
        }, "an update", interval: TimeSpan.FromMilliseconds(100));
        return seen;
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        // Kernel first (its workers hold MCP sessions to the robots' servers), then the servers.
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        foreach (var dir in new[] { DataDir, ConfigDir })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private RosaProcess Track(RosaProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Who is asking the scripted LLM (as in the kernel's tests).</summary>
internal static class Asker
{
    public static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);

    public static bool IsWorker(RecordedRequest r) => r.SystemPrompt.Contains("You are a process", StringComparison.Ordinal);

    /// <summary>The kernel's first request for an event whose text starts with <paramref name="text"/>.</summary>
    public static Func<RecordedRequest, bool> KernelOn(string text)
        => r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "user" && r.LastUserText.StartsWith(text, StringComparison.Ordinal);

    /// <summary>The kernel's follow-up request after a tool result.</summary>
    public static bool KernelAfterTool(RecordedRequest r) => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "tool";

    /// <summary>A worker whose task contains <paramref name="text"/>.</summary>
    public static Func<RecordedRequest, bool> WorkerOn(string text) => r => IsWorker(r) && r.SystemPrompt.Contains(text, StringComparison.Ordinal);
}

using System.Net.Http.Json;
using System.Text.Json;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The rosaOS stack around one ROS robot, all real processes on port 0 (<see cref="TestStack"/>): `rosa sim` + `rosa reachy`,
/// `rosa ros --name turtlebot` on the given rosbridge, `rosa kernel` with two pool workers, one config and one data folder for all
/// of them as under `rosa up`. Only the LLM is scripted (as Groq).
/// </summary>
internal sealed class KernelStack : IAsyncDisposable
{
    private readonly TestStack _stack;

    private KernelStack(TestStack stack)
    {
        _stack = stack;
        Http = new HttpClient { BaseAddress = new Uri(stack.KernelUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public string DataDir => _stack.DataDirectory!;

    /// <summary>`rosa ros`'s base URL.</summary>
    public string RosUrl => _stack.RosUrl;

    public RosaProcess Kernel => _stack.Kernel!;

    public RosaProcess Ros => _stack.Ros!;

    public HttpClient Http { get; }

    /// <summary>Starts Reachy (simulated), the turtlebot's `rosa ros` on <paramref name="rosbridge"/>, then the kernel, and waits for its pool.</summary>
    public static async Task<KernelStack> StartAsync(Uri rosbridge, ScriptedLlmServer llm)
        // The kernel probes its drivers once at start, so the robots' servers are up (and rosa ros connected) before it.
        => new(await TestStack.StartAsync(new TestStackOptions
        {
            Llm = llm,
            DataDirectory = TestPaths.NewTempDirectory("stackdata"),
            Sim = new SimPart(),
            Reachy = new ReachyPart(),
            Ros = new RosPart { Rosbridge = rosbridge, WaitConnected = true },
            Kernel = new KernelPart { Llm = true, PoolWorkers = 2 },
        }));

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
        Http.Dispose();
        // Kernel first (its workers hold MCP sessions to the robots' servers), then the servers.
        await _stack.DisposeAsync();
    }
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

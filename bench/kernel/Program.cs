// Kernel overhead with the scripted LLM answering instantly: POST /chat → first LLM request,
// launch_process → the worker's first LLM request (pooled and one-off), resident memory.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

var chatRuns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var pooledRuns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 30;
var oneOffRuns = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;

await using var llm = await ScriptedLlmServer.StartAsync();
llm.Fallback = ScriptedTurn.Say("ok");

Console.WriteLine($"machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, {RuntimeInfo()}");
await using (var kernel = await StartKernelAsync(llm, poolSize: 2))
{
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{kernel.Port}") };
    await WaitForPoolAsync(http, 2);
    var idleWorkerRss = await PoolRssAsync(http);
    var kernelRssStart = Rss(kernel.Process.Id);

    // Warm-up, then measure.
    for (var i = 0; i < 5; i++)
    {
        await ChatAsync(http, $"warm {i}");
    }
    var chat = new List<double>();
    for (var i = 0; i < chatRuns; i++)
    {
        var marker = $"bench chat {i}";
        var t0 = DateTimeOffset.UtcNow;
        await ChatAsync(http, marker);
        var request = await llm.WaitForRequestAsync(r => r.LastUserText == marker);
        chat.Add((request.At - t0).TotalMilliseconds);
    }
    Report("POST /chat → first LLM request", chat);

    await using var mcp = await McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{kernel.ProcessPort}/mcp") }),
        new McpClientOptions { ProtocolVersion = "2025-11-25" });
    var pooled = await LaunchSeriesAsync(mcp, http, llm, "pooled", pooledRuns);
    Report("launch_process → worker's first LLM request (pooled)", pooled);
    Console.WriteLine($"resident memory: kernel {kernelRssStart:0.0} MiB at start, {Rss(kernel.Process.Id):0.0} MiB after {chatRuns + 5} chats and {pooledRuns} tasks");
    Console.WriteLine($"resident memory: idle pooled worker {idleWorkerRss:0.0} MiB fresh, {await PoolRssAsync(http):0.0} MiB after tasks");
}

await using (var kernel = await StartKernelAsync(llm, poolSize: 0))
{
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{kernel.Port}") };
    await using var mcp = await McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{kernel.ProcessPort}/mcp") }),
        new McpClientOptions { ProtocolVersion = "2025-11-25" });
    var oneOff = await LaunchSeriesAsync(mcp, http, llm, "one-off", oneOffRuns);
    Report("launch_process → worker's first LLM request (one-off process)", oneOff);
}
return 0;

static async Task<List<double>> LaunchSeriesAsync(McpClient mcp, HttpClient http, ScriptedLlmServer llm, string kind, int runs)
{
    var samples = new List<double>();
    for (var i = -2; i < runs; i++)
    {
        var marker = $"bench {kind} task {i}";
        var t0 = DateTimeOffset.UtcNow;
        var result = await mcp.CallToolAsync("launch_process", new Dictionary<string, object?> { ["system_prompt"] = marker, ["robots"] = Array.Empty<string>() });
        var text = ((ModelContextProtocol.Protocol.TextContentBlock)result.Content[0]).Text;
        if (!text.Contains("launched successfully", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(text);
        }
        var request = await llm.WaitForRequestAsync(r => r.SystemPrompt.Contains(marker, StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        if (i >= 0)
        {
            samples.Add((request.At - t0).TotalMilliseconds);
        }
        // Wait until the task called back so the next launch finds the same situation (idle pool or no workers).
        var sw = Stopwatch.StartNew();
        while ((await http.GetFromJsonAsync<JsonElement>("/api/processes")).GetProperty("running").GetArrayLength() > 0)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException("worker did not call back");
            }
            await Task.Delay(20);
        }
    }
    return samples;
}

static async Task ChatAsync(HttpClient http, string prompt)
{
    using var response = await http.PostAsJsonAsync("/chat", new { prompt });
    response.EnsureSuccessStatusCode();
}

static async Task<KernelRun> StartKernelAsync(ScriptedLlmServer llm, int poolSize)
{
    var port = FreePort.Next();
    var processPort = FreePort.Next();
    var config = TestPaths.NewTempDirectory("bench-cfg");
    foreach (var file in new[] { "kernel.txt", "process.txt" })
    {
        File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(config, file));
    }
    File.WriteAllText(Path.Combine(config, "drivers.json"), """{"mcpServers":{}}""");
    var process = RosaProcess.StartRosa(["kernel", "--port", port.ToString(CultureInfo.InvariantCulture), "--process-port", processPort.ToString(CultureInfo.InvariantCulture),
        "--pool-size", poolSize.ToString(CultureInfo.InvariantCulture)], new Dictionary<string, string?>
    {
        ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("bench-data"),
        ["ROSAOS_CONFIG_DIR"] = config,
        ["GROQ_API_KEY"] = "gsk_bench",
        ["GROQ_BASE_URL"] = llm.GroqBaseUrl,
        ["LOCAL_LLM_PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["ROSA_LOG_LEVEL"] = "Warning",
    });
    await process.WaitForHttpAsync($"http://127.0.0.1:{port}/health");
    return new KernelRun(process, port, processPort);
}

static async Task WaitForPoolAsync(HttpClient http, int count)
{
    var sw = Stopwatch.StartNew();
    while (sw.Elapsed < TimeSpan.FromSeconds(60))
    {
        var pids = (await http.GetFromJsonAsync<JsonElement>("/api/processes")).GetProperty("pool_pids");
        if (pids.GetArrayLength() >= count && pids.EnumerateArray().All(p => Rss(p.GetInt32()) > 40))
        {
            await Task.Delay(2000);
            return;
        }
        await Task.Delay(100);
    }
    throw new TimeoutException("pool did not start");
}

static async Task<double> PoolRssAsync(HttpClient http)
{
    var pids = (await http.GetFromJsonAsync<JsonElement>("/api/processes")).GetProperty("pool_pids");
    return pids.EnumerateArray().Select(p => Rss(p.GetInt32())).Average();
}

static double Rss(int pid)
{
    foreach (var line in File.ReadLines($"/proc/{pid}/status"))
    {
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
        {
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
    }
    return 0;
}

static void Report(string what, List<double> samples)
{
    samples.Sort();
    double P(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
    Console.WriteLine($"{what}: n={samples.Count} p50={P(0.50):0.0} ms p99={P(0.99):0.0} ms min={samples[0]:0.0} ms max={samples[^1]:0.0} ms");
}

static string RuntimeInfo() => $"{Math.Round(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024))} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}";

internal sealed record KernelRun(RosaProcess Process, int Port, int ProcessPort) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Process.DisposeAsync();
}

using System.Net.Http.Json;
using System.Text.Json;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// A real `rosa kernel` process with its own data and config folders, talking to a scripted LLM as "Groq"; started through
/// <see cref="TestStack"/> (port 0 unless the test names ports, e.g. for a config that points a driver at the kernel itself).
/// </summary>
public sealed class KernelHarness : IAsyncDisposable
{
    private readonly TestStack _stack;

    private KernelHarness(TestStack stack, string dataDir, string configDir)
    {
        _stack = stack;
        Port = new Uri(stack.KernelUrl).Port;
        ProcessPort = new Uri(stack.ProcessManagerUrl).Port;
        DataDir = dataDir;
        ConfigDir = configDir;
        Http = new HttpClient { BaseAddress = new Uri(stack.KernelUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public RosaProcess Process => _stack.Kernel!;

    public int Port { get; }

    public int ProcessPort { get; }

    public string DataDir { get; }

    public string ConfigDir { get; }

    public HttpClient Http { get; }

    /// <summary>A config folder with the shipped prompts and drivers.json whose servers are all switched on and on dead ports
    /// (or the given URLs), plus <paramref name="disabled"/> entries switched off with <c>"enabled": false</c>.</summary>
    public static string NewConfigDir(IDictionary<string, string>? driverUrls = null, IDictionary<string, string>? disabled = null)
    {
        var dir = TestPaths.NewTempDirectory("cfg");
        foreach (var file in new[] { "kernel.txt", "process.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(dir, file));
        }
        Directory.CreateDirectory(Path.Combine(dir, "prompts"));
        foreach (var prompt in Directory.GetFiles(Path.Combine(TestPaths.ConfigDir, "prompts")))
        {
            File.Copy(prompt, Path.Combine(dir, "prompts", Path.GetFileName(prompt)));
        }
        using var shipped = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestPaths.ConfigDir, "drivers.json")));
        var servers = new Dictionary<string, object>();
        foreach (var server in shipped.RootElement.GetProperty("mcpServers").EnumerateObject())
        {
            var url = driverUrls is not null && driverUrls.TryGetValue(server.Name, out var u) ? u : TestStack.NotRunningUrl();
            servers[server.Name] = new { url, description = server.Value.GetProperty("description").GetString(), command = "unknown keys of an entry are ignored" };
        }
        foreach (var (name, url) in disabled ?? new Dictionary<string, string>())
        {
            servers[name] = new { url, description = $"{name}, switched off", enabled = false };
        }
        File.WriteAllText(Path.Combine(dir, "drivers.json"), JsonSerializer.Serialize(new { mcpServers = servers }));
        return dir;
    }

    /// <summary>Starts a kernel on ports the OS chooses; <paramref name="llm"/> null means no provider at all.</summary>
    public static async Task<KernelHarness> StartAsync(ScriptedLlmServer? llm, string? dataDir = null, string? configDir = null, params string[] extraArgs)
        => await StartOnAsync(0, 0, llm, dataDir, configDir, extraArgs);

    /// <summary>Starts a kernel on given ports (so a config can point a driver at its own MCP server); 0 lets the OS choose.</summary>
    public static async Task<KernelHarness> StartOnAsync(int port, int processPort, ScriptedLlmServer? llm, string? dataDir = null, string? configDir = null, params string[] extraArgs)
        => await StartWithEnvironmentAsync(port, processPort, llm, new Dictionary<string, string?>(), dataDir, configDir, extraArgs);

    /// <summary>Starts a kernel with extra environment variables (for its workers too: they inherit them).</summary>
    public static async Task<KernelHarness> StartWithEnvironmentAsync(int port, int processPort, ScriptedLlmServer? llm, IDictionary<string, string?> environment,
        string? dataDir = null, string? configDir = null, params string[] extraArgs)
    {
        ArgumentNullException.ThrowIfNull(environment);
        dataDir ??= TestPaths.NewTempDirectory("data");
        configDir ??= NewConfigDir();
        var stack = await TestStack.StartAsync(new TestStackOptions
        {
            ConfigDirectory = configDir,
            DataDirectory = dataDir,
            Llm = llm,
            Kernel = new KernelPart
            {
                Llm = llm is not null,
                Port = port,
                ProcessPort = processPort,
                Arguments = extraArgs,
                Environment = new Dictionary<string, string?>(environment),
            },
        });
        return new KernelHarness(stack, dataDir, configDir);
    }

    /// <summary>Waits until the pool workers are up (they print "worker ready").</summary>
    public async Task WaitForPoolAsync(int count = 2)
        => await Poll.UntilAsync(() => Task.FromResult(Process.Lines.Count(l => l.Contains("worker ready (pool", StringComparison.Ordinal)) >= count), $"{count} pool workers");

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        var text = await Http.GetStringAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<(int Status, JsonElement Body)> PostJsonAsync(string path, string json, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }
        using var response = await Http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public async Task<string> ChatAsync(string prompt)
    {
        using var response = await Http.PostAsJsonAsync(new Uri("/chat", UriKind.Relative), new { prompt }, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        return body.GetProperty("output").GetString()!;
    }

    /// <summary>Collects /updates (drained on read) until one message satisfies <paramref name="accept"/>.</summary>
    public async Task<List<string>> WaitForUpdateAsync(Func<string, bool> accept, List<string>? seen = null)
    {
        seen ??= [];
        await Poll.UntilAsync(async () =>
        {
            var body = await GetJsonAsync("/updates");
            seen.AddRange(body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()!));
            return seen.Any(accept);
        }, "an update", interval: TimeSpan.FromMilliseconds(100));
        return seen;
    }

    /// <summary>The journal through GET /api/journal, newest first.</summary>
    public async Task<JsonElement[]> JournalAsync(string? status = null)
        => [.. (await GetJsonAsync("/api/journal?limit=1000" + (status is null ? "" : "&status=" + status))).GetProperty("events").EnumerateArray()];

    /// <summary>Kills the kernel process alone with SIGKILL (a crash): its workers are orphaned, not killed with it.</summary>
    public async Task CrashAsync()
    {
        Process.Signal(9);
        await Process.WaitForExitAsync();
    }

    public async Task<JsonElement[]> RunningAsync()
        => [.. (await GetJsonAsync("/api/processes")).GetProperty("running").EnumerateArray()];

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _stack.DisposeAsync();
    }
}

/// <summary>Who is asking the scripted LLM.</summary>
public static class Asker
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

using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>The real stack behind the page: <c>rosa sim</c>, <c>rosa reachy</c>, <c>rosa kasa --sim</c> and <c>rosa kernel</c> (with its workers) on free
/// ports, the kernel's LLM a scripted server speaking Groq's wire format, and one headless Chromium.</summary>
public sealed class UiStackFixture : IAsyncLifetime
{
    private readonly List<RosaProcess> _processes = [];

    public ScriptedLlmServer Llm { get; private set; } = null!;
    public BrowserFixture Browser { get; } = new();
    public int SimPort { get; } = FreePort.Next();
    public int ReachyPort { get; } = FreePort.Next();
    public int KernelPort { get; } = FreePort.Next();
    public int KasaPort { get; } = FreePort.Next();
    public string SimUrl => $"http://127.0.0.1:{SimPort}";
    public string KernelUrl => $"http://127.0.0.1:{KernelPort}/";
    public RosaProcess Kernel { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        Llm = await ScriptedLlmServer.StartAsync();
        var sim = Start(["sim", "--port", Port(SimPort), "--dataset", $"pollen-robotics/reachy-mini-emotions-library={TestPaths.EmotionsLibrary}"],
            // The page the kernel serves opens the robot's state WebSocket: the simulator trusts its origin, as under rosa up.
            new Dictionary<string, string?> { ["ROSAOS_TRUSTED_ORIGINS"] = $"http://127.0.0.1:{KernelPort}" });
        await sim.WaitForHttpAsync($"{SimUrl}/health");
        var reachy = Start(["reachy", "--port", Port(ReachyPort), "--daemon", SimUrl], new Dictionary<string, string?>());
        await reachy.WaitForHttpAsync($"http://127.0.0.1:{ReachyPort}/health");
        // The Kasa light's simulated bulb, as rosa up starts it: the page draws it as a lamp.
        var kasa = Start(["kasa", "--sim", "--port", Port(KasaPort)], new Dictionary<string, string?>());
        await kasa.WaitForHttpAsync($"http://127.0.0.1:{KasaPort}/health");
        Kernel = await StartKernelAsync(KernelPort, Llm);
        await Browser.InitializeAsync();
    }

    /// <summary>
    /// Starts a kernel wired to this stack's Reachy; <paramref name="llm"/> null means no LLM at all. A kernel given an earlier
    /// one's <paramref name="dataDirectory"/> is that kernel restarted; <paramref name="extra"/> adds environment variables.
    /// </summary>
    public async Task<RosaProcess> StartKernelAsync(int port, ScriptedLlmServer? llm, string? dataDirectory = null, IDictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ROSAOS_DATA_DIR"] = dataDirectory ?? TestPaths.NewTempDirectory("data"),
            ["ROSAOS_CONFIG_DIR"] = TestConfig.CopyWithReachyPort(ReachyPort, KasaPort),
            ["LOCAL_LLM_PORT"] = Port(FreePort.Next()),
            ["ROSA_DAEMON_URL"] = SimUrl,
        };
        if (llm is not null)
        {
            environment["GROQ_API_KEY"] = "gsk_test";
            environment["GROQ_BASE_URL"] = llm.GroqBaseUrl;
        }
        foreach (var (name, value) in extra ?? new Dictionary<string, string?>())
        {
            environment[name] = value;
        }
        var kernel = Start(["kernel", "--port", Port(port), "--process-port", Port(FreePort.Next())], environment);
        await kernel.WaitForHttpAsync($"http://127.0.0.1:{port}/health");
        return kernel;
    }

    /// <summary>The robot's present head yaw in degrees, read from the daemon.</summary>
    public async Task<double> HeadYawDegreesAsync()
    {
        var pose = await Http.GetFromJsonAsync<JsonObject>($"{SimUrl}/api/state/present_head_pose", TestContext.Current.CancellationToken);
        return (double)pose!["yaw"]! * 180 / Math.PI;
    }

    /// <summary>Starts a goto on the daemon directly (as another client of the robot would), once the robot is idle:
    /// the daemon runs one move at a time and drops a goto sent while another runs.</summary>
    public async Task GotoYawAsync(double degrees, double seconds)
    {
        await Poll.UntilAsync(async () => (await Http.GetFromJsonAsync<JsonArray>($"{SimUrl}/api/move/running", TestContext.Current.CancellationToken))!.Count == 0,
            "the robot to be idle", TestTimeouts.Effect);
        var body = new JsonObject
        {
            ["head_pose"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["z"] = 0, ["roll"] = 0, ["pitch"] = 0, ["yaw"] = degrees * Math.PI / 180 },
            ["duration"] = seconds,
        };
        using var response = await Http.PostAsJsonAsync($"{SimUrl}/api/move/goto", body, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private RosaProcess Start(string[] args, Dictionary<string, string?> environment)
    {
        var process = RosaProcess.StartRosa(args, environment);
        _processes.Add(process);
        return process;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        if (Llm is not null)
        {
            await Llm.DisposeAsync();
        }
        Http.Dispose();
    }
}

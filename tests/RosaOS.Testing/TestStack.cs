using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Testing.Llm;

namespace RosaOS.Testing;

/// <summary>
/// Any subset of the real rosaOS services (sim, reachy, rossim + ros, kasa, kernel with a scripted LLM), started with one call on
/// port 0: each service binds a port the OS gives it and reports it (<c>rosaOS &lt;name&gt; listening on &lt;url&gt;</c>), so no two
/// tests ever race for a port. The drivers and the kernel share one config folder (the shipped config, pointed at the ports the
/// services got). A test may stop one service and start it again at the address it got the first time (<see cref="RestartAsync"/>),
/// so the others find it again as they would under <c>rosa up</c>. Disposing stops everything in reverse order.
/// </summary>
/// <example><code>
/// await using var stack = await TestStack.StartAsync(new TestStackOptions { Sim = new(), Reachy = new(), Kernel = new() { Llm = true } });
/// </code></example>
public sealed class TestStack : IAsyncDisposable
{
    // A stopped service leaves its slot empty, so one started again is still stopped in dependency order.
    private readonly List<IAsyncDisposable?> _parts = [];
    private readonly Dictionary<StackService, int> _slots = [];
    // What each service got at its first start (its port, its own data folder), for a start again at the same address.
    private readonly Dictionary<StackService, int> _ports = [];
    private readonly Dictionary<StackService, string> _partData = [];
    private readonly TestStackOptions _options;
    private int _processPort;
    private string _kernelOrigin = "";

    private TestStack(TestStackOptions options, string configDirectory)
    {
        _options = options;
        ConfigDirectory = configDirectory;
        DataDirectory = options.DataDirectory;
    }

    /// <summary>The config folder the drivers and the kernel read (ROSAOS_CONFIG_DIR); its drivers.json names the stack's ports.</summary>
    public string ConfigDirectory { get; }

    /// <summary>The data folder every part shares (ROSAOS_DATA_DIR, as under <c>rosa up</c>), when the options asked for one;
    /// otherwise each process has its own.</summary>
    public string? DataDirectory { get; }

    /// <summary>Its drivers.json.</summary>
    public string DriversPath => Path.Combine(ConfigDirectory, "drivers.json");

    public RosaProcess? Sim { get; private set; }

    public RosaProcess? Reachy { get; private set; }

    public RosaProcess? RosSim { get; private set; }

    public RosaProcess? Ros { get; private set; }

    public RosaProcess? Kasa { get; private set; }

    public RosaProcess? Kernel { get; private set; }

    /// <summary>The kernel's scripted LLM (Groq's wire format), when asked for.</summary>
    public ScriptedLlmServer? Llm { get; private set; }

    /// <summary>The simulated daemon, e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string SimUrl { get; private set; } = "";

    /// <summary>rosa reachy's base URL (its MCP endpoint is <c>{ReachyUrl}/mcp</c>).</summary>
    public string ReachyUrl { get; private set; } = "";

    /// <summary>The simulated robot's rosbridge, e.g. <c>ws://127.0.0.1:41235</c>.</summary>
    public Uri? RosbridgeUrl { get; private set; }

    /// <summary>The simulated ROS robot's HTTP side (map state, camera) on the same port, e.g. <c>http://127.0.0.1:41235</c>.</summary>
    public string RosSimUrl { get; private set; } = "";

    public string RosUrl { get; private set; } = "";

    public string KasaUrl { get; private set; } = "";

    /// <summary>The kernel's API (no trailing slash).</summary>
    public string KernelUrl { get; private set; } = "";

    /// <summary>The kernel's process-manager MCP endpoint.</summary>
    public string ProcessManagerUrl { get; private set; } = "";

    /// <summary>Starts the services <paramref name="options"/> names, in dependency order; on any failure stops what started and rethrows.</summary>
    public static async Task<TestStack> StartAsync(TestStackOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stack = new TestStack(options, options.ConfigDirectory ?? CopyShippedConfig());
        try
        {
            await stack.StartPartsAsync();
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
        return stack;
    }

    /// <summary>Starts one more <c>rosa kernel</c> on this stack's config (e.g. a second kernel in the same test); the stack stops it too.</summary>
    public Task<RosaProcess> StartKernelAsync(KernelPart part, ScriptedLlmServer? llm) => StartKernelAsync(part, llm, service: null);

    /// <summary>Rewrites drivers.json: <paramref name="edit"/> gets its <c>mcpServers</c> object.</summary>
    public void EditDrivers(Action<JsonObject> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        var drivers = JsonNode.Parse(File.ReadAllText(DriversPath))!;
        edit(drivers["mcpServers"]!.AsObject());
        File.WriteAllText(DriversPath, drivers.ToJsonString());
    }

    /// <summary>An MCP URL on a loopback port nobody listens on: a driver that is not running (the kernel finds it refused at once).</summary>
    public static string NotRunningUrl() => $"http://127.0.0.1:{Port(FreePort.Next())}/mcp";

    /// <summary>A rosbridge URL on a loopback port nobody listens on: <c>rosa ros</c> serves its tools and its stop, never connected.</summary>
    public static Uri NotRunningRosbridge() => new($"ws://127.0.0.1:{Port(FreePort.Next())}");

    /// <summary>
    /// Stops one service: SIGTERM to its process group, as <c>rosa up</c> stops it; with <paramref name="kill"/>, SIGKILL to the service
    /// alone first, like a crash (its children, e.g. a kernel's workers, are then stopped with the group). Its address stays known.
    /// </summary>
    public async Task StopAsync(StackService service, bool kill = false)
    {
        var process = Service(service) ?? throw new InvalidOperationException($"{service} is not running in this stack.");
        if (kill)
        {
            process.Signal(9);
            await process.WaitForExitAsync();
        }
        await process.DisposeAsync();
        _parts[_slots[service]] = null;
        SetService(service, null);
    }

    /// <summary>
    /// Starts a stopped service again as it started the first time: the same arguments, environment and data folder, and the port(s) it
    /// got then, so drivers.json, the other services and the test's clients find it at the address they know.
    /// </summary>
    /// <remarks>
    /// Binding that port again is acceptable: a stopped listener's port is free, and only another process's port-0 listener or
    /// outgoing connection could take it in the second or so before the service binds it again, one port among the thousands of the
    /// ephemeral range (and Linux gives outgoing connections even ports first, listeners odd ones). Should that happen, the start
    /// fails with the process's output; it never comes up quietly somewhere the others do not look.
    /// </remarks>
    public async Task StartAgainAsync(StackService service)
    {
        if (Service(service) is not null)
        {
            throw new InvalidOperationException($"{service} is running; stop it first (StopAsync) or use RestartAsync.");
        }
        if (!_ports.TryGetValue(service, out var port))
        {
            throw new InvalidOperationException($"{service} is not part of this stack.");
        }
        await StartServiceAsync(service, port);
    }

    /// <summary>Stops one service and starts it again at the same address (<see cref="StopAsync"/>, <see cref="StartAgainAsync"/>).</summary>
    public async Task RestartAsync(StackService service)
    {
        await StopAsync(service);
        await StartAgainAsync(service);
    }

    /// <summary>Starts again, in dependency order, every service a test stopped: a shared stack's way back to all running.</summary>
    public async Task StartStoppedAsync()
    {
        foreach (var service in Enum.GetValues<StackService>())
        {
            if (_ports.ContainsKey(service) && Service(service) is null)
            {
                await StartAgainAsync(service);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            if (_parts[i] is { } part)
            {
                await part.DisposeAsync();
            }
        }
        _parts.Clear();
    }

    private async Task StartPartsAsync()
    {
        var options = _options;
        // Every driver a test leaves out stays in drivers.json on a closed port (the kernel reports it unreachable at once);
        // the policy edit comes first, as the drivers read their approval policy from this file at start. A config folder of
        // the test's own is left as written, except for the entries of the parts the stack starts.
        if (options.ConfigDirectory is null || options.Drivers is not null)
        {
            EditDrivers(servers =>
            {
                if (options.ConfigDirectory is null)
                {
                    foreach (var entry in servers.Select(s => s.Value!.AsObject()).ToList())
                    {
                        entry["url"] = NotRunningUrl();
                        entry.Remove("ros");
                    }
                }
                options.Drivers?.Invoke(servers);
            });
        }
        // A part that must know the kernel's address before the kernel starts (a page origin to trust, a URL to call back) makes the
        // stack choose the kernel's port ahead (FreePort: reserved, below the ephemeral range); every other part binds port 0. Without
        // a kernel in the stack, such a URL points at a closed port, so nothing reaches a kernel a developer runs on this machine.
        var kernelAhead = new StackPart?[] { options.Sim, options.Reachy, options.RosSim, options.Ros, options.Kasa }.Any(p => p?.TrustKernelPage == true)
            || options.Ros?.KernelUrl == true || options.Reachy is { SpeechToKernel: true } or { KernelUrl: true };
        var kernelPort = kernelAhead ? FreePort.Next() : 0;
        _kernelOrigin = $"http://127.0.0.1:{Port(kernelPort)}";
        _processPort = options.Kernel?.ProcessPort ?? 0;
        if (options.Llm is not null)
        {
            Llm = options.Llm;
        }
        else if (options.Kernel?.Llm == true || options.Reachy?.Llm == true)
        {
            // First, as rosa reachy may use it too (Whisper, vision) and the test may add routes (ConfigureLlm).
            Llm = await ScriptedLlmServer.StartAsync(options.ConfigureLlm);
            _parts.Add(Llm);
        }
        foreach (var (service, present) in new[]
        {
            (StackService.Sim, options.Sim is not null), (StackService.Reachy, options.Reachy is not null), (StackService.RosSim, options.RosSim is not null),
            (StackService.Ros, options.Ros is not null), (StackService.Kasa, options.Kasa is not null), (StackService.Kernel, options.Kernel is not null),
        })
        {
            if (present)
            {
                // Port 0 unless the kernel's was chosen ahead or by the test.
                await StartServiceAsync(service, service != StackService.Kernel ? 0 : kernelPort != 0 ? kernelPort : options.Kernel!.Port);
            }
        }
    }

    /// <summary>Starts one service on <paramref name="port"/> (0 at the first start) and records the port it got.</summary>
    private async Task StartServiceAsync(StackService service, int port)
    {
        var options = _options;
        switch (service)
        {
            case StackService.Sim:
            {
                var sim = options.Sim!;
                // The page the kernel serves opens the robot's state WebSocket: the simulator trusts its origin (TrustKernelPage, as under rosa up).
                var environment = PartEnvironment(service, sim);
                string[] dataset = sim.Emotions ? ["--dataset", $"pollen-robotics/reachy-mini-emotions-library={TestPaths.EmotionsLibrary}"] : [];
                Sim = Add(service, RosaProcess.StartRosa(["sim", "--port", Port(port), .. dataset, .. sim.Arguments], environment));
                SimUrl = Got(service, await Sim.WaitForListeningAsync("sim"));
                if (sim.WaitAwake)
                {
                    using var http = new HttpClient { Timeout = TestTimeouts.Effect };
                    // Wake-up at start is a move: wait until the robot is running and idle.
                    await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"{SimUrl}/api/daemon/status"), TestContext.Current.CancellationToken))!["state"]!.ToString() == "running"
                        && JsonNode.Parse(await http.GetStringAsync(new Uri($"{SimUrl}/api/move/running"), TestContext.Current.CancellationToken))!.AsArray().Count == 0,
                        "the simulated robot to be awake and idle", TestTimeouts.Startup);
                }
                break;
            }
            case StackService.Reachy:
            {
                var reachy = options.Reachy!;
                var daemon = reachy.DaemonUrl ?? (SimUrl.Length > 0 ? SimUrl : throw new InvalidOperationException("rosa reachy needs a simulator in the stack or a DaemonUrl."));
                var environment = DriverEnvironment(service, reachy);
                if (reachy.Llm)
                {
                    environment.TryAdd("GROQ_API_KEY", "gsk_test");
                    environment.TryAdd("GROQ_BASE_URL", Llm!.GroqBaseUrl);
                }
                if (reachy.SpeechToKernel)
                {
                    environment.TryAdd("STT_CALLBACK_URL", _kernelOrigin + "/stt");
                }
                string[] kernelUrl = reachy.KernelUrl ? ["--kernel-url", _kernelOrigin] : [];
                Reachy = Add(service, RosaProcess.StartRosa(["reachy", "--port", Port(port), "--daemon", daemon, .. Bind(reachy.Bind), .. kernelUrl, .. reachy.Arguments], environment));
                ReachyUrl = Got(service, await Reachy.WaitForListeningAsync("reachy"));
                PointDriver("reachy-mini", ReachyUrl);
                if (reachy.WaitCapturing)
                {
                    using var http = new HttpClient { Timeout = TestTimeouts.Effect };
                    await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"{ReachyUrl}/health"), TestContext.Current.CancellationToken))!["speech_input"]?["capturing"]?.GetValue<bool>() == true,
                        "rosa reachy capturing the virtual microphone", TestTimeouts.Startup);
                }
                break;
            }
            case StackService.RosSim:
            {
                var rossim = options.RosSim!;
                // The page fetches the map from the simulator's port: it trusts the kernel's origin (TrustKernelPage), as under rosa up.
                var environment = PartEnvironment(service, rossim);
                RosSim = Add(service, RosaProcess.StartRosa(["rossim", "--name", rossim.Name, "--port", Port(port), .. rossim.Arguments], environment));
                var bridge = await RosSim.WaitForListeningAsync("rossim-" + rossim.Name);
                _ports[service] = bridge.Port;
                RosbridgeUrl = new Uri($"ws://{bridge.Authority}");
                RosSimUrl = $"http://{bridge.Authority}";
                break;
            }
            case StackService.Ros:
            {
                var ros = options.Ros!;
                var rosbridge = ros.Rosbridge ?? RosbridgeUrl ?? throw new InvalidOperationException("rosa ros needs a rossim in the stack or a Rosbridge URL.");
                // Watches report to the kernel (--kernel-url), whose port is then chosen ahead.
                // rosa ros reads its safety from its entry's ROS section at start: the section goes in first, the URL once it listens.
                PointDriver(ros.Name, null, rosbridge);
                string[] kernelUrl = ros.KernelUrl ? ["--kernel-url", _kernelOrigin] : [];
                Ros = Add(service, RosaProcess.StartRosa(["ros", "--name", ros.Name, "--rosbridge", rosbridge.ToString(), "--port", Port(port), .. kernelUrl, .. ros.Arguments],
                    DriverEnvironment(service, ros)));
                RosUrl = Got(service, await Ros.WaitForListeningAsync("ros-" + ros.Name));
                PointDriver(ros.Name, RosUrl);
                if (ros.WaitConnected)
                {
                    using var http = new HttpClient { Timeout = TestTimeouts.Effect };
                    await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri($"{RosUrl}/health"), TestContext.Current.CancellationToken))!["connected"]!.GetValue<bool>(),
                        "rosa ros to connect to rosbridge", TestTimeouts.Startup);
                }
                break;
            }
            case StackService.Kasa:
            {
                var kasa = options.Kasa!;
                Kasa = Add(service, RosaProcess.StartRosa(["kasa", "--sim", "--port", Port(port), .. kasa.Arguments], DriverEnvironment(service, kasa)));
                KasaUrl = Got(service, await Kasa.WaitForListeningAsync("kasa"));
                PointDriver("Kasa Lightbulb Controller", KasaUrl);
                break;
            }
            case StackService.Kernel:
            {
                var kernel = options.Kernel!;
                // The stack's kernel keeps one data folder across a start again (its journal, its stop latch), as the drivers do.
                var environment = PartEnvironment(service, kernel);
                Kernel = await StartKernelAsync(kernel with { Port = port, ProcessPort = _processPort, Environment = environment }, kernel.Llm ? Llm : null, service);
                KernelUrl = Got(service, await Kernel.WaitForListeningAsync("kernel"));
                var processManager = await Kernel.WaitForListeningAsync("kernel-process");
                _processPort = processManager.Port;
                ProcessManagerUrl = Authority(processManager) + "/mcp";
                break;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(service), service, "not a service of the stack");
        }
    }

    private async Task<RosaProcess> StartKernelAsync(KernelPart part, ScriptedLlmServer? llm, StackService? service)
    {
        ArgumentNullException.ThrowIfNull(part);
        var environment = new Dictionary<string, string?>(part.Environment);
        environment.TryAdd("ROSAOS_CONFIG_DIR", ConfigDirectory);
        // A closed port: a local vLLM a developer runs on 6000 is never found.
        environment.TryAdd("LOCAL_LLM_PORT", Port(FreePort.Next()));
        environment.TryAdd("ROSAOS_DATA_DIR", DataDirectory ?? TestPaths.NewTempDirectory("data"));
        if (SimUrl.Length > 0)
        {
            environment.TryAdd("ROSA_DAEMON_URL", SimUrl);
        }
        if (RosSimUrl.Length > 0)
        {
            // The page shows the simulated ROS robot's map, as under rosa up.
            environment.TryAdd("ROSA_ROSSIM_URLS", RosSimUrl);
        }
        if (llm is not null)
        {
            environment["GROQ_API_KEY"] = "gsk_test";
            environment["GROQ_BASE_URL"] = llm.GroqBaseUrl;
        }
        var process = RosaProcess.StartRosa(["kernel", "--port", Port(part.Port), "--process-port", Port(part.ProcessPort), .. part.Arguments], environment);
        var kernel = service is { } s ? Add(s, process) : Add(process);
        await kernel.WaitForListeningAsync("kernel");
        await kernel.WaitForListeningAsync("kernel-process");
        if (part.PoolWorkers > 0)
        {
            await Poll.UntilAsync(() => Task.FromResult(kernel.Lines.Count(l => l.Contains("worker ready (pool", StringComparison.Ordinal)) >= part.PoolWorkers),
                $"{part.PoolWorkers} pool workers");
        }
        return kernel;
    }

    private RosaProcess? Service(StackService service) => service switch
    {
        StackService.Sim => Sim,
        StackService.Reachy => Reachy,
        StackService.RosSim => RosSim,
        StackService.Ros => Ros,
        StackService.Kasa => Kasa,
        StackService.Kernel => Kernel,
        _ => throw new ArgumentOutOfRangeException(nameof(service), service, "not a service of the stack"),
    };

    private void SetService(StackService service, RosaProcess? process)
    {
        if (service == StackService.Sim)
        {
            Sim = process;
        }
        else if (service == StackService.Reachy)
        {
            Reachy = process;
        }
        else if (service == StackService.RosSim)
        {
            RosSim = process;
        }
        else if (service == StackService.Ros)
        {
            Ros = process;
        }
        else if (service == StackService.Kasa)
        {
            Kasa = process;
        }
        else
        {
            Kernel = process;
        }
    }

    /// <summary>Records the port a service listens on and returns its base URL.</summary>
    private string Got(StackService service, Uri listening)
    {
        _ports[service] = listening.Port;
        return Authority(listening);
    }

    /// <summary>The service's own data folder when the stack has no shared one, the same at every start.</summary>
    private string PartData(StackService service)
    {
        if (!_partData.TryGetValue(service, out var directory))
        {
            directory = _partData[service] = TestPaths.NewTempDirectory("data");
        }
        return directory;
    }

    private Dictionary<string, string?> DriverEnvironment(StackService service, StackPart part)
    {
        var environment = PartEnvironment(service, part);
        environment.TryAdd("ROSAOS_CONFIG_DIR", ConfigDirectory);
        return environment;
    }

    /// <summary>A part's own environment plus the shared data folder if the stack has one, else the part's own (the same at every start),
    /// and the kernel page's origin among its trusted ones when it asked for it and the stack has a kernel.</summary>
    private Dictionary<string, string?> PartEnvironment(StackService service, StackPart part)
    {
        var environment = new Dictionary<string, string?>(part.Environment);
        environment.TryAdd("ROSAOS_DATA_DIR", DataDirectory ?? PartData(service));
        if (part.TrustKernelPage && _options.Kernel is not null)
        {
            environment["ROSAOS_TRUSTED_ORIGINS"] = _kernelOrigin;
        }
        return environment;
    }

    /// <summary>Points the drivers.json entry <paramref name="name"/> (if the config has it) at a started server.</summary>
    private void PointDriver(string name, string? baseUrl, Uri? rosbridge = null) => EditDrivers(servers =>
    {
        if (servers[name] is JsonObject entry)
        {
            if (baseUrl is not null)
            {
                entry["url"] = baseUrl + "/mcp";
            }
            if (rosbridge is not null)
            {
                // The test's ROS section, else the shipped one; switched on and pointed at the stack's graph.
                entry["ros"] ??= JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.ConfigDir, "drivers.json")))!["mcpServers"]![name]?["ros"]?.DeepClone()
                    ?? new JsonObject();
                entry["ros"]!["rosbridge"] = rosbridge.ToString();
                entry["enabled"] = true;
            }
        }
    });

    private RosaProcess Add(RosaProcess process)
    {
        _parts.Add(process);
        return process;
    }

    /// <summary>Adds a service's process; one started again takes its first start's slot.</summary>
    private RosaProcess Add(StackService service, RosaProcess process)
    {
        if (_slots.TryGetValue(service, out var slot))
        {
            _parts[slot] = process;
        }
        else
        {
            _slots[service] = _parts.Count;
            _parts.Add(process);
        }
        return process;
    }

    private static string[] Bind(string? address) => address is null ? [] : ["--bind", address];

    private static string Authority(Uri url) => url.GetLeftPart(UriPartial.Authority);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A copy of the shipped config/ (prompts, drivers.json, everything), for a stack to point at its ports.</summary>
    public static string CopyShippedConfig()
    {
        var dir = TestPaths.NewTempDirectory("config");
        foreach (var file in Directory.EnumerateFiles(TestPaths.ConfigDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(TestPaths.ConfigDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return dir;
    }
}

/// <summary>A service of a <see cref="TestStack"/>, for stopping and starting it again; in the order the stack starts them.</summary>
public enum StackService
{
    Sim,
    Reachy,
    RosSim,
    Ros,
    Kasa,
    Kernel,
}

/// <summary>Which services a <see cref="TestStack"/> starts (null: not started), and how.</summary>
public sealed record TestStackOptions
{
    public SimPart? Sim { get; init; }

    public ReachyPart? Reachy { get; init; }

    public RosSimPart? RosSim { get; init; }

    public RosPart? Ros { get; init; }

    public KasaPart? Kasa { get; init; }

    public KernelPart? Kernel { get; init; }

    /// <summary>Edits drivers.json's <c>mcpServers</c> before any driver starts (e.g. an approval policy).</summary>
    public Action<JsonObject>? Drivers { get; init; }

    /// <summary>A config folder of the test's own instead of a copy of the shipped one; its drivers.json is kept as written except
    /// for the entries of the parts the stack starts.</summary>
    public string? ConfigDirectory { get; init; }

    /// <summary>One data folder for every part (ROSAOS_DATA_DIR, as under <c>rosa up</c>: e.g. a driver's saved image the kernel reads);
    /// null gives each process its own.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>A scripted LLM the test started (and disposes) itself, e.g. scripted before the stack starts; used where a part asks for the LLM.</summary>
    public ScriptedLlmServer? Llm { get; init; }

    /// <summary>Extra routes on the scripted LLM (e.g. Whisper's transcriptions), when the stack starts one.</summary>
    public Action<Microsoft.AspNetCore.Builder.WebApplication, ScriptedLlmServer>? ConfigureLlm { get; init; }
}

/// <summary>What every part shares: extra command-line arguments and environment variables.</summary>
public abstract record StackPart
{
    public IReadOnlyList<string> Arguments { get; init; } = [];

    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Trust the kernel page's origin (ROSAOS_TRUSTED_ORIGINS, as <c>rosa up</c> sets it; e.g. the page opens the robot's
    /// WebSocket or fetches the map): the kernel's port is then chosen ahead.</summary>
    public bool TrustKernelPage { get; init; }
}

/// <summary><c>rosa sim</c>.</summary>
public sealed record SimPart : StackPart
{
    /// <summary>Serve the emotions dataset from the shared data folder (no Hub download).</summary>
    public bool Emotions { get; init; } = true;

    /// <summary>Wait until the robot has woken up and is idle.</summary>
    public bool WaitAwake { get; init; }
}

/// <summary><c>rosa reachy</c>, on the stack's simulator unless <see cref="DaemonUrl"/> says otherwise.</summary>
public sealed record ReachyPart : StackPart
{
    public string? DaemonUrl { get; init; }

    /// <summary>An address to bind instead of loopback (<c>--bind</c>).</summary>
    public string? Bind { get; init; }

    /// <summary>Give it the stack's scripted LLM as Groq (Whisper, vision); the stack then starts one.</summary>
    public bool Llm { get; init; }

    /// <summary>Send what the speech loop hears to the stack's kernel (STT_CALLBACK_URL), whose port is then chosen ahead.</summary>
    public bool SpeechToKernel { get; init; }

    /// <summary>Point its watches at the stack's kernel (<c>--kernel-url</c>), whose port is then chosen ahead; without a kernel in the
    /// stack, at a closed port (the firings wait in the driver's queue).</summary>
    public bool KernelUrl { get; init; }

    /// <summary>Wait until the speech loop captures the simulator's microphone.</summary>
    public bool WaitCapturing { get; init; }
}

/// <summary><c>rosa rossim</c>: a simulated TurtleBot with its rosbridge.</summary>
public sealed record RosSimPart : StackPart
{
    public string Name { get; init; } = "simbot";
}

/// <summary><c>rosa ros</c>, on the stack's rossim unless <see cref="Rosbridge"/> says otherwise; its drivers.json entry is <see cref="Name"/>.</summary>
public sealed record RosPart : StackPart
{
    public string Name { get; init; } = "turtlebot";

    public Uri? Rosbridge { get; init; }

    /// <summary>Point its watches at the stack's kernel (<c>--kernel-url</c>), whose port is then chosen ahead; without a kernel in the
    /// stack, at a closed port.</summary>
    public bool KernelUrl { get; init; }

    /// <summary>Wait until it is connected to its rosbridge (at every start).</summary>
    public bool WaitConnected { get; init; }
}

/// <summary><c>rosa kasa --sim</c>: the light's MCP server with a simulated bulb.</summary>
public sealed record KasaPart : StackPart;

/// <summary><c>rosa kernel</c> (with its workers) on the stack's config.</summary>
public sealed record KernelPart : StackPart
{
    /// <summary>Start a scripted LLM (Groq's wire format) and point the kernel at it; without it the kernel has no LLM.</summary>
    public bool Llm { get; init; }

    /// <summary>The API port; 0 (the default) lets the OS choose.</summary>
    public int Port { get; init; }

    /// <summary>The process manager's MCP port; 0 (the default) lets the OS choose.</summary>
    public int ProcessPort { get; init; }

    /// <summary>Wait until this many pool workers are ready (<c>worker ready (pool</c> lines).</summary>
    public int PoolWorkers { get; init; }
}

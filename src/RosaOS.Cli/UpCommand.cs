using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using RosaOS.Cli.Stack;
using RosaOS.Configuration;

namespace RosaOS.Cli;

/// <summary>The `rosa up` sub-command: the whole system as supervised child processes.</summary>
internal static class UpCommand
{
    /// <param name="dotenv">The .env file this process loaded at start, if any: rosa up says which keys it took.</param>
    public static Command Create(DotEnvResult? dotenv)
    {
        var robot = new Option<string?>("--robot") { Description = "URL of a real Reachy Mini daemon (e.g. http://reachy-mini.local:8000); without it the simulated robot is started." };
        var simPort = new Option<int>("--sim-port") { Description = "Port of the simulated robot.", DefaultValueFactory = _ => 8000 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data folder (database, images, logs); default ROSAOS_DATA_DIR or ./data." };
        var noRos = new Option<bool>("--no-ros") { Description = "Do not start the ROS drivers configured in drivers.json." };
        var dataset = new Option<string[]>("--dataset") { Description = "Recorded-move dataset for the simulated robot, NAME=DIR (repeatable).", AllowMultipleArgumentsPerToken = false };
        var maxRestarts = new Option<int>("--max-restarts") { Description = "Restarts allowed per service within 5 minutes before giving up on it.", DefaultValueFactory = _ => 3 };
        var anthropic = new Option<bool>("--anthropic") { Description = "Kernel and workers use Anthropic (ANTHROPIC_API_KEY)." };
        var local = new Option<bool>("--local") { Description = "Use only the local OpenAI-compatible endpoint." };
        var model = new Option<string?>("--model") { Description = "Model id for the kernel and workers." };
        var endpoint = new Option<string?>("--endpoint") { Description = "Local LLM endpoint port or URL." };
        var realRos = new Option<bool>("--real-ros") { Description = "Start no simulated ROS robot: every ROS driver talks to the rosbridge in drivers.json (a real robot or a tunnel)." };
        var bind = new Option<string?>("--bind")
        {
            Description = "Also serve the UI/kernel on this address (e.g. 0.0.0.0 or the LAN address): other hosts then need the access token; " +
                "a one-time login link is printed. Everything else stays on loopback.",
        };
        var rossim = new Option<string[]>("--rossim")
        {
            Description = "Switched-on ROS driver(s) whose loopback rosbridge `rosa rossim` serves (repeatable; default turtlebot).",
            DefaultValueFactory = _ => ["turtlebot"],
            AllowMultipleArgumentsPerToken = false,
        };

        var command = new Command("up", "Start the whole system: simulated robot, Reachy MCP, kernel, ROS drivers; Ctrl-C stops it all.")
        {
            robot, simPort, dataDir, noRos, dataset, maxRestarts, anthropic, local, model, endpoint, realRos, rossim, bind,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Yield first: a SIGTERM arriving before the action's first await otherwise finds System.CommandLine's
            // handler not yet ready and the runtime kills the process (exit 143) without the orderly stop.
            await Task.Yield();
            StackLayout layout;
            try
            {
                if (parse.GetValue(simPort) is < 1 or > 65535)
                {
                    throw new ArgumentException("--sim-port must be a TCP port (1..65535).");
                }
                if (parse.GetValue(maxRestarts) is < 0 or > 100)
                {
                    throw new ArgumentException("--max-restarts must be between 0 and 100.");
                }
                layout = StackLayout.Resolve(parse.GetValue(robot), parse.GetValue(simPort), parse.GetValue(dataDir), !parse.GetValue(noRos));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or DriversConfigException or IOException)
            {
                await Console.Error.WriteLineAsync($"rosa up: {e.Message}");
                return 2;
            }
            // No pooled worker idles: the first task starts one (about a second, once) and it stays in the pool; issue 19: an idle
            // worker is ~50 MiB resident (docs/benchmarks.md). `rosa kernel` alone keeps its default, every pool worker warm.
            var kernelArgs = new List<string> { "kernel", "--pool-warm", "0" };
            if (parse.GetValue(anthropic))
            {
                kernelArgs.Add("--anthropic");
            }
            if (parse.GetValue(local))
            {
                kernelArgs.Add("--local");
            }
            if (parse.GetValue(model) is { } m)
            {
                kernelArgs.AddRange(["--model", m]);
            }
            if (parse.GetValue(endpoint) is { } ep)
            {
                kernelArgs.AddRange(["--endpoint", ep]);
            }
            var bindAddress = parse.GetValue(bind);
            if (bindAddress is not null)
            {
                if (!System.Net.IPAddress.TryParse(bindAddress.Trim('[', ']'), out _))
                {
                    await Console.Error.WriteLineAsync($"rosa up: --bind must be an IP address such as 0.0.0.0 or 192.168.1.20, got '{bindAddress}'.");
                    return 2;
                }
                if (Hosting.TlsCertificate.Configured && !Hosting.AccessPolicy.IsLoopbackBind(bindAddress)
                    && System.Net.IPAddress.TryParse(bindAddress.Trim('[', ']'), out var wildcard)
                    && (wildcard.Equals(System.Net.IPAddress.Any) || wildcard.Equals(System.Net.IPAddress.IPv6Any)))
                {
                    // A wildcard bind would put loopback on https too, where the stack's own services call the kernel over http.
                    await Console.Error.WriteLineAsync($"rosa up: with {Hosting.TlsCertificate.CertificateVariable} set, give --bind this machine's address " +
                        $"(e.g. 192.168.1.20), not '{bindAddress}': the kernel then serves https there and plain http on loopback for the stack itself.");
                    return 2;
                }
                kernelArgs.AddRange(["--bind", bindAddress]);
            }
            var simArgs = new List<string> { "sim", "--port", layout.RobotUrl.Port.ToString(CultureInfo.InvariantCulture) };
            foreach (var d in parse.GetValue(dataset) ?? [])
            {
                simArgs.AddRange(["--dataset", d]);
            }
            var policy = new RestartPolicy(parse.GetValue(maxRestarts), TimeSpan.FromMinutes(5));
            // A simulated ROS 2 robot (`rosa rossim`) stands behind each named driver's loopback rosbridge, unless --real-ros.
            var simulatedRos = parse.GetValue(realRos) ? [] : layout.Plan
                .Where(p => p.Started && p.Entry.Ros is not null && (parse.GetValue(rossim) ?? []).Contains(p.Entry.Name, StringComparer.Ordinal)
                    && Uri.TryCreate(p.Entry.Ros.Rosbridge, UriKind.Absolute, out var bridge) && DriversConfig.IsLoopback(bridge))
                .Select(p => (p.Entry.Name, new Uri(p.Entry.Ros!.Rosbridge).Port))
                .ToList();
            return await new StackSupervisor(layout, simArgs, kernelArgs, policy, dotenv) { SimulatedRos = simulatedRos, BindAddress = bindAddress }
                .RunAsync(cancellationToken);
        });
        return command;
    }
}

/// <summary>Starts the stack in dependency order, reports where everything is, and stops it in reverse order.</summary>
internal sealed class StackSupervisor(StackLayout layout, IReadOnlyList<string> simArgs, IReadOnlyList<string> kernelArgs, RestartPolicy policy, DotEnvResult? dotenv)
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ChildService> _started = [];

    /// <summary>ROS drivers (name, rosbridge port) whose robot is a `rosa rossim` started here.</summary>
    public IReadOnlyList<(string Name, int Port)> SimulatedRos { get; init; } = [];

    /// <summary>The kernel's extra address beyond loopback (<c>--bind</c>), or null.</summary>
    public string? BindAddress { get; init; }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Ctrl-C and SIGTERM start an orderly stop instead of killing us before the children.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        var executable = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot find the rosa executable.");
        var environment = ChildEnvironment();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        Directory.CreateDirectory(layout.DataDirectory);
        layout.Save(Environment.ProcessId);
        Console.WriteLine($"[up     ] rosaOS {Hosting.RosaWebHost.Version}: data in {layout.DataDirectory}, logs in {layout.LogDirectory}");
        foreach (var line in DescribeDotEnv(dotenv).Concat(DescribeDrivers(layout)))
        {
            Console.WriteLine("[up     ] " + line);
        }

        var exitCode = 0;
        try
        {
            if (layout.SimulatedRobot)
            {
                // The stand-ins for hardware share one process (issue 19): the simulated ROS robots run inside `rosa sim`.
                var sim = StartChild(new ServiceSpec("sim", [.. simArgs, .. SimulatedRos.SelectMany(r => new[] { "--rossim", $"{r.Name}={Port(r.Port)}" })],
                    new Uri(layout.RobotUrl, "/health")), executable, environment);
                await EnsureHealthyAsync(sim, http, stop.Token);
                foreach (var (name, port) in SimulatedRos)
                {
                    Console.WriteLine($"[up     ] {name}: simulated ROS 2 TurtleBot 4 (rosa rossim) on ws://127.0.0.1:{Port(port)}, in the sim's process; --real-ros drives the real one");
                    await EnsureHealthyAsync(sim, new Uri($"http://127.0.0.1:{Port(port)}/health"), http, stop.Token);
                }
            }
            else if (!await DaemonReachableAsync(http, stop.Token))
            {
                Console.WriteLine($"[up     ] warning: no Reachy Mini daemon answers at {layout.RobotUrl}; the Reachy tools will fail until it does.");
            }
            var reachy = StartChild(new ServiceSpec("reachy", ["reachy", "--port", Port(layout.ReachyPort), "--daemon", layout.RobotUrl.ToString().TrimEnd('/')],
                new Uri($"http://127.0.0.1:{layout.ReachyPort}/health")), executable, environment);
            foreach (var (name, port) in layout.SimulatedRobot ? [] : SimulatedRos)
            {
                Console.WriteLine($"[up     ] {name}: simulated ROS 2 TurtleBot 4 (rosa rossim) on ws://127.0.0.1:{Port(port)}; --real-ros drives the real one");
                await StartAsync(new ServiceSpec("rossim-" + name, ["rossim", "--name", name, "--port", Port(port)],
                    new Uri($"http://127.0.0.1:{Port(port)}/health")), executable, environment, http, stop.Token);
            }
            var ros = layout.RosDrivers.Select(d => StartChild(new ServiceSpec(d.Name, ["ros", "--name", d.Name, "--port", Port(d.Port)],
                new Uri($"http://127.0.0.1:{d.Port}/health")), executable, environment)).ToList();
            // The Kasa light (rosa kasa; a simulated bulb unless KASA_HOST names a real one).
            ros.AddRange(layout.Plan.Where(p => p.Started && p.Entry.Name == DriverPlan.KasaDriver).Select(p => StartChild(new ServiceSpec("kasa",
                Hosting.RosaEnvironment.Get("KASA_HOST") is { Length: > 0 } ? ["kasa", "--port", Port(p.Entry.Port)] : ["kasa", "--sim", "--port", Port(p.Entry.Port)],
                new Uri($"http://127.0.0.1:{p.Entry.Port}/health")), executable, environment)));
            foreach (var child in ros.Prepend(reachy))
            {
                await EnsureHealthyAsync(child, http, stop.Token);
            }
            // The kernel probes its drivers at start, so it comes last.
            await StartAsync(new ServiceSpec("kernel", kernelArgs, new Uri(layout.KernelUrl, "/health")), executable, environment, http, stop.Token);
            await PrintReadyAsync(http, stop.Token);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.WriteLine("[up     ] stopping…");
        }
        catch (StartupFailedException e)
        {
            await Console.Error.WriteLineAsync($"[up     ] {e.Message} Stopping everything.");
            exitCode = 1;
        }
        finally
        {
            // Reverse order: the kernel (and its workers) first, the robot last, so nothing talks to a dead peer.
            for (var i = _started.Count - 1; i >= 0; i--)
            {
                await _started[i].DisposeAsync();
            }
            TryDelete(StackLayout.StateFile(layout.DataDirectory));
            Console.WriteLine("[up     ] stopped.");
        }
        return exitCode;
    }

    private async Task StartAsync(ServiceSpec spec, string executable, IReadOnlyDictionary<string, string> environment, HttpClient http, CancellationToken cancellationToken)
        => await EnsureHealthyAsync(StartChild(spec, executable, environment), http, cancellationToken);

    private ChildService StartChild(ServiceSpec spec, string executable, IReadOnlyDictionary<string, string> environment)
    {
        var child = new ChildService(spec, executable, environment, layout.LogDirectory, policy);
        _started.Add(child);
        child.Start();
        return child;
    }

    private static Task EnsureHealthyAsync(ChildService child, HttpClient http, CancellationToken cancellationToken)
        => EnsureHealthyAsync(child, null, http, cancellationToken);

    // healthUrl: another service the child hosts (the sim's ROS robots); null for the child's own.
    private static async Task EnsureHealthyAsync(ChildService child, Uri? healthUrl, HttpClient http, CancellationToken cancellationToken)
    {
        if (!await child.WaitHealthyAsync(http, s_startTimeout, healthUrl, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new StartupFailedException(child.GaveUp
                ? $"{child.Name} kept crashing at start (its log says why)."
                : $"{child.Name}{(healthUrl is null ? "" : $" ({healthUrl} it hosts)")} did not become healthy within {s_startTimeout.TotalSeconds:0} s.");
        }
    }

    private async Task<bool> DaemonReachableAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(layout.RobotUrl, "/api/daemon/status"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task PrintReadyAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var llm = "unknown (the kernel did not say)";
        try
        {
            var health = JsonNode.Parse(await http.GetStringAsync(new Uri(layout.KernelUrl, "/health"), cancellationToken));
            llm = DescribeLlm(health) ?? llm;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
        }
        var robot = layout.SimulatedRobot ? $"{layout.RobotUrl} (simulated Reachy Mini)" : $"{layout.RobotUrl} (Reachy Mini daemon)";
        var ros = string.Concat(layout.RosDrivers.Select(d => $"  ROS {d.Name,-12} http://127.0.0.1:{d.Port}/mcp\n"));
        var off = layout.Plan.Where(p => !p.Started).Select(p => p.Entry.Name).ToList();
        if (off.Count > 0)
        {
            ros += $"  Not started      {string.Join(", ", off)}   (why: see the drivers lines above)\n";
        }
        Console.WriteLine(
            "\nrosaOS is up.\n" +
            $"  UI               {layout.KernelUrl}   (open it in a browser)\n" +
            $"  Chat             ./rosa chat   (or POST {layout.KernelUrl}chat with {{\"prompt\": \"...\"}})\n" +
            $"  Robot            {robot}\n" +
            $"  Reachy MCP       {layout.ReachyMcpUrl}\n" +
            $"  Process manager  {layout.ProcessManagerUrl}\n" +
            ros +
            $"  LLM              {llm}\n" +
            "  Status           ./rosa status\n" +
            $"  Logs             {layout.LogDirectory}\n" +
            "Press Ctrl-C to stop everything.\n");
        if (BindAddress is not null && !Hosting.AccessPolicy.IsLoopbackBind(BindAddress))
        {
            Console.WriteLine(LoginLine(layout, BindAddress));
        }
    }

    /// <summary>The one-time login link for a kernel bound to <paramref name="bindAddress"/>: opening it in a browser on another host sets the
    /// token cookie; the token itself is never printed.</summary>
    internal static string LoginLine(StackLayout layout, string bindAddress)
    {
        var host = bindAddress.Trim('[', ']');
        if (System.Net.IPAddress.TryParse(host, out var ip) && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)))
        {
            host = System.Net.Dns.GetHostName();
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            host = "[" + host + "]";
        }
        var code = Hosting.AccessPolicy.CreateLoginCode(layout.DataDirectory);
        var scheme = Hosting.TlsCertificate.SchemeFor(bindAddress);
        var link = Hosting.AccessPolicy.LoginLink($"{scheme}://{host}:{layout.KernelPort.ToString(CultureInfo.InvariantCulture)}", code);
        return $"  Remote login     {link}\n" +
            $"                   (works once, for {Hosting.AccessPolicy.LoginCodeLifetime.TotalMinutes:0} minutes; other clients send 'Authorization: Bearer' " +
            $"with the token in {Hosting.AccessPolicy.TokenFile(layout.DataDirectory)}" +
            (scheme == "https" ? ")" : $"; plain http: set {Hosting.TlsCertificate.CertificateVariable}, or use a TLS reverse proxy or a tunnel off a trusted network)");
    }

    /// <summary>Which .env file was read and which keys it set: names only, never values.</summary>
    internal static IEnumerable<string> DescribeDotEnv(DotEnvResult? dotenv)
    {
        if (dotenv is null)
        {
            yield break;
        }
        var taken = dotenv.Taken.Count > 0 ? string.Join(", ", dotenv.Taken) : "nothing";
        var kept = dotenv.AlreadySet.Count > 0 ? $"; already set in the environment, kept: {string.Join(", ", dotenv.AlreadySet)}" : "";
        yield return $"read {dotenv.Path}: took {taken}{kept}";
    }

    /// <summary>One line per drivers.json entry: started, or not and why; plus a warning for each address off this machine.</summary>
    internal static IEnumerable<string> DescribeDrivers(StackLayout layout)
    {
        if (layout.Plan.Count == 0)
        {
            yield break;
        }
        var width = layout.Plan.Max(p => p.Entry.Name.Length);
        yield return $"drivers ({Path.Combine(layout.ConfigDirectory, "drivers.json")}):";
        foreach (var plan in layout.Plan)
        {
            yield return $"  {plan.Entry.Name.PadRight(width)}  {plan.Detail}";
        }
        foreach (var plan in layout.Plan.Where(p => p.Remote.Count > 0))
        {
            yield return $"note: {plan.Entry.Name} connects off this machine, to {string.Join(" and ", plan.Remote)}";
        }
    }

    /// <summary>The kernel's health names the chosen provider, or why there is none.</summary>
    internal static string? DescribeLlm(JsonNode? health)
    {
        if (health?["llm"] is not JsonObject llm)
        {
            return null;
        }
        var status = llm["status"]?.ToString();
        if (llm["available"] is JsonValue a && a.TryGetValue<bool>(out var available) && !available)
        {
            return status ?? "none";
        }
        return status ?? $"{llm["provider"]} {llm["model"]}".Trim();
    }

    private Dictionary<string, string> ChildEnvironment()
    {
        var environment = new Dictionary<string, string>
        {
            ["ROSA_SUPERVISOR_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            ["ROSAOS_DATA_DIR"] = layout.DataDirectory,
            ["ROSAOS_CONFIG_DIR"] = layout.ConfigDirectory,
            ["REACHY_MCP_PORT"] = Port(layout.ReachyPort),
            ["RAG_AGENT_PORT"] = Port(layout.KernelPort),
            ["PROCESS_SERVER_PORT"] = Port(layout.ProcessPort),
            // The page the kernel serves draws the robot from this daemon.
            ["ROSA_DAEMON_URL"] = layout.RobotUrl.ToString().TrimEnd('/'),
            // ... and the map and camera of each simulated ROS robot from these.
            ["ROSA_ROSSIM_URLS"] = string.Join(' ', SimulatedRos.Select(r => $"http://127.0.0.1:{Port(r.Port)}")),
        };
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("STT_CALLBACK_URL")))
        {
            environment["STT_CALLBACK_URL"] = new Uri(layout.KernelUrl, "/stt").ToString();
        }
        return environment;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    private sealed class StartupFailedException(string message) : Exception(message);
}

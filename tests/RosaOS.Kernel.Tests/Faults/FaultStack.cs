using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.Hosting;
using RosaOS.ReachyMini.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using RosaOS.Testing.Ros;

namespace RosaOS.Kernel.Tests.Faults;

/// <summary>
/// The whole system as real processes on loopback ports, each bound on port 0 at its first start; a part that is killed
/// starts again on the port it got then, as `rosa up` keeps it where the others look: a ROS 1 graph (roscore, the stand-in TurtleBot, a rosbridge server), `rosa sim`,
/// `rosa reachy`, `rosa ros --name turtlebot` and `rosa kernel` with its workers, sharing one config
/// and one data folder. Only the LLM is scripted.
/// </summary>
internal sealed class FaultStack : IAsyncDisposable
{
    private readonly ScriptedLlmServer _llm;
    // 0 until the first start reports the port the OS gave.
    private int _reachyPort;
    private int _kernelPort;
    private int _processPort;
    private string _simUrl = "";
    private RosGraph? _graph;
    private RosaProcess? _sim;
    private RosaProcess? _reachy;
    private RosaProcess? _ros;

    private FaultStack(ScriptedLlmServer llm) => _llm = llm;

    public string DataDir { get; } = TestPaths.NewTempDirectory("faultdata");

    public string ConfigDir { get; } = TestPaths.NewTempDirectory("faultcfg");

    public KernelHarness Kernel { get; private set; } = null!;

    public ReachyDaemonClient Daemon { get; private set; } = null!;

    /// <summary>Each distinct /cmd_vel command the stand-in TurtleBot received, in order.</summary>
    public IReadOnlyList<string> RosCommands => [.. Graph.Robot.Lines.Where(l => l.StartsWith("cmd_vel ", StringComparison.Ordinal))];

    private RosGraph Graph => _graph ?? throw new InvalidOperationException("not started");

    private Dictionary<string, string?> Env => new() { ["ROSAOS_DATA_DIR"] = DataDir, ["ROSAOS_CONFIG_DIR"] = ConfigDir };

    public static async Task<FaultStack> StartAsync(ScriptedLlmServer llm)
    {
        var stack = new FaultStack(llm);
        try
        {
            await stack.StartAllAsync();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL to the kernel alone (a crash): its workers are orphaned. Returns how long until none of them was alive.</summary>
    public async Task<TimeSpan> CrashKernelAsync()
    {
        var kernel = ProcessIdentity.Of(Kernel.Process.Id)!;
        var workers = ChildrenOf(kernel.Pid);
        Kernel.Process.Signal(9);
        var watch = Stopwatch.StartNew();
        // Within 2 s every worker must have stopped its motion and exited: no worker outlives its kernel.
        await Poll.UntilAsync(() => Task.FromResult(!kernel.IsAlive() && workers.All(w => !w.IsAlive())),
            $"the workers of the killed kernel ({string.Join(", ", workers.Select(w => w.Pid))}) to exit", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(20));
        var elapsed = watch.Elapsed;
        await Kernel.DisposeAsync();
        return elapsed;
    }

    /// <summary>Starts the kernel again on the same ports and folders, as `rosa up` would after a crash.</summary>
    public async Task StartKernelAsync()
    {
        Kernel = await KernelHarness.StartOnAsync(_kernelPort, _processPort, _llm, DataDir, ConfigDir);
        (_kernelPort, _processPort) = (Kernel.Port, Kernel.ProcessPort);
    }

    /// <summary>Stops the kernel in an orderly way (SIGTERM): the end of a run.</summary>
    public async Task StopKernelAsync()
    {
        var kernel = ProcessIdentity.Of(Kernel.Process.Id)!;
        var workers = ChildrenOf(kernel.Pid);
        Kernel.Process.Signal(15);
        await Kernel.Process.WaitForExitAsync();
        await Poll.UntilAsync(() => Task.FromResult(workers.All(w => !w.IsAlive())), "the workers to stop with the kernel", TimeSpan.FromSeconds(5));
        await Kernel.DisposeAsync();
    }

    /// <summary>SIGKILL to one worker process.</summary>
    public static void KillWorker(int pid) => ProcessIdentity.Of(pid)?.Signal(9);

    /// <summary>Kills `rosa reachy` (SIGKILL) and starts it again on the same port.</summary>
    public async Task RestartReachyAsync()
    {
        _reachy!.SignalGroup(9);
        await _reachy.WaitForExitAsync();
        await _reachy.DisposeAsync();
        await StartReachyAsync();
    }

    /// <summary>Kills the rosbridge server (SIGKILL) and starts it again on the same port.</summary>
    public Task RestartBridgeAsync() => Graph.RestartBridgeAsync(TimeSpan.FromMilliseconds(200));

    public async ValueTask DisposeAsync()
    {
        if (Kernel is not null)
        {
            await Kernel.DisposeAsync();
        }
        foreach (var process in new[] { _ros, _reachy, _sim })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
        Daemon?.Dispose();
        if (_graph is not null)
        {
            await _graph.DisposeAsync();
        }
    }

    private async Task StartAllAsync()
    {
        _graph = await RosGraph.StartAsync();
        StackConfig.Write(ConfigDir, Graph.BridgeUrl);
        _sim = RosaProcess.StartRosa(["sim", "--port", "0"], Env);
        _ros = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--port", "0"], Env);
        _simUrl = (await _sim.WaitForListeningAsync("sim")).GetLeftPart(UriPartial.Authority);
        Daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri(_simUrl) });
        await Poll.UntilAsync(async () => (await Daemon.GetRunningMovesAsync()).Count == 0
            && (await Daemon.GetStatusAsync()).State == RosaOS.ReachyMini.Protocol.DaemonState.Running, "the simulated robot to be awake and idle");
        await StartReachyAsync();
        var rosUrl = (await _ros.WaitForListeningAsync("ros-turtlebot")).GetLeftPart(UriPartial.Authority);
        StackConfig.PointDriver(ConfigDir, "turtlebot", rosUrl);
        using (var probe = new HttpClient())
        {
            await Poll.UntilAsync(async () => JsonNode.Parse(await probe.GetStringAsync(new Uri($"{rosUrl}/health")))!["connected"]!.GetValue<bool>(),
                "rosa ros to connect to rosbridge");
        }
        await StartKernelAsync();
        await Kernel.WaitForPoolAsync();
    }

    private async Task StartReachyAsync()
    {
        _reachy = RosaProcess.StartRosa(["reachy", "--port", Str(_reachyPort), "--daemon", _simUrl, "--no-listen"], Env);
        var listening = await _reachy.WaitForListeningAsync("reachy");
        if (_reachyPort == 0)
        {
            _reachyPort = listening.Port;
            StackConfig.PointDriver(ConfigDir, "reachy-mini", listening.GetLeftPart(UriPartial.Authority));
        }
    }


    /// <summary>The live processes whose parent is <paramref name="pid"/>, by pid and start time.</summary>
    private static List<ProcessIdentity> ChildrenOf(int pid)
        => [.. Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Select(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : 0)
            .Where(p => p > 0 && ProcessIdentity.ParentOf(p) == pid)
            .Select(ProcessIdentity.Of).OfType<ProcessIdentity>()];

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}

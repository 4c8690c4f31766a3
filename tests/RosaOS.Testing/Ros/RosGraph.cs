using System.Diagnostics;

namespace RosaOS.Testing.Ros;

/// <summary>
/// A real ROS 1 graph from Debian for tests: roscore on a free port (FreePort: every node must know the master's URI before it
/// starts, and roscore does not report a port it was given 0 for; its own ROS_HOME), the rospy stand-in
/// TurtleBot and the rospy rosbridge-protocol server from tests/ros, each in its own process group, plus
/// rostopic/rosservice/rosparam as independent witnesses. Dispose stops them all.
/// </summary>
public sealed class RosGraph : IAsyncDisposable
{
    private readonly string _home;
    private RosaProcess? _core;
    private RosaProcess? _robot;

    private RosGraph()
    {
        MasterPort = FreePort.Next();
        _home = TestPaths.NewTempDirectory("roshome");
        Environment = new Dictionary<string, string?>
        {
            ["ROS_MASTER_URI"] = $"http://localhost:{MasterPort}",
            ["ROS_HOSTNAME"] = "localhost",
            ["ROS_IP"] = null,
            ["ROS_HOME"] = _home,
            ["ROS_LOG_DIR"] = Path.Combine(_home, "log"),
            ["PYTHONUNBUFFERED"] = "1",
        };
    }

    /// <summary>The stand-in TurtleBot; its output lists each distinct /cmd_vel command it received ("cmd_vel linear.x=… angular.z=…").</summary>
    public RosaProcess Robot => _robot ?? throw new InvalidOperationException("the graph is not started");

    /// <summary>The rosbridge-protocol server (restartable with <see cref="RestartBridgeAsync"/>).</summary>
    public RosaProcess? Bridge { get; private set; }

    public int MasterPort { get; }

    /// <summary>The bridge's port: 0 until its first start reports the port the OS gave it; a restart binds that one again.</summary>
    public int BridgePort { get; private set; }

    public Uri BridgeUrl => new($"ws://127.0.0.1:{BridgePort}");

    /// <summary>The ROS environment every process of this graph needs.</summary>
    public IDictionary<string, string?> Environment { get; }

    /// <summary>The rospy scripts (fake_turtlebot.py, rosbridge_lite.py).</summary>
    public static string ScriptsDir => Path.Combine(TestPaths.RepoRoot, "tests", "ros");

    /// <summary>Starts roscore, the stand-in robot and the bridge, and waits until each is ready.</summary>
    public static async Task<RosGraph> StartAsync()
    {
        var graph = new RosGraph();
        try
        {
            graph._core = RosaProcess.Start("/usr/bin/roscore", ["-p", graph.MasterPort.ToString(System.Globalization.CultureInfo.InvariantCulture)], graph.Environment, name: "roscore");
            await graph._core.WaitForLineAsync(l => l.Contains("started core service [/rosout]", StringComparison.Ordinal));
            graph._robot = RosaProcess.Start("/usr/bin/python3", [Path.Combine(ScriptsDir, "fake_turtlebot.py")], graph.Environment, name: "fake_turtlebot");
            await graph._robot.WaitForLineAsync(l => l.Contains("fake_turtlebot ready", StringComparison.Ordinal));
            await graph.StartBridgeAsync();
            return graph;
        }
        catch
        {
            await graph.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills the bridge (SIGKILL, like a crash) and starts a new one on the same port.</summary>
    public async Task RestartBridgeAsync(TimeSpan downtime)
    {
        if (Bridge is not null)
        {
            Bridge.SignalGroup(9);
            await Bridge.WaitForExitAsync();
            await Bridge.DisposeAsync();
            Bridge = null;
        }
        // The outage the caller asked for (what a reconnect test is about), not a wait for state.
        await Task.Delay(downtime);
        await StartBridgeAsync();
    }

    /// <summary>Stops the bridge without restarting it.</summary>
    public async Task StopBridgeAsync()
    {
        if (Bridge is not null)
        {
            Bridge.SignalGroup(9);
            await Bridge.WaitForExitAsync();
            await Bridge.DisposeAsync();
            Bridge = null;
        }
    }

    public async Task StartBridgeAsync()
    {
        Bridge = RosaProcess.Start("/usr/bin/python3", [Path.Combine(ScriptsDir, "rosbridge_lite.py"), "--port", BridgePort.ToString(System.Globalization.CultureInfo.InvariantCulture)], Environment, name: "rosbridge_lite");
        var started = await Bridge.WaitForLineAsync(l => l.Contains("server started on port", StringComparison.Ordinal));
        BridgePort = int.Parse(started[(started.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a ROS command-line tool (rostopic, rosservice, rosparam) on this graph and returns its output.</summary>
    public async Task<string> RunAsync(string tool, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (k, v) in Environment)
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', psi.ArgumentList)} did not finish; stderr: {await stderr}");
        }
        return await stdout + await stderr;
    }

    /// <summary>Starts a ROS command-line tool in the background (e.g. rostopic echo -n 1) to witness what happens next.</summary>
    public RosaProcess StartWitness(string tool, IEnumerable<string> args) => RosaProcess.Start(tool, args, Environment, name: Path.GetFileName(tool));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { Bridge, _robot, _core })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

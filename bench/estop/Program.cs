// Emergency-stop latency, observed from outside the stop's own code: the time from the stop request to
//  - the simulated Reachy's head no longer moving (the control tick, from the daemon's state stream, whose frames carry it);
//  - a rospy subscriber on the test ROS 1 graph seeing zero velocity on /cmd_vel, the cancel request of the running
//    action goal, and its PREEMPTED result;
// for each path: the kernel (POST /api/estop), the direct path of `rosa estop` (its client, in this process, warm), and
// the `rosa estop` program started for each stop. Prints p50/p99/max per path and observation.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.EmergencyStop;
using RosaOS.Testing;
using RosaOS.Testing.Ros;

var stops = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
var repo = TestPaths.RepoRoot;
Console.WriteLine($"machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

await using var graph = await RosGraph.StartAsync();
var data = TestPaths.NewTempDirectory("estopbench");
var config = TestPaths.NewTempDirectory("estopbenchcfg");
int simPort = FreePort.Next(), reachyPort = FreePort.Next(), rosPort = FreePort.Next(), kernelPort = FreePort.Next();
    File.WriteAllText(Path.Combine(config, "drivers.json"), new JsonObject
    {
        ["mcpServers"] = new JsonObject
        {
            ["reachy-mini"] = new JsonObject { ["url"] = $"http://127.0.0.1:{reachyPort}/mcp", ["description"] = "Reachy Mini" },
            ["turtlebot"] = new JsonObject
            {
                ["url"] = $"http://127.0.0.1:{rosPort}/mcp",
                ["description"] = "TurtleBot stand-in",
                ["ros"] = new JsonObject { ["rosbridge"] = graph.BridgeUrl.ToString(), ["safety"] = new JsonObject { ["max_publish_seconds"] = 60 } },
            },
        },
    }.ToJsonString());
    foreach (var file in (string[])["kernel.txt", "process.txt"])
    {
        File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(config, file));
    }
var env = new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = data, ["ROSAOS_CONFIG_DIR"] = config, ["ROSA_LOG_LEVEL"] = "Warning" };
var processes = new List<RosaProcess>();
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
try
{
    var sim = Track(RosaProcess.StartRosa(["sim", "--port", Str(simPort)], env));
    await sim.WaitForHttpAsync($"http://127.0.0.1:{simPort}/api/daemon/status");
    await WaitAsync(async () => (await Json($"http://127.0.0.1:{simPort}/api/daemon/status"))["state"]!.ToString() == "running", "the simulated robot");
    var reachy = Track(RosaProcess.StartRosa(["reachy", "--port", Str(reachyPort), "--daemon", $"http://127.0.0.1:{simPort}", "--no-listen"], env));
    var ros = Track(RosaProcess.StartRosa(["ros", "--name", "turtlebot"], env));
    await reachy.WaitForHttpAsync($"http://127.0.0.1:{reachyPort}/health");
    await ros.WaitForHttpAsync($"http://127.0.0.1:{rosPort}/health");
    await WaitAsync(async () => (await Json($"http://127.0.0.1:{rosPort}/health"))["connected"]!.GetValue<bool>(), "rosa ros to connect");
    var kernel = Track(RosaProcess.StartRosa(["kernel", "--port", Str(kernelPort), "--process-port", Str(FreePort.Next()), "--pool-size", "0"],
        new Dictionary<string, string?>(env) { ["LOCAL_LLM_PORT"] = Str(FreePort.Next()) }));
    await kernel.WaitForHttpAsync($"http://127.0.0.1:{kernelPort}/health");
    var witness = Track(RosaProcess.Start("/usr/bin/python3", [Path.Combine(repo, "bench", "estop", "witness.py")], graph.Environment, name: "witness"));
    await witness.WaitForLineAsync(l => l == "witness ready");

    await using var head = await HeadWatch.StartAsync(new Uri($"ws://127.0.0.1:{simPort}/api/state/ws/full?frequency=100&with_head_pose=true"));
    await using var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{rosPort}/mcp") }),
        new McpClientOptions { ProtocolVersion = "2025-11-25" });
    using var direct = new EmergencyStopClient();
    StopTarget[] targets =
    [
        new("reachy-mini", new Uri($"http://127.0.0.1:{reachyPort}/estop"), null),
        new("turtlebot", new Uri($"http://127.0.0.1:{rosPort}/estop"), null),
    ];

    var paths = new (string Name, Func<Task> Stop)[]
    {
        ("kernel POST /api/estop", async () =>
        {
            using var response = await http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{kernelPort}/api/estop"), new { source = "api" });
            response.EnsureSuccessStatusCode();
        }),
        ("rosa estop's client (in process)", async () => await direct.EngageAllAsync(targets, new EngageRequest { Source = "cli" }, TimeSpan.FromSeconds(2), CancellationToken.None)),
        ("rosa estop program", async () =>
        {
            await using var cli = RosaProcess.StartRosa(["estop", "--kernel-url", $"http://127.0.0.1:{kernelPort}"], env);
            await cli.WaitForExitAsync();
        }),
    };
    var results = new List<(string Path, string What, List<double> Ms)>();
    var first = true;
    foreach (var (name, stop) in paths)
    {
        var series = new Dictionary<string, List<double>> { ["reachy head still"] = [], ["cmd_vel zero seen"] = [], ["goal cancel seen"] = [], ["goal PREEMPTED seen"] = [], ["answer"] = [] };
        for (var i = 0; i < stops + (first ? 1 : 0); i++)
        {
            await ReleaseAsync();
            var (drive, goal) = await StartMotionAsync(i);
            var t0 = Stopwatch.GetTimestamp();
            var t0Wall = DateTimeOffset.UtcNow;
            await stop();
            var answered = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            await Task.WhenAll(drive, goal).WaitAsync(TimeSpan.FromSeconds(15));
            await head.WaitForFramesAfterAsync(t0Wall + TimeSpan.FromMilliseconds(600));
            var sample = new Dictionary<string, double?>
            {
                ["reachy head still"] = head.StoppedAfter(t0Wall)?.TotalMilliseconds,
                ["cmd_vel zero seen"] = Witnessed(witness, t0, "cmd_vel", v => Math.Abs(double.Parse(v, CultureInfo.InvariantCulture)) < 1e-6),
                ["goal cancel seen"] = Witnessed(witness, t0, "cancel", _ => true),
                ["goal PREEMPTED seen"] = Witnessed(witness, t0, "result", v => v == "2"),
                ["answer"] = answered,
            };
            if (first)
            {
                // The first stop after the processes started pays for compiling the stop's code; reported apart.
                Console.WriteLine($"first stop after start ({name}): " + string.Join(", ", sample.Select(s => $"{s.Key} {Fmt(s.Value)}")));
                first = false;
                continue;
            }
            foreach (var (what, ms) in sample)
            {
                series[what].Add(ms ?? double.NaN);
            }
        }
        results.AddRange(series.Select(s => (name, s.Key, s.Value)));
        Console.WriteLine($"{name}: {stops} stops done");
    }
    await ReleaseAsync();

    Console.WriteLine();
    Console.WriteLine($"{stops} stops during motion per path; ms from the stop request; missing = not observed within 600 ms");
    Console.WriteLine($"{"path",-34} {"observation",-22} {"p50",8} {"p99",8} {"max",8} {"missing",8}");
    foreach (var (path, what, ms) in results)
    {
        var seen = ms.Where(double.IsFinite).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{path,-34} {what,-22} {Percentile(seen, 0.50),8:0.0} {Percentile(seen, 0.99),8:0.0} {(seen.Count > 0 ? seen[^1] : double.NaN),8:0.0} {ms.Count - seen.Count,8}"));
    }
    return 0;

    async Task ReleaseAsync()
    {
        using var response = await http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{kernelPort}/api/estop/release"), new { by = "cli", confirm = true });
        response.EnsureSuccessStatusCode();
        foreach (var target in targets)
        {
            await WaitAsync(async () => !(await Json(target.EstopUrl.ToString()))["engaged"]!.GetValue<bool>(), $"{target.Name} released");
        }
        await WaitAsync(async () => (await JsonArray($"http://127.0.0.1:{simPort}/api/move/running")).Count == 0, "the head idle");
    }

    async Task<(Task Drive, Task Goal)> StartMotionAsync(int i)
    {
        var yaw = i % 2 == 0 ? 1.0 : -1.0;
        using (var response = await http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{simPort}/api/move/goto"),
            new { head_pose = new { x = 0, y = 0, z = 0, roll = 0, pitch = 0, yaw }, duration = 6.0 }))
        {
            response.EnsureSuccessStatusCode();
        }
        var started = Stopwatch.GetTimestamp();
        var drive = mcp.CallToolAsync("publish_for_durations", new Dictionary<string, object?>
        {
            ["topic"] = "/cmd_vel",
            ["msg_type"] = "geometry_msgs/Twist",
            ["messages"] = new[] { new { linear = new { x = 0.2 } } },
            ["durations"] = s_driveSeconds,
            ["rate_hz"] = 20,
        }).AsTask();
        var goal = mcp.CallToolAsync("send_action_goal", new Dictionary<string, object?>
        {
            ["action_name"] = "/dock_action",
            ["action_type"] = "actionlib/TestAction",
            ["goal"] = new { goal = 1100 },
            ["timeout"] = 30,
        }).AsTask();
        await WaitAsync(() => Task.FromResult(Witnessed(witness, started, "cmd_vel", v => v.StartsWith("0.2", StringComparison.Ordinal)) is not null), "the base driving");
        await WaitAsync(async () => JsonNode.Parse(Text(await mcp.CallToolAsync("get_action_status")))!["running"]!.AsArray().Count == 1, "the goal running");
        await WaitAsync(() => Task.FromResult(head.Moving), "the head moving");
        return (drive, goal);
    }

    async Task<JsonObject> Json(string url) => JsonNode.Parse(await http.GetStringAsync(new Uri(url)))!.AsObject();

    async Task<JsonArray> JsonArray(string url) => JsonNode.Parse(await http.GetStringAsync(new Uri(url)))!.AsArray();

    RosaProcess Track(RosaProcess process)
    {
        processes.Add(process);
        return process;
    }
}
finally
{
    for (var i = processes.Count - 1; i >= 0; i--)
    {
        await processes[i].DisposeAsync();
    }
}

static async Task WaitAsync(Func<Task<bool>> condition, string what)
{
    var watch = Stopwatch.StartNew();
    while (!await condition())
    {
        if (watch.Elapsed > TimeSpan.FromSeconds(60))
        {
            throw new TimeoutException($"waited 60 s for {what}");
        }
        await Task.Delay(10);
    }
}

// The first witness line of a kind after t0 (Stopwatch ticks, CLOCK_MONOTONIC in ns on Linux) whose value matches, in ms after t0.
static double? Witnessed(RosaProcess witness, long t0, string kind, Func<string, bool> accept)
{
    var t0Ns = t0 * (1_000_000_000.0 / Stopwatch.Frequency);
    foreach (var line in witness.Lines)
    {
        var parts = line.Split(' ');
        if (parts.Length == 3 && parts[0] == kind && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var ns) && ns > t0Ns && accept(parts[2]))
        {
            return (ns - t0Ns) / 1e6;
        }
    }
    return null;
}

static string Text(ModelContextProtocol.Protocol.CallToolResult result)
    => string.Concat(result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text));

static double Percentile(List<double> sorted, double p)
    => sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

static string Fmt(double? ms) => ms is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : "not seen";

static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

/// <summary>The head's yaw per control tick, from the daemon's state stream (each frame carries its tick's time).</summary>
internal sealed class HeadWatch : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly List<(DateTimeOffset Tick, double Yaw)> _ticks = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _reading = Task.CompletedTask;

    public static async Task<HeadWatch> StartAsync(Uri url)
    {
        var watch = new HeadWatch();
        await watch._socket.ConnectAsync(url, CancellationToken.None);
        watch._reading = watch.ReadAsync();
        return watch;
    }

    /// <summary>True when the last two ticks differ.</summary>
    public bool Moving
    {
        get
        {
            lock (_ticks)
            {
                return _ticks.Count >= 2 && Math.Abs(_ticks[^1].Yaw - _ticks[^2].Yaw) > 1e-5;
            }
        }
    }

    public async Task WaitForFramesAfterAsync(DateTimeOffset until)
    {
        while (true)
        {
            lock (_ticks)
            {
                if (_ticks.Count > 0 && _ticks[^1].Tick >= until)
                {
                    return;
                }
            }
            await Task.Delay(10);
        }
    }

    /// <summary>Time from <paramref name="t0"/> to the first tick that did not move the head, after which none did.</summary>
    public TimeSpan? StoppedAfter(DateTimeOffset t0)
    {
        lock (_ticks)
        {
            var after = _ticks.Where(t => t.Tick >= t0 - TimeSpan.FromMilliseconds(40)).ToList();
            for (var i = after.Count - 1; i > 0; i--)
            {
                if (Math.Abs(after[i].Yaw - after[i - 1].Yaw) > 1e-6)
                {
                    // Tick i still moved; the next one is the first still tick.
                    return i + 1 < after.Count ? after[i + 1].Tick - t0 : null;
                }
            }
            return null;
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, _stop.Token);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);
                var frame = JsonNode.Parse(Encoding.UTF8.GetString(message.ToArray()))!;
                var tick = DateTimeOffset.Parse(frame["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture);
                var yaw = frame["head_pose"]!["yaw"]!.GetValue<double>();
                lock (_ticks)
                {
                    // The stream repeats a tick until the next one; keep one entry per tick.
                    if (_ticks.Count == 0 || _ticks[^1].Tick != tick)
                    {
                        _ticks.Add((tick, yaw));
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _socket.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Constants of the benchmark.</summary>
internal static partial class Program
{
    private static readonly double[] s_driveSeconds = [10.0];
}

// Benchmark of `rosa sim`: control-loop period jitter and /ws/sdk fan-out. Run through bench/sim/run.sh,
// which starts the simulator and passes its port: dotnet run bench/sim/SimBench.cs -- <port> <pid> [seconds]
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

var port = int.Parse(args[0], CultureInfo.InvariantCulture);
var pid = int.Parse(args[1], CultureInfo.InvariantCulture);
var seconds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

// 1. Control loop: the simulator records every control period over a 30 s window; wait a full window.
Console.WriteLine($"control loop: measuring {seconds} s of 50 Hz ticks...");
var cpuBefore = CpuSeconds(pid);
var wall = Stopwatch.StartNew();
await Task.Delay(TimeSpan.FromSeconds(seconds));
var cpuIdle = (CpuSeconds(pid) - cpuBefore) / wall.Elapsed.TotalSeconds;
var loop = JsonNode.Parse(await http.GetStringAsync(new Uri("sim/loop", UriKind.Relative)))!;
Console.WriteLine(Invariant($"control period: samples {loop["samples"]}, p50 {loop["p50_ms"]} ms, p99 {loop["p99_ms"]} ms, max {loop["max_ms"]} ms (target 20 ms)"));
Console.WriteLine(Invariant($"control jitter |period-20ms|: p50 {loop["jitter_p50_ms"]} ms, p99 {loop["jitter_p99_ms"]} ms"));
Console.WriteLine(Invariant($"sim CPU while idle: {cpuIdle * 100:F1} % of one core (target under 5 %), RSS {RssMb(pid):F0} MB, PSS {PssMb(pid):F0} MB"));

// 2. /ws/sdk fan-out to 10 clients, one of them never reading (it must not slow the others).
const int Clients = 10;
var fanoutSeconds = Math.Min(seconds, 10);
Console.WriteLine($"/ws/sdk fan-out: {Clients} clients for {fanoutSeconds} s (client 0 never reads)...");
var sockets = new List<ClientWebSocket>();
for (var i = 0; i < Clients; i++)
{
    var socket = new ClientWebSocket();
    await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws/sdk"), CancellationToken.None);
    sockets.Add(socket);
}
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(fanoutSeconds));
cpuBefore = CpuSeconds(pid);
wall.Restart();
var readers = sockets.Skip(1).Select(s => ReadAsync(s, stop.Token)).ToArray();
var results = await Task.WhenAll(readers);
var cpuFanout = (CpuSeconds(pid) - cpuBefore) / wall.Elapsed.TotalSeconds;
var rates = results.Select(r => r.Joints / (double)fanoutSeconds).ToArray();
var gaps = results.SelectMany(r => r.Gaps).Order().ToArray();
Console.WriteLine(Invariant($"per reading client: joint_positions {rates.Min():F1}..{rates.Max():F1} Hz, head_pose {results.Min(r => r.Poses) / (double)fanoutSeconds:F1} Hz, daemon_status {results.Min(r => r.Statuses)} in {fanoutSeconds} s"));
Console.WriteLine(Invariant($"joint_positions inter-arrival over all readers: p50 {At(gaps, 0.5):F2} ms, p99 {At(gaps, 0.99):F2} ms, max {gaps[^1]:F2} ms"));
Console.WriteLine(Invariant($"sim CPU with {Clients} clients: {cpuFanout * 100:F1} % of one core, RSS {RssMb(pid):F0} MB"));
foreach (var socket in sockets)
{
    socket.Abort();
    socket.Dispose();
}
return 0;

static async Task<(int Joints, int Poses, int Statuses, List<double> Gaps)> ReadAsync(ClientWebSocket socket, CancellationToken token)
{
    var buffer = new byte[65536];
    int joints = 0, poses = 0, statuses = 0;
    var gaps = new List<double>();
    var last = 0L;
    try
    {
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, token);
            if (!result.EndOfMessage)
            {
                continue;
            }
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count);
            if (text.Contains("\"joint_positions\"", StringComparison.Ordinal))
            {
                joints++;
                var now = Stopwatch.GetTimestamp();
                if (last != 0)
                {
                    gaps.Add((now - last) * 1000.0 / Stopwatch.Frequency);
                }
                last = now;
            }
            else if (text.Contains("\"head_pose\"", StringComparison.Ordinal))
            {
                poses++;
            }
            else if (text.Contains("\"daemon_status\"", StringComparison.Ordinal))
            {
                statuses++;
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
    return (joints, poses, statuses, gaps);
}

static double At(double[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[(int)Math.Round(q * (sorted.Length - 1))];

static double CpuSeconds(int pid)
{
    // /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks (100 Hz on Linux).
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static double RssMb(int pid)
{
    var line = File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

static double PssMb(int pid)
{
    // Proportional set size: shared runtime pages divided among the processes that map them.
    var line = File.ReadAllLines($"/proc/{pid}/smaps_rollup").First(l => l.StartsWith("Pss:", StringComparison.Ordinal));
    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
}

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModelContextProtocol.Client;

// Round trip of a trivial MCP tool call through `rosa reachy` (list_emotions: no robot involved) and, with the
// same client in the same run, through the TypeScript SDK's server-everything `echo`. Prints p50/p99 and the ratio.
var repo = args.Length > 0 ? args[0] : Directory.GetCurrentDirectory();
var calls = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var tools = Environment.GetEnvironmentVariable("ROSAOS_TOOLS_DIR") ?? Path.Combine(repo, ".tools");
var rosa = Path.Combine(repo, "artifacts", "bin", "RosaOS.Cli", "release_" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "rosa");
var node = Path.Combine(tools, "node", "node_modules", "node-" + System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier.Replace("osx-", "darwin-", StringComparison.Ordinal), "bin", "node");
var everything = Path.Combine(tools, "node", "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");

var reachyPort = FreePort();
var everythingPort = FreePort();
using var reachy = Start(rosa, ["reachy", "--port", reachyPort.ToString(CultureInfo.InvariantCulture), "--daemon", $"http://127.0.0.1:{FreePort()}"], []);
using var ts = Start(node, [everything, "streamableHttp"], new() { ["PORT"] = everythingPort.ToString(CultureInfo.InvariantCulture) });
try
{
    var reachyResult = await MeasureAsync($"http://127.0.0.1:{reachyPort}/mcp", "list_emotions", [], calls);
    var tsResult = await MeasureAsync($"http://127.0.0.1:{everythingPort}/mcp", "echo", new() { ["message"] = "hello" }, calls);
    Console.WriteLine($"machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
    Console.WriteLine($"calls per server: {calls} (after 200 warm-up calls), one client, sequential");
    Print("rosa reachy list_emotions", reachyResult);
    Print("server-everything echo   ", tsResult);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ratio rosa/everything: p50 {reachyResult.P50 / tsResult.P50:0.00}x, p99 {reachyResult.P99 / tsResult.P99:0.00}x"));
}
finally
{
    Stop(reachy);
    Stop(ts);
}

static async Task<(double P50, double P99, double Mean)> MeasureAsync(string url, string tool, Dictionary<string, object?> arguments, int calls)
{
    var deadline = Stopwatch.StartNew();
    McpClient? client = null;
    while (client is null)
    {
        try
        {
            client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(url), TransportMode = HttpTransportMode.StreamableHttp }),
                new McpClientOptions { ProtocolVersion = "2025-11-25" });
        }
        catch (Exception) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(200);
        }
    }
    await using var _ = client;
    for (var i = 0; i < 200; i++)
    {
        await client.CallToolAsync(tool, arguments);
    }
    var samples = new double[calls];
    for (var i = 0; i < calls; i++)
    {
        var watch = Stopwatch.StartNew();
        var result = await client.CallToolAsync(tool, arguments);
        samples[i] = watch.Elapsed.TotalMilliseconds;
        if (result.IsError == true)
        {
            throw new InvalidOperationException($"{tool} failed on {url}");
        }
    }
    Array.Sort(samples);
    return (samples[calls / 2], samples[(int)(calls * 0.99)], samples.Average());
}

static void Print(string name, (double P50, double P99, double Mean) r)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: p50 {r.P50:0.000} ms, p99 {r.P99:0.000} ms, mean {r.Mean:0.000} ms"));

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static Process Start(string file, string[] arguments, Dictionary<string, string> environment)
{
    var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments)
    {
        psi.ArgumentList.Add(a);
    }
    foreach (var (k, v) in environment)
    {
        psi.Environment[k] = v;
    }
    var process = Process.Start(psi)!;
    process.OutputDataReceived += (_, _) => { };
    process.ErrorDataReceived += (_, _) => { };
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

static void Stop(Process process)
{
    if (!process.HasExited)
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(5000);
    }
}

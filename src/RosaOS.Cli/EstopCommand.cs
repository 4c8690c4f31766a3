using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Kernel;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Cli;

/// <summary>
/// The `rosa estop` sub-command: engages (default), releases (<c>--release</c>, a person's decision, confirmed) or shows
/// (<c>--status</c>) the emergency stop of every driver in drivers.json, directly and in parallel over each driver's own
/// /estop endpoint, so it works with the kernel down. The kernel is told too: when it runs, it terminates its workers and
/// audits; when it does not, its latch file in the data folder is written so it starts with the stop engaged.
/// </summary>
internal static class EstopCommand
{
    public static Command Create()
    {
        var release = new Option<bool>("--release") { Description = "Release the stop (a person's decision: asks for confirmation unless --yes)." };
        var status = new Option<bool>("--status") { Description = "Show each driver's latch and exit (0 when released everywhere, 1 when engaged anywhere)." };
        var yes = new Option<bool>("--yes") { Description = "Confirm --release without a prompt: you checked the robots and the people near them are safe." };
        var reason = new Option<string?>("--reason") { Description = "Why (kept with the latch and in the audit log)." };
        var deadline = new Option<double>("--deadline") { Description = "Seconds each driver may take to answer.", DefaultValueFactory = _ => 2 };
        var kernelUrl = new Option<string?>("--kernel-url") { Description = "Kernel URL (default RAG_AGENT_URL, else http://localhost:RAG_AGENT_PORT)." };
        var json = new Option<bool>("--json") { Description = "Print the answers as JSON." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Data folder holding the kernel's latch, used when the kernel is not running (default ROSAOS_DATA_DIR or ./data)." };
        var command = new Command("estop", "Emergency stop of every robot in drivers.json, directly (works with the kernel down); --release, --status.")
        {
            release, status, yes, reason, deadline, kernelUrl, json, dataDir,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            IReadOnlyList<StopTarget> targets;
            Uri kernel;
            TimeSpan limit;
            try
            {
                if (parse.GetValue(release) && parse.GetValue(status))
                {
                    throw new ArgumentException("--release and --status exclude each other.");
                }
                var seconds = parse.GetValue(deadline);
                limit = double.IsFinite(seconds) && seconds is > 0 and <= 60 ? TimeSpan.FromSeconds(seconds) : throw new ArgumentException($"--deadline must be in (0, 60] seconds, got {seconds}.");
                if (parse.GetValue(reason) is { Length: > EstopContract.MaxTextLength } r)
                {
                    throw new ArgumentException($"--reason is {r.Length} characters; at most {EstopContract.MaxTextLength}.");
                }
                targets = EstopTargets.From(DriversConfig.Load(RosaEnvironment.ConfigDirectory).Enabled);
                var url = parse.GetValue(kernelUrl) ?? RosaEnvironment.Get("RAG_AGENT_URL") ?? $"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}";
                kernel = Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                    ? u : throw new ArgumentException($"--kernel-url {url} is not an http(s) URL.");
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"rosa estop: {e.Message}");
                return 2;
            }
            var run = new EstopRun(targets, kernel, Path.GetFullPath(parse.GetValue(dataDir) ?? RosaEnvironment.DataDirectory), limit, parse.GetValue(json));
            if (parse.GetValue(status))
            {
                return await run.StatusAsync(cancellationToken);
            }
            if (parse.GetValue(release))
            {
                if (!parse.GetValue(yes) && !Confirm())
                {
                    await Console.Error.WriteLineAsync("rosa estop: not released. Pass --yes (or type 'release' at the prompt) once the robots and the people near them are safe.");
                    return 2;
                }
                return await run.ReleaseAsync(cancellationToken);
            }
            return await run.EngageAsync(parse.GetValue(reason), cancellationToken);
        });
        return command;
    }

    private static bool Confirm()
    {
        if (Console.IsInputRedirected)
        {
            return false;
        }
        Console.Write("Release the emergency stop of every robot? Agents may move them again. Type 'release' to confirm: ");
        return string.Equals(Console.ReadLine()?.Trim(), "release", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>One invocation of <c>rosa estop</c>.</summary>
internal sealed class EstopRun(IReadOnlyList<StopTarget> targets, Uri kernel, string dataDirectory, TimeSpan deadline, bool json)
{
    private static readonly JsonSerializerOptions s_print = new() { WriteIndented = true };

    public async Task<int> EngageAsync(string? reason, CancellationToken cancellationToken)
    {
        using var client = new EmergencyStopClient();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var watch = System.Diagnostics.Stopwatch.StartNew();
        // The drivers are stopped directly; the kernel is told at the same time (it terminates workers and audits).
        var drivers = client.EngageAllAsync(targets, new EngageRequest { Source = EstopContract.Sources.Cli, Reason = reason }, deadline, CancellationToken.None);
        var kernelAnswer = KernelAsync(http, "engage", (client, limit, token) => client.EngageEstopAsync(new EstopRequest(EstopContract.Sources.Cli, reason), limit, token),
            latch => latch.Engage(EstopContract.Sources.Cli, reason).Persisted, cancellationToken);
        var results = await drivers;
        var elapsed = watch.Elapsed.TotalMilliseconds;
        var kernelLine = await kernelAnswer;
        var ok = results.All(r => r.Ok);
        if (json)
        {
            Print(new JsonObject { ["action"] = "engage", ["ok"] = ok, ["elapsed_ms"] = Math.Round(elapsed, 1), ["drivers"] = Node(results), ["kernel"] = kernelLine });
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"EMERGENCY STOP ENGAGED ({elapsed:0} ms){(ok ? "" : ": NOT EVERY ROBOT CONFIRMED THE STOP")}"));
            PrintDrivers(results, r => r.Ok ? "stopped" : r.Answered ? "NOT REACHED" : "NO ANSWER");
            Console.WriteLine($"  {"kernel",-26} {kernelLine?["summary"]}");
            Console.WriteLine("Release it (once safe) in the UI or with: rosa estop --release");
        }
        return ok ? 0 : 1;
    }

    public async Task<int> ReleaseAsync(CancellationToken cancellationToken)
    {
        using var client = new EmergencyStopClient();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        // Drivers first, the kernel last, so the kernel never sees a driver still engaged after its own release.
        var results = await client.ReleaseAllAsync(targets, new ReleaseRequest { By = EstopContract.Sources.Cli, Confirm = true }, deadline, cancellationToken);
        var kernelLine = await KernelAsync(http, "release", (client, limit, token) => client.ReleaseEstopAsync(new EstopReleaseRequest(EstopContract.Sources.Cli, true), limit, token),
            latch =>
            {
                latch.Release(EstopContract.Sources.Cli);
                return Task.CompletedTask;
            }, cancellationToken);
        var stillEngaged = results.Where(r => r.Engaged == true || (!r.Answered && !r.Summary.StartsWith("not running", StringComparison.Ordinal))).ToList();
        if (json)
        {
            Print(new JsonObject { ["action"] = "release", ["ok"] = stillEngaged.Count == 0, ["drivers"] = Node(results), ["kernel"] = kernelLine });
        }
        else
        {
            Console.WriteLine(stillEngaged.Count == 0 ? "Emergency stop released." : "Emergency stop released, EXCEPT where shown below.");
            PrintDrivers(results, r => r.Ok ? "released" : r.Answered ? "STILL ENGAGED" : "NO ANSWER");
            Console.WriteLine($"  {"kernel",-26} {kernelLine?["summary"]}");
        }
        return stillEngaged.Count == 0 ? 0 : 1;
    }

    public async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        using var client = new EmergencyStopClient();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var results = await client.StateAllAsync(targets, deadline, cancellationToken);
        var kernelLine = await KernelAsync(http, "status", (client, _, token) => client.GetObjectAsync("api/estop", token), null, cancellationToken);
        var engaged = results.Any(r => r.Engaged == true) || kernelLine?["engaged"]?.GetValue<bool>() == true;
        if (json)
        {
            Print(new JsonObject { ["action"] = "status", ["engaged"] = engaged, ["drivers"] = Node(results), ["kernel"] = kernelLine });
        }
        else
        {
            Console.WriteLine(engaged ? "Emergency stop: ENGAGED" : "Emergency stop: released");
            PrintDrivers(results, r => !r.Answered ? "NO ANSWER" : r.Engaged == true ? "ENGAGED" : "released");
            Console.WriteLine($"  {"kernel",-26} {kernelLine?["summary"]}");
        }
        return engaged ? 1 : 0;
    }

    /// <summary>
    /// Calls the kernel; when it is not running, applies <paramref name="offline"/> to its latch file in the data folder
    /// (same machine) so a kernel started later knows. Returns a JSON summary.
    /// </summary>
    private async Task<JsonObject?> KernelAsync(HttpClient http, string action,
        Func<KernelClient, TimeSpan, CancellationToken, Task<KernelReply<JsonObject>>> call, Func<EmergencyStopLatch, Task>? offline, CancellationToken cancellationToken)
    {
        // The kernel answers after its own per-driver deadline (a press may also wait for workers to be terminated).
        var limit = deadline + 2 * EmergencyStopCoordinator.DriverDeadline + TimeSpan.FromSeconds(1);
        // One try: a kernel that is down gets its latch file written at once (below) instead of a wait for it.
        var client = new KernelClient(http, new KernelClientOptions { BaseAddress = kernel, Attempts = 1, AttemptTimeout = limit });
        try
        {
            var reply = await call(client, limit, cancellationToken);
            var answer = JsonNode.Parse(reply.Body) as JsonObject ?? [];
            answer["summary"] = !reply.Success ? $"refused ({reply.Status}): {answer["error"]}"
                : action == "status" ? (answer["engaged"]?.GetValue<bool>() == true ? "ENGAGED" : "released")
                : action == "release" ? "released"
                : $"latched; {(answer["terminated"] as JsonArray)?.Count ?? 0} worker(s) terminated";
            return answer;
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            var file = EmergencyStopCoordinator.KernelLatchName;
            using var latch = new EmergencyStopLatch(file, dataDirectory, TimeProvider.System, NullLogger<EmergencyStopLatch>.Instance);
            if (offline is not null)
            {
                await offline(latch);
            }
            return new JsonObject
            {
                ["engaged"] = latch.IsEngaged,
                ["summary"] = $"not running at {kernel.Authority}; its latch {latch.StatePath} is {(latch.IsEngaged ? "engaged" : "released")}",
            };
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TimeoutException or JsonException)
        {
            return new JsonObject { ["summary"] = $"no usable answer from {kernel.Authority}: {e.Message}" };
        }
    }

    private static void PrintDrivers(IReadOnlyList<DriverEstopResult> results, Func<DriverEstopResult, string> word)
    {
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Driver,-26} {word(r),-13} {r.ElapsedMs,6:0} ms  {r.Summary}"));
        }
    }

    private static JsonNode? Node(IReadOnlyList<DriverEstopResult> results)
        => JsonSerializer.SerializeToNode(results, EstopClientJson.Default.IReadOnlyListDriverEstopResult);

    private static void Print(JsonObject node) => Console.WriteLine(node.ToJsonString(s_print));
}

using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>One service of the stack under test: its name, base URL and process.</summary>
public sealed record Service(string Name, string BaseUrl, RosaProcess Process);

/// <summary>
/// Every HTTP service of rosaOS as real processes on free loopback ports: <c>rosa sim</c>, <c>rosa reachy</c>, <c>rosa ros</c>
/// (its rosbridge a dead port: it serves its tools and its stop anyway) and <c>rosa kernel</c> (API and process-manager MCP ports),
/// with no LLM. The simulator trusts the kernel page's origin, as under <c>rosa up</c>.
/// </summary>
public sealed class SecurityStack : IAsyncLifetime
{
    private readonly List<RosaProcess> _processes = [];

    public int SimPort { get; } = FreePort.Next();
    public int ReachyPort { get; } = FreePort.Next();
    public int RosPort { get; } = FreePort.Next();
    public int KernelPort { get; } = FreePort.Next();
    public int ProcessPort { get; } = FreePort.Next();
    public string KernelOrigin => $"http://127.0.0.1:{KernelPort}";
    public List<Service> Services { get; } = [];
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        var config = TestPaths.NewTempDirectory("config");
        StackConfig.Write(config, ReachyPort, RosPort, new Uri($"ws://127.0.0.1:{FreePort.Next()}"));
        var trusted = new Dictionary<string, string?> { ["ROSAOS_TRUSTED_ORIGINS"] = KernelOrigin, ["ROSAOS_CONFIG_DIR"] = config };
        var sim = Start("sim", ["sim", "--port", Port(SimPort), "--dataset", $"pollen-robotics/reachy-mini-emotions-library={TestPaths.EmotionsLibrary}"], trusted, SimPort);
        var reachy = Start("reachy", ["reachy", "--port", Port(ReachyPort), "--daemon", $"http://127.0.0.1:{SimPort}"], trusted, ReachyPort);
        var ros = Start("ros", ["ros", "--name", "turtlebot", "--port", Port(RosPort), "--drivers", Path.Combine(config, "drivers.json")], trusted, RosPort);
        var kernelEnvironment = new Dictionary<string, string?>(trusted)
        {
            ["LOCAL_LLM_PORT"] = Port(FreePort.Next()),
            ["ROSA_DAEMON_URL"] = $"http://127.0.0.1:{SimPort}",
        };
        var kernel = Start("kernel", ["kernel", "--port", Port(KernelPort), "--process-port", Port(ProcessPort)], kernelEnvironment, KernelPort);
        Services.Add(new Service("kernel-mcp", $"http://127.0.0.1:{ProcessPort}", kernel));
        foreach (var service in Services)
        {
            await service.Process.WaitForHttpAsync(service.BaseUrl + "/health");
        }
        _ = (sim, reachy, ros);
    }

    private RosaProcess Start(string name, string[] args, Dictionary<string, string?> environment, int port)
    {
        var process = RosaProcess.StartRosa(args, environment);
        _processes.Add(process);
        Services.Add(new Service(name, $"http://127.0.0.1:{port}", process));
        return process;
    }

    public Service this[string name] => Services.Single(s => s.Name == name);

    /// <summary>The service's route table, as it reports it (<c>GET /_rosa/routes</c>).</summary>
    public async Task<List<(string Pattern, string[] Methods, string[] Hosts)>> RoutesAsync(Service service, CancellationToken cancellationToken)
    {
        var body = await Http.GetFromJsonAsync<JsonObject>(service.BaseUrl + "/_rosa/routes", cancellationToken);
        return body!["routes"]!.AsArray().Select(r => (
            (string)r!["pattern"]!,
            r["methods"]!.AsArray().Select(m => (string)m!).ToArray(),
            r["hosts"]!.AsArray().Select(m => (string)m!).ToArray())).ToList();
    }

    /// <summary>
    /// Routes of <paramref name="service"/> that may change something: every method but GET/HEAD (a route with no method list
    /// takes them all), plus the kernel's draining <c>GET /updates</c>. Patterns bound to another port (RequireHost) are left to that port.
    /// </summary>
    public async Task<List<(string Method, string Path)>> StateChangingAsync(Service service, CancellationToken cancellationToken)
    {
        var result = new List<(string, string)>();
        var port = new Uri(service.BaseUrl).Port.ToString(CultureInfo.InvariantCulture);
        foreach (var (pattern, methods, hosts) in await RoutesAsync(service, cancellationToken))
        {
            if (hosts.Length > 0 && !hosts.Any(h => h.EndsWith(":" + port, StringComparison.Ordinal)))
            {
                continue;
            }
            var path = Fill(pattern);
            foreach (var method in methods.Length == 0 ? ["POST", "PUT", "DELETE"] : methods)
            {
                if (method is not ("GET" or "HEAD" or "OPTIONS") || pattern == "/updates")
                {
                    result.Add((method, path));
                }
            }
        }
        return result;
    }

    /// <summary>A concrete path for a route pattern: parameters get values a real client would send.</summary>
    public static string Fill(string pattern) => System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}([^}:=?]+)[^}]*\}", m => m.Groups[1].Value switch
    {
        "name" => "reachy-mini",
        "tool" => "reset_head",
        "mode" => "enabled",
        "path" => "pollen-robotics/reachy-mini-emotions-library/yes1",
        var other => other,
    });

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            await _processes[i].DisposeAsync();
        }
        Http.Dispose();
    }
}

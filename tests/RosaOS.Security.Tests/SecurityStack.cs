using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Security.Tests;

/// <summary>One service of the stack under test: its name, base URL and process.</summary>
public sealed record Service(string Name, string BaseUrl, RosaProcess Process);

/// <summary>
/// Every HTTP service of rosaOS as real processes on loopback, each on the port the OS gave it (<see cref="TestStack"/>):
/// <c>rosa sim</c>, <c>rosa reachy</c>, <c>rosa ros</c> (its rosbridge a dead port: it serves its tools and its stop anyway) and
/// <c>rosa kernel</c> (API and process-manager MCP ports), with no LLM. Every service trusts the kernel page's origin, as under <c>rosa up</c>.
/// </summary>
public sealed class SecurityStack : IAsyncLifetime
{
    private TestStack? _stack;

    /// <summary>The kernel page's origin, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string KernelOrigin => Stack.KernelUrl;
    public List<Service> Services { get; } = [];
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    private TestStack Stack => _stack ?? throw new InvalidOperationException("not started");

    public async ValueTask InitializeAsync()
    {
        _stack = await TestStack.StartAsync(new TestStackOptions
        {
            Sim = new SimPart { TrustKernelPage = true },
            Reachy = new ReachyPart { TrustKernelPage = true },
            Ros = new RosPart { TrustKernelPage = true, Rosbridge = TestStack.NotRunningRosbridge() },
            Kernel = new KernelPart { TrustKernelPage = true },
        });
        Services.Add(new Service("sim", Stack.SimUrl, Stack.Sim!));
        Services.Add(new Service("reachy", Stack.ReachyUrl, Stack.Reachy!));
        Services.Add(new Service("ros", Stack.RosUrl, Stack.Ros!));
        Services.Add(new Service("kernel", Stack.KernelUrl, Stack.Kernel!));
        Services.Add(new Service("kernel-mcp", Stack.ProcessManagerUrl[..^"/mcp".Length], Stack.Kernel!));
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

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
        Http.Dispose();
    }
}

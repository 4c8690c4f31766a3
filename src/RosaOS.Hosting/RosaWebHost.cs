using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosaOS.Hosting;

/// <summary>
/// The one way every rosaOS HTTP service (sim, reachy, kernel, ros) is hosted: Kestrel on a loopback
/// address by default, a Host-header allowlist against DNS rebinding, the <see cref="RequestGuard"/> (no cross-site requests,
/// JSON-only state-changing bodies), single-line console logs, and a
/// uniform <c>GET /health</c> that <c>rosa status</c> and <c>rosa up</c> read.
/// </summary>
public static class RosaWebHost
{
    /// <summary>Host names accepted in the Host header unless the caller widens the bind address.</summary>
    public const string LoopbackAllowedHosts = "localhost;127.0.0.1;[::1]";

    /// <summary>Creates a web application builder for a rosaOS service.</summary>
    /// <param name="service">Short service name shown in logs and /health (e.g. "sim").</param>
    /// <param name="bindAddress">IP address or host to bind; "127.0.0.1" unless the user asked otherwise.</param>
    /// <param name="port">TCP port; 0 lets the OS choose.</param>
    /// <param name="allowedHosts">Host-header allowlist; null means loopback names only, "*" disables the check.</param>
    public static WebApplicationBuilder CreateBuilder(string service, string bindAddress, int port, string? allowedHosts = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(RosaWebHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // A service bound beyond loopback is reached by its address too; its token (below) is what protects it then.
        allowedHosts ??= AccessPolicy.IsLoopbackBind(bindAddress) ? LoopbackAllowedHosts : NonLoopbackAllowedHosts(bindAddress);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AllowedHosts"] = allowedHosts,
        });
        builder.WebHost.UseKestrelCore();
        var scheme = TlsCertificate.SchemeFor(bindAddress);
        if (scheme == Uri.UriSchemeHttps)
        {
            // Beyond loopback with ROSAOS_TLS_CERT: https on the bound address; a bad certificate stops the start, naming the file.
            var certificate = TlsCertificate.Load();
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = certificate));
        }
        builder.WebHost.UseUrls($"{scheme}://{FormatHost(bindAddress)}:{port}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Services.AddHostFiltering(o =>
        {
            var hosts = (allowedHosts ?? LoopbackAllowedHosts).Split(';', StringSplitOptions.RemoveEmptyEntries);
            o.AllowedHosts = hosts;
            o.AllowEmptyHosts = false;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        ConfigureLogging(builder.Logging, service);
        builder.Services.AddSingleton(new ServiceIdentity(service, Version, DateTimeOffset.UtcNow));
        // Appended, so a JIT build keeps resolving every type by reflection first; a Native AOT build (no reflection-based
        // JSON) finds /health's values here. Each driver appends its own context for its types (EstopJson for "estop").
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(HostingJson.Default));
        builder.Services.AddHostedService<SupervisorWatch>();
        // Port 0 works everywhere: once bound, the service prints "rosaOS <name> listening on <url>" with the port it got.
        builder.Services.AddSingleton(new EndpointNames([service]));
        builder.Services.AddSingleton<BoundAddresses>();
        builder.Services.AddHostedService<ListeningReport>();
        // Every service refuses cross-site browser requests and non-JSON state-changing bodies before any endpoint runs.
        builder.Services.AddOptions<RequestGuardOptions>();
        builder.Services.AddSingleton(AccessPolicy.Create(bindAddress, RosaEnvironment.DataDirectory));
        builder.Services.AddTransient<Microsoft.AspNetCore.Hosting.IStartupFilter, RequestGuardStartupFilter>();
        return builder;
    }

    /// <summary>
    /// Serves several named endpoints (e.g. the kernel's API and its process manager), each reported on its own
    /// <c>rosaOS &lt;name&gt; listening on &lt;url&gt;</c> line and found by name in <see cref="BoundAddresses"/>.
    /// </summary>
    public static void UseNamedUrls(this WebApplicationBuilder builder, IReadOnlyList<(string Name, string Url)> endpoints)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentOutOfRangeException.ThrowIfZero(endpoints.Count);
        builder.WebHost.UseUrls([.. endpoints.Select(e => e.Url)]);
        builder.Services.AddSingleton(new EndpointNames([.. endpoints.Select(e => e.Name)]));
    }

    /// <summary>Single-line, timestamped console logs; the level comes from ROSA_LOG_LEVEL (default Information).</summary>
    public static void ConfigureLogging(ILoggingBuilder logging, string service)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
            o.UseUtcTimestamp = false;
        });
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("ROSA_LOG_LEVEL"), ignoreCase: true, out var parsed)
            ? parsed : LogLevel.Information;
        logging.SetMinimumLevel(level);
        // Framework chatter (every request, every route match) drowns the robot's own logs.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
        _ = service;
    }

    /// <summary>Maps <c>GET /health</c>: service name, version, uptime, plus the service-specific fields <paramref name="extra"/> returns.</summary>
    public static IEndpointConventionBuilder MapRosaHealth(this IEndpointRouteBuilder endpoints, Func<HttpContext, JsonObject>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet("/health", (HttpContext context) =>
        {
            var identity = context.RequestServices.GetRequiredService<ServiceIdentity>();
            var common = new HealthAnswer("ok", identity.Name, identity.Version, Math.Round((DateTimeOffset.UtcNow - identity.StartedAt).TotalSeconds, 1),
                Environment.ProcessId);
            var body = JsonSerializer.SerializeToNode(common, HealthJson.Relaxed.HealthAnswer)!.AsObject();
            if (extra?.Invoke(context) is { } own)
            {
                foreach (var (key, value) in own.ToList())
                {
                    own.Remove(key); // a node has one parent
                    body[key] = value;
                }
            }
            return TypedResults.Json(body, HealthJson.Relaxed.JsonObject);
        });
    }

    /// <summary>The rosaOS version, from the assembly's informational version.</summary>
    public static string Version { get; } =
        typeof(RosaWebHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    /// <summary>Loopback names plus the bound address, or for a wildcard bind (0.0.0.0, ::) every address of this machine and its name,
    /// plus ROSAOS_ALLOWED_HOSTS (';'-separated, e.g. a DNS name or a reverse proxy's host).</summary>
    private static string NonLoopbackAllowedHosts(string bindAddress)
    {
        var hosts = new List<string>(LoopbackAllowedHosts.Split(';'));
        var bare = bindAddress.Trim('[', ']');
        if (System.Net.IPAddress.TryParse(bare, out var ip) && (ip.Equals(System.Net.IPAddress.Any) || ip.Equals(System.Net.IPAddress.IPv6Any)))
        {
            hosts.Add(System.Net.Dns.GetHostName());
            foreach (var nic in System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var a = unicast.Address;
                    hosts.Add(a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString());
                }
            }
        }
        else
        {
            hosts.Add(FormatHost(bare));
        }
        hosts.AddRange((RosaEnvironment.Get("ROSAOS_ALLOWED_HOSTS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return string.Join(';', hosts.Distinct(StringComparer.OrdinalIgnoreCase));
    }

    private static string FormatHost(string bindAddress)
        => bindAddress.Contains(':', StringComparison.Ordinal) && !bindAddress.StartsWith('[') ? $"[{bindAddress}]" : bindAddress;
}

/// <summary>Name, version and start time of the running service, for /health.</summary>
public sealed record ServiceIdentity(string Name, string Version, DateTimeOffset StartedAt);

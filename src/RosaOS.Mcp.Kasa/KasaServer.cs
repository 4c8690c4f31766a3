using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Mcp.Arguments;
using RosaOS.Mcp.Kasa.Protocol;

namespace RosaOS.Mcp.Kasa;

/// <summary>How to reach the bulb.</summary>
public enum KasaProtocol
{
    /// <summary>Try the XOR protocol on port 9999, then KLAP.</summary>
    Auto,

    /// <summary>Legacy XOR on TCP 9999.</summary>
    Xor,

    /// <summary>KLAP over HTTP (newer firmware; needs KASA_USERNAME / KASA_PASSWORD).</summary>
    Klap,
}

/// <summary>Settings of <c>rosa kasa</c>.</summary>
public sealed class KasaOptions
{
    public int Port { get; set; } = 5002;
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>The bulb's address (KASA_HOST); null: discover it.</summary>
    public string? Host { get; set; }
    public int XorPort { get; set; } = 9999;
    public int KlapPort { get; set; } = 80;
    public KasaProtocol Protocol { get; set; } = KasaProtocol.Auto;
    public string UserName { get; set; } = "";
    public string Password { get; set; } = "";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where discovery is sent (default broadcast 255.255.255.255:9999).</summary>
    public IPEndPoint? DiscoveryTarget { get; set; }

    /// <summary>Run a simulated bulb in this process and use it.</summary>
    public bool Simulate { get; set; }

    /// <summary>The driver's drivers.json key: names it in approvals.</summary>
    public string Name { get; set; } = KasaCommand.DefaultName;

    /// <summary>The approval section of that entry (tool names only): the calls that wait for a person. Null: none waits.</summary>
    public ApprovalOptions? Approval { get; set; }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Port, "--port");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, "--port");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, "--timeout");
        if (Protocol == KasaProtocol.Klap && !Simulate && (UserName.Length == 0 || Password.Length == 0))
        {
            throw new ArgumentException("--protocol klap needs KASA_USERNAME and KASA_PASSWORD (the TP-Link account the bulb was set up with).");
        }
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"--name must not be empty (it is the drivers.json key, e.g. \"{KasaCommand.DefaultName}\").");
        }
        // Refuses ROS-only patterns now, not after the server started.
        _ = ApprovalSetup.ToolPolicy(Name, Approval);
    }
}

/// <summary>Finds the bulb (given address or discovery) and picks the protocol on first use.</summary>
public sealed class KasaBulbProvider(KasaOptions options) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KasaBulb? _bulb;
    private IKasaTransport? _transport;

    /// <summary>The bulb, connected on first use.</summary>
    public async Task<KasaBulb> GetAsync(CancellationToken cancellationToken)
    {
        if (_bulb is { } known)
        {
            return known;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_bulb is not null)
            {
                return _bulb;
            }
            var host = options.Host;
            if (host is null)
            {
                var found = await KasaDiscovery.DiscoverAsync(options.DiscoveryTarget, TimeSpan.FromSeconds(2), cancellationToken);
                host = found.Count > 0 ? found[0].Address.ToString()
                    : throw new KasaException("No Kasa bulb answered discovery (UDP 9999 broadcast); give its address with --host or KASA_HOST.");
            }
            if (options.Protocol is KasaProtocol.Xor or KasaProtocol.Auto)
            {
                var xor = new XorTransport(host, options.XorPort, options.Timeout);
                try
                {
                    var bulb = new KasaBulb(xor);
                    await bulb.SysinfoAsync(cancellationToken);
                    _transport = xor;
                    return _bulb = bulb;
                }
                catch (KasaException) when (options.Protocol == KasaProtocol.Auto)
                {
                    // Newer firmware closed port 9999: KLAP below.
                }
            }
            var klap = new KlapTransport(new Uri($"http://{host}:{options.KlapPort.ToString(CultureInfo.InvariantCulture)}"), options.UserName, options.Password, options.Timeout);
            _transport = klap;
            return _bulb = new KasaBulb(klap);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }
        _gate.Dispose();
    }
}

/// <summary>The `rosa kasa` sub-command and its HTTP host.</summary>
public static partial class KasaCommand
{
    /// <summary>Default simulated-bulb credentials when KASA_USERNAME/KASA_PASSWORD are not set.</summary>
    public const string SimUser = "rosa@localhost";

    /// <summary>See <see cref="SimUser"/>.</summary>
    public const string SimPassword = "rosa-sim";

    /// <summary>The shipped drivers.json key of the light.</summary>
    public const string DefaultName = "Kasa Lightbulb Controller";

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "HTTP port of the MCP server (default KASA_MCP_PORT or 5002)." };
        var bind = new Option<string>("--bind") { Description = "Address to bind (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
        var host = new Option<string?>("--host") { Description = "The bulb's address (default KASA_HOST; else UDP discovery)." };
        var protocol = new Option<KasaProtocol>("--protocol") { Description = "auto (XOR on 9999, else KLAP), xor, klap.", DefaultValueFactory = _ => KasaProtocol.Auto };
        var xorPort = new Option<int>("--xor-port") { Description = "TCP port of the XOR protocol (9999).", DefaultValueFactory = _ => 9999 };
        var klapPort = new Option<int>("--klap-port") { Description = "HTTP port of KLAP (80).", DefaultValueFactory = _ => 80 };
        var discovery = new Option<string?>("--discovery-target") { Description = "Where discovery is sent (default 255.255.255.255:9999)." };
        var sim = new Option<bool>("--sim") { Description = "Run a simulated bulb (XOR, KLAP and discovery on free loopback ports) and control it." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the bulb (default 5).", DefaultValueFactory = _ => 5 };
        var name = new Option<string>("--name") { Description = $"Driver name, its drivers.json key (default \"{DefaultName}\"); picks its approval policy.", DefaultValueFactory = _ => DefaultName };
        var drivers = new Option<string?>("--drivers") { Description = "drivers.json whose entry --name gives the approval policy (default: <config>/drivers.json)." };
        var command = new Command("kasa", "Run the Kasa smart light MCP server (port 5002).") { port, bind, host, protocol, xorPort, klapPort, discovery, sim, timeout, name, drivers };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await Task.Yield();
            KasaOptions options;
            try
            {
                options = new KasaOptions
                {
                    Port = parse.GetValue(port) ?? RosaEnvironment.GetPort("KASA_MCP_PORT", 5002),
                    Bind = parse.GetValue(bind)!,
                    Host = parse.GetValue(host) ?? RosaEnvironment.Get("KASA_HOST"),
                    Protocol = parse.GetValue(protocol),
                    XorPort = parse.GetValue(xorPort),
                    KlapPort = parse.GetValue(klapPort),
                    DiscoveryTarget = parse.GetValue(discovery) is { } target ? IPEndPoint.Parse(target) : null,
                    Simulate = parse.GetValue(sim),
                    UserName = RosaEnvironment.Get("KASA_USERNAME") ?? "",
                    Password = RosaEnvironment.Get("KASA_PASSWORD") ?? "",
                    Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                    Name = parse.GetValue(name)!,
                };
                options.Approval = DriversConfig.LoadFile(parse.GetValue(drivers) ?? Path.Combine(RosaEnvironment.ConfigDirectory, "drivers.json")).Find(options.Name)?.Approval;
                options.Validate();
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException or DriversConfigException)
            {
                await Console.Error.WriteLineAsync($"rosa kasa: {e.Message}");
                return 2;
            }
            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    /// <summary>Runs until cancelled.</summary>
    public static async Task<int> RunAsync(KasaOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = RosaWebHost.CreateBuilder("kasa", options.Bind, options.Port);
        using var loggers = LoggerFactory.Create(l => RosaWebHost.ConfigureLogging(l, "kasa"));
        await using var sim = options.Simulate ? await StartSimAsync(options, loggers.CreateLogger<SimulatedBulb>(), cancellationToken) : null;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<KasaBulbProvider>();
        var mcp = builder.Services.AddMcpServer(o => o.ServerInfo = new Implementation { Name = "rosa-kasa", Title = "Kasa Lightbulb Controller", Version = RosaWebHost.Version })
            .WithHttpTransport(o => o.Stateless = true)
            .WithTools<KasaTools>()
            .WithToolArgumentBinding();
        if (ApprovalSetup.ToolPolicy(options.Name, options.Approval) is { } policy)
        {
            mcp.WithApprovals(options.Name, policy);
        }
        await using var app = builder.Build();
        if (ApprovalSetup.UnknownTools(app.Services, options.Name, options.Approval) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"rosa kasa: {unknown}");
            return 2;
        }
        app.UseHostFiltering();
        app.MapRosaHealth(_ => new System.Text.Json.Nodes.JsonObject
        {
            ["bulb"] = options.Host ?? "discovery",
            ["protocol"] = options.Protocol.ToString().ToLowerInvariant(),
            ["simulated"] = sim is null ? null : new System.Text.Json.Nodes.JsonObject
            {
                ["xor_port"] = sim.XorPort, ["klap_port"] = sim.KlapPort, ["discovery_port"] = sim.DiscoveryPort,
                ["light"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["on"] = sim.State.On, ["hue"] = sim.State.Hue, ["saturation"] = sim.State.Saturation,
                    ["color_temp"] = sim.State.ColorTemperature, ["brightness"] = sim.State.Brightness,
                },
            },
        });
        app.MapGet(LightPath, ReadLightAsync);
        app.MapMcp("/mcp");
        app.MapApprovals();
        await app.StartAsync(cancellationToken);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.Mcp.Kasa");
        var urls = string.Join(", ", app.Urls);
        var bulbAddress = options.Host ?? "discovery";
        LogListening(logger, urls, bulbAddress, options.Protocol);
        await app.WaitForShutdownAsync(cancellationToken);
        await app.Services.GetRequiredService<KasaBulbProvider>().DisposeAsync();
        return 0;
    }

    /// <summary>The read-only light endpoint the kernel's UI proxy reads (docs/kasa.md): no tool, no approval, no change.</summary>
    public const string LightPath = "/light";

    /// <summary>
    /// <c>GET /light</c>: the light as the bulb reports it now, as JSON (<c>on</c>, <c>hue</c>, <c>saturation</c>, <c>color_temp</c>
    /// (0 in colour mode), <c>brightness</c>, <c>protocol</c>), or 502 with the reason when the bulb does not answer.
    /// </summary>
    private static async Task<IResult> ReadLightAsync(KasaBulbProvider bulbs, CancellationToken cancellationToken)
    {
        try
        {
            var bulb = await bulbs.GetAsync(cancellationToken);
            var light = await bulb.GetStateAsync(cancellationToken);
            return Results.Json(new Dictionary<string, object?>
            {
                ["on"] = light.On, ["hue"] = light.Hue, ["saturation"] = light.Saturation, ["color_temp"] = light.ColorTemperature,
                ["brightness"] = light.Brightness, ["protocol"] = bulb.Protocol, ["description"] = light.Describe(),
            });
        }
        catch (KasaException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: 502);
        }
    }

    private static async Task<SimulatedBulb> StartSimAsync(KasaOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (options.UserName.Length == 0 || options.Password.Length == 0)
        {
            options.UserName = SimUser;
            options.Password = SimPassword;
        }
        var bulb = await SimulatedBulb.StartAsync(IPAddress.Loopback, 0, 0, 0, options.UserName, options.Password,
            logger, cancellationToken);
        options.Host = "127.0.0.1";
        options.XorPort = bulb.XorPort;
        options.KlapPort = bulb.KlapPort;
        return bulb;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kasa MCP server listening on {Urls} (path /mcp), bulb {Bulb}, protocol {Protocol}.")]
    private static partial void LogListening(ILogger logger, string urls, string bulb, KasaProtocol protocol);
}

using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Mcp.Arguments;
using RosaOS.Mcp.Kasa.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Kasa.Tests;

/// <summary>A real <c>rosa kasa --sim</c> (MCP server + simulated bulb) on free loopback ports; the bulb's ports come from /health.</summary>
public sealed class KasaSimFixture : IAsyncLifetime
{
    public RosaProcess Kasa { get; private set; } = null!;
    public string McpUrl { get; private set; } = "";
    public int XorPort { get; private set; }
    public int KlapPort { get; private set; }
    public int DiscoveryPort { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Kasa = RosaProcess.StartRosa(["kasa", "--sim", "--port", "0"]);
        var port = (await Kasa.WaitForListeningAsync("kasa")).Port;
        McpUrl = $"http://127.0.0.1:{port}/mcp";
        using var http = new HttpClient();
        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health")));
        var sim = health.RootElement.GetProperty("simulated");
        XorPort = sim.GetProperty("xor_port").GetInt32();
        KlapPort = sim.GetProperty("klap_port").GetInt32();
        DiscoveryPort = sim.GetProperty("discovery_port").GetInt32();
    }

    public async ValueTask DisposeAsync() => await Kasa.DisposeAsync();
}

public sealed class KasaTests(KasaSimFixture sim) : IClassFixture<KasaSimFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KasaBulb Xor() => new(new XorTransport("127.0.0.1", sim.XorPort, TimeSpan.FromSeconds(10)));

    private KlapTransport Klap(string password = KasaCommand.SimPassword)
        => new(new Uri($"http://127.0.0.1:{sim.KlapPort}"), KasaCommand.SimUser, password, TimeSpan.FromSeconds(10));

    private async Task<McpClient> ConnectAsync()
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(sim.McpUrl) }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: Ct);

    private static async Task<(string Text, bool IsError)> CallAsync(McpClient client, string tool, string json = "{}")
    {
        var result = await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)! }, Ct);
        return (string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
    }

    [Fact]
    public void Xor_MatchesThePublishedCipher_AndRoundTrips()
    {
        var plain = Encoding.UTF8.GetBytes("""{"system":{"get_sysinfo":{}}}""");
        var cipher = KasaXor.Encrypt(plain);
        // The first bytes every Kasa write-up shows for this request.
        Assert.Equal("D0F281F88BFF9AF7D5", Convert.ToHexString(cipher[..9]));
        Assert.Equal(plain, KasaXor.Decrypt(cipher));
    }

    [Fact]
    public async Task Tools_ChangeTheBulb_AndBothProtocolsSeeTheSameLight()
    {
        await using var client = await ConnectAsync();
        var tools = await client.ListToolsAsync(cancellationToken: Ct);
        Assert.Equal(["get_light_status", "set_brightness", "set_color_hsv", "set_color_temperature", "set_preset_color", "toggle_light", "turn_off_light", "turn_on_light"],
            tools.Select(t => t.Name).Order());

        var (red, redError) = await CallAsync(client, "set_preset_color", """{"color":"red"}""");
        Assert.False(redError, red);
        await using var klap = Klap();
        var overKlap = await new KasaBulb(klap).GetStateAsync(Ct);
        Assert.Equal(new LightState(true, 0, 100, 0, overKlap.Brightness), overKlap);

        var (dim, _) = await CallAsync(client, "set_brightness", """{"brightness":"30"}""");
        Assert.Contains("brightness 30%", dim, StringComparison.Ordinal);
        Assert.Equal(30, (await Xor().GetStateAsync(Ct)).Brightness);

        var (off, _) = await CallAsync(client, "turn_off_light");
        Assert.Contains("off", off, StringComparison.Ordinal);
        Assert.False((await Xor().GetStateAsync(Ct)).On);
        var (toggled, _) = await CallAsync(client, "toggle_light");
        Assert.Contains("The light is on", toggled, StringComparison.Ordinal);
        Assert.True((await new KasaBulb(klap).GetStateAsync(Ct)).On);

        var (hot, hotError) = await CallAsync(client, "set_color_temperature", """{"kelvin":12000}""");
        Assert.False(hotError, hot);
        Assert.Contains("kelvin 12000 → 9000", hot, StringComparison.Ordinal);
        Assert.Equal(9000, (await Xor().GetStateAsync(Ct)).ColorTemperature);

        var (teal, _) = await CallAsync(client, "set_color_hsv", """{"hue":180,"saturation":50,"value":70}""");
        Assert.Contains("hue 180°", teal, StringComparison.Ordinal);
        Assert.Equal(new LightState(true, 180, 50, 0, 70), await Xor().GetStateAsync(Ct));

        var (status, statusError) = await CallAsync(client, "get_light_status");
        Assert.False(statusError, status);
        Assert.Contains("saturation 50%", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Klap_WithTheWrongPassword_IsRefusedAtTheHandshake()
    {
        await using var wrong = Klap("not-the-password");
        var e = await Assert.ThrowsAsync<KasaException>(() => new KasaBulb(wrong).GetStateAsync(Ct));
        Assert.Contains("credentials", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Discovery_FindsTheSimulatedBulb()
    {
        var found = await KasaDiscovery.DiscoverAsync(new IPEndPoint(IPAddress.Loopback, sim.DiscoveryPort), TimeSpan.FromSeconds(2), Ct);
        var bulb = Assert.Single(found);
        Assert.Equal(IPAddress.Loopback, bulb.Address);
        Assert.Equal("KL130(SIM)", bulb.Model);
    }
}

/// <summary>The MCP server speaking KLAP to its simulated bulb.</summary>
public sealed class KasaKlapServerTests
{
    [Fact]
    public async Task SimOverKlap_TurnsTheLightOff()
    {
        await using var kasa = RosaProcess.StartRosa(["kasa", "--sim", "--protocol", "klap", "--port", "0"]);
        var port = (await kasa.WaitForListeningAsync("kasa")).Port;
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{port}/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);

        var result = await client.CallToolAsync("turn_off_light", new Dictionary<string, object?>(), cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotEqual(true, result.IsError);
        using var http = new HttpClient();
        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/health"), TestContext.Current.CancellationToken));
        Assert.Equal("klap", health.RootElement.GetProperty("protocol").GetString());
        Assert.False(health.RootElement.GetProperty("simulated").GetProperty("light").GetProperty("on").GetBoolean());
    }
}

/// <summary>The light's MCP tools served in memory (<see cref="InMemoryMcp"/>): argument errors need no process.</summary>
public sealed class KasaToolArgumentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(string Text, bool IsError)> CallAsync(McpClient client, string tool, string json)
    {
        var result = await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(json)! }, Ct);
        return (string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
    }

    [Theory]
    [InlineData("set_brightness", """{"brightness":"bright"}""", "argument 'brightness' must be an integer, got the string \"bright\"")]
    [InlineData("set_brightness", """{}""", "argument 'brightness' is required")]
    [InlineData("set_preset_color", """{"color":"ultraviolet"}""", "Unknown colour 'ultraviolet'")]
    public async Task BadArguments_SayWhatIsWrong(string tool, string json, string expected)
    {
        // No bulb is contacted: binding (or the tool's own check) refuses the call first.
        await using var mcp = await InMemoryMcp.StartAsync((services, server) =>
        {
            services.AddSingleton(new KasaOptions { Host = "127.0.0.1", XorPort = 9, KlapPort = 9 });
            services.AddSingleton<KasaBulbProvider>();
            server.WithTools<KasaTools>().WithToolArgumentBinding();
        });
        var (text, isError) = await CallAsync(mcp.Client, tool, json);
        Assert.True(isError, text);
        Assert.Contains(expected, text, StringComparison.Ordinal);
    }
}

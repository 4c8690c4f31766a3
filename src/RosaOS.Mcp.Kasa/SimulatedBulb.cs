using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Mcp.Kasa.Protocol;

namespace RosaOS.Mcp.Kasa;

/// <summary>
/// A simulated KL130-like colour bulb on loopback: the XOR protocol on a TCP port, KLAP on an HTTP port (credentials
/// given at start), and UDP discovery answers. State lives in memory; every protocol sees the same light.
/// </summary>
public sealed partial class SimulatedBulb : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly byte[] _authHash;
    private readonly ILogger _logger;
    private readonly TcpListener _xor;
    private readonly UdpClient _discovery;
    private readonly WebApplication _klap;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly Dictionary<string, (byte[] Local, byte[] Remote, KlapSession? Session)> _klapSessions = new(StringComparer.Ordinal);
    private bool _on = true;
    private int _hue;
    private int _saturation;
    private int _colorTemperature = 2700;
    private int _brightness = 80;

    private SimulatedBulb(IPAddress address, int xorPort, int klapPort, int discoveryPort, string userName, string password, ILogger logger)
    {
        _authHash = KlapSession.AuthHash(userName, password);
        _logger = logger;
        _xor = new TcpListener(address, xorPort);
        _discovery = new UdpClient(new IPEndPoint(address, discoveryPort));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(address, klapPort));
        _klap = builder.Build();
        _klap.MapPost("/app/handshake1", (Func<HttpContext, Task<IResult>>)Handshake1Async);
        _klap.MapPost("/app/handshake2", (Func<HttpContext, Task<IResult>>)Handshake2Async);
        _klap.MapPost("/app/request", (Func<HttpContext, Task<IResult>>)RequestAsync);
    }

    /// <summary>Alias the bulb reports.</summary>
    public string Alias { get; } = "rosaOS simulated bulb";

    /// <summary>TCP port of the XOR protocol.</summary>
    public int XorPort => ((IPEndPoint)_xor.LocalEndpoint).Port;

    /// <summary>HTTP port of KLAP.</summary>
    public int KlapPort { get; private set; }

    /// <summary>UDP port answering discovery.</summary>
    public int DiscoveryPort => ((IPEndPoint)_discovery.Client.LocalEndPoint!).Port;

    /// <summary>The light now.</summary>
    public LightState State
    {
        get
        {
            lock (_gate)
            {
                return new LightState(_on, _hue, _saturation, _colorTemperature, _brightness);
            }
        }
    }

    /// <summary>Starts the bulb on <paramref name="address"/> (ports 0 = free ones).</summary>
    public static async Task<SimulatedBulb> StartAsync(IPAddress address, int xorPort, int klapPort, int discoveryPort, string userName, string password,
        ILogger logger, CancellationToken cancellationToken)
    {
        var bulb = new SimulatedBulb(address, xorPort, klapPort, discoveryPort, userName, password, logger);
        bulb._xor.Start();
        await bulb._klap.StartAsync(cancellationToken);
        bulb.KlapPort = new Uri(bulb._klap.Urls.First()).Port;
        bulb._loops.Add(bulb.AcceptXorAsync(bulb._stop.Token));
        bulb._loops.Add(bulb.AnswerDiscoveryAsync(bulb._stop.Token));
        LogStarted(logger, bulb.XorPort, bulb.KlapPort, bulb.DiscoveryPort);
        return bulb;
    }

    /// <summary>The IOT request handler shared by both protocols.</summary>
    internal JsonNode Handle(JsonNode? request)
    {
        var answer = new JsonObject();
        if (request?["system"]?["get_sysinfo"] is not null)
        {
            answer["system"] = new JsonObject { ["get_sysinfo"] = Sysinfo() };
        }
        if (request?[KasaBulb.LightingService]?["transition_light_state"] is JsonObject change)
        {
            lock (_gate)
            {
                if ((int?)change["on_off"] is { } on)
                {
                    _on = on == 1;
                }
                if ((int?)change["hue"] is { } hue)
                {
                    _hue = Math.Clamp(hue, 0, 360);
                }
                if ((int?)change["saturation"] is { } saturation)
                {
                    _saturation = Math.Clamp(saturation, 0, 100);
                }
                if ((int?)change["color_temp"] is { } temperature)
                {
                    _colorTemperature = temperature == 0 ? 0 : Math.Clamp(temperature, 2500, 9000);
                }
                if ((int?)change["brightness"] is { } brightness)
                {
                    _brightness = Math.Clamp(brightness, 0, 100);
                }
            }
            var state = LightStateNode();
            state["err_code"] = 0;
            answer[KasaBulb.LightingService] = new JsonObject { ["transition_light_state"] = state };
        }
        if (answer.Count == 0)
        {
            answer["error"] = new JsonObject { ["err_code"] = -1, ["err_msg"] = "module not support" };
        }
        return answer;
    }

    private JsonObject Sysinfo() => new()
    {
        ["sw_ver"] = "1.8.0 Build 000000 Rel.000000",
        ["hw_ver"] = "1.0",
        ["model"] = "KL130(SIM)",
        ["deviceId"] = "ROSAOS-SIMULATED-BULB",
        ["alias"] = Alias,
        ["mic_type"] = "IOT.SMARTBULB",
        ["is_dimmable"] = 1,
        ["is_color"] = 1,
        ["is_variable_color_temp"] = 1,
        ["light_state"] = LightStateNode(),
        ["err_code"] = 0,
    };

    private JsonObject LightStateNode()
    {
        var s = State;
        var values = new JsonObject
        {
            ["mode"] = "normal", ["hue"] = s.Hue, ["saturation"] = s.Saturation, ["color_temp"] = s.ColorTemperature, ["brightness"] = s.Brightness,
        };
        if (s.On)
        {
            values["on_off"] = 1;
            return values;
        }
        return new JsonObject { ["on_off"] = 0, ["dft_on_state"] = values };
    }

    private async Task AcceptXorAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _xor.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeXorAsync(client, cancellationToken);
        }
    }

    private async Task ServeXorAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                while (await KasaXor.ReadFrameAsync(stream, cancellationToken) is { } plain)
                {
                    var answer = Handle(JsonNode.Parse(plain));
                    await KasaXor.WriteFrameAsync(stream, Encoding.UTF8.GetBytes(answer.ToJsonString()), cancellationToken);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or OperationCanceledException or SocketException)
            {
                LogXorDropped(_logger, e.Message);
            }
        }
    }

    private async Task AnswerDiscoveryAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var datagram = await _discovery.ReceiveAsync(cancellationToken);
                var request = JsonNode.Parse(KasaXor.Decrypt(datagram.Buffer));
                var answer = KasaXor.Encrypt(Encoding.UTF8.GetBytes(Handle(request).ToJsonString()));
                await _discovery.SendAsync(answer, datagram.RemoteEndPoint, cancellationToken);
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a Kasa probe: a real bulb ignores it too.
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
        }
    }

    private async Task<IResult> Handshake1Async(HttpContext context)
    {
        var localSeed = await ReadBodyAsync(context.Request, 64, context.RequestAborted);
        if (localSeed.Length != 16)
        {
            return Results.BadRequest();
        }
        var remoteSeed = RandomNumberGenerator.GetBytes(16);
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        lock (_gate)
        {
            _klapSessions[id] = (localSeed, remoteSeed, null);
        }
        context.Response.Headers.SetCookie = $"TP_SESSIONID={id};TIMEOUT=86400";
        return Results.Bytes([.. remoteSeed, .. KlapSession.ServerProof(localSeed, remoteSeed, _authHash)], "application/octet-stream");
    }

    private async Task<IResult> Handshake2Async(HttpContext context)
    {
        var proof = await ReadBodyAsync(context.Request, 64, context.RequestAborted);
        var id = context.Request.Cookies["TP_SESSIONID"];
        lock (_gate)
        {
            if (id is null || !_klapSessions.TryGetValue(id, out var pending)
                || !CryptographicOperations.FixedTimeEquals(proof, KlapSession.ClientProof(pending.Local, pending.Remote, _authHash)))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }
            _klapSessions[id] = pending with { Session = new KlapSession(pending.Local, pending.Remote, _authHash) };
        }
        return Results.Ok();
    }

    private async Task<IResult> RequestAsync(HttpContext context)
    {
        var id = context.Request.Cookies["TP_SESSIONID"];
        KlapSession? session = null;
        lock (_gate)
        {
            if (id is not null && _klapSessions.TryGetValue(id, out var known))
            {
                session = known.Session;
            }
        }
        if (session is null || !int.TryParse(context.Request.Query["seq"], System.Globalization.CultureInfo.InvariantCulture, out var sequence))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        var body = await ReadBodyAsync(context.Request, KasaXor.MaxMessage, context.RequestAborted);
        byte[] plain;
        try
        {
            plain = session.Open(sequence, body);
        }
        catch (Exception e) when (e is InvalidDataException or CryptographicException)
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }
        JsonNode answer;
        try
        {
            answer = Handle(JsonNode.Parse(plain));
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.BadRequest();
        }
        return Results.Bytes(session.Seal(sequence, Encoding.UTF8.GetBytes(answer.ToJsonString())), "application/octet-stream");
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw new BadHttpRequestException("Body too large.", StatusCodes.Status413PayloadTooLarge);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _xor.Stop();
        _discovery.Dispose();
        await _klap.DisposeAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated Kasa bulb: XOR protocol on TCP {XorPort}, KLAP on HTTP {KlapPort}, discovery on UDP {DiscoveryPort}.")]
    private static partial void LogStarted(ILogger logger, int xorPort, int klapPort, int discoveryPort);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Simulated bulb dropped an XOR connection: {Reason}")]
    private static partial void LogXorDropped(ILogger logger, string reason);
}

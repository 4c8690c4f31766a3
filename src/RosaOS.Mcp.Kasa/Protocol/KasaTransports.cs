using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace RosaOS.Mcp.Kasa.Protocol;

/// <summary>Sends one IOT JSON request to a bulb and returns its answer.</summary>
public interface IKasaTransport : IAsyncDisposable
{
    /// <summary>"xor" or "klap", for messages.</summary>
    string Name { get; }

    /// <summary>One request, one answer.</summary>
    Task<JsonNode> SendAsync(JsonNode request, CancellationToken cancellationToken);
}

/// <summary>The bulb could not be reached or refused; the message says which and what to check.</summary>
public sealed class KasaException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The legacy protocol: one TCP connection per request to port 9999, XOR-framed JSON.</summary>
public sealed class XorTransport(string host, int port, TimeSpan timeout) : IKasaTransport
{
    public string Name => "xor";

    public async Task<JsonNode> SendAsync(JsonNode request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, limit.Token);
            var stream = client.GetStream();
            await KasaXor.WriteFrameAsync(stream, Encoding.UTF8.GetBytes(request.ToJsonString()), limit.Token);
            var answer = await KasaXor.ReadFrameAsync(stream, limit.Token)
                ?? throw new KasaException($"The bulb at {host}:{port} closed the connection without answering.");
            return JsonNode.Parse(answer) ?? throw new KasaException($"The bulb at {host}:{port} answered null.");
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new KasaException($"The bulb at {host}:{port} (XOR protocol) did not answer within {timeout.TotalSeconds:0.#} s.", e);
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new KasaException($"The bulb at {host}:{port} (XOR protocol) failed: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>KLAP over HTTP: a handshake per session (re-done when the device drops it), then signed AES requests.</summary>
public sealed class KlapTransport : IKasaTransport
{
    private readonly Uri _base;
    private readonly byte[] _authHash;
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private KlapSession? _session;
    private string? _cookie;

    public KlapTransport(Uri baseAddress, string userName, string password, TimeSpan timeout)
    {
        _base = baseAddress;
        _authHash = KlapSession.AuthHash(userName, password);
        _http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { Timeout = timeout };
    }

    public string Name => "klap";

    public async Task<JsonNode> SendAsync(JsonNode request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var session = _session ??= await HandshakeAsync(cancellationToken);
                var (sequence, body) = session.Encrypt(Encoding.UTF8.GetBytes(request.ToJsonString()));
                using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, $"/app/request?seq={sequence}")) { Content = new ByteArrayContent(body) };
                message.Headers.Add("Cookie", _cookie);
                using var response = await _http.SendAsync(message, cancellationToken);
                if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized && attempt == 0)
                {
                    // The device forgot the session (restart, timeout): one fresh handshake.
                    _session = null;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new KasaException($"The bulb at {_base} (KLAP) answered HTTP {(int)response.StatusCode} to a request.");
                }
                var plain = session.Open(sequence, await response.Content.ReadAsByteArrayAsync(cancellationToken));
                return JsonNode.Parse(plain) ?? throw new KasaException($"The bulb at {_base} answered null.");
            }
        }
        catch (Exception e) when (e is HttpRequestException or InvalidDataException or CryptographicException or System.Text.Json.JsonException
            || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _session = null;
            throw new KasaException($"The bulb at {_base} (KLAP protocol) failed: {e.Message}", e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<KlapSession> HandshakeAsync(CancellationToken cancellationToken)
    {
        var localSeed = RandomNumberGenerator.GetBytes(16);
        using var first = await _http.PostAsync(new Uri(_base, "/app/handshake1"), new ByteArrayContent(localSeed), cancellationToken);
        if (!first.IsSuccessStatusCode)
        {
            throw new KasaException($"The bulb at {_base} refused the KLAP handshake (HTTP {(int)first.StatusCode}).");
        }
        var answer = await first.Content.ReadAsByteArrayAsync(cancellationToken);
        if (answer.Length != 48)
        {
            throw new KasaException($"The bulb at {_base} answered handshake1 with {answer.Length} bytes, not 48.");
        }
        var remoteSeed = answer[..16];
        if (!CryptographicOperations.FixedTimeEquals(answer.AsSpan(16), KlapSession.ServerProof(localSeed, remoteSeed, _authHash)))
        {
            throw new KasaException($"The bulb at {_base} does not know these credentials (KASA_USERNAME / KASA_PASSWORD: the TP-Link account the bulb was set up with).");
        }
        _cookie = first.Headers.TryGetValues("Set-Cookie", out var cookies)
            ? string.Join("; ", cookies.Select(c => c.Split(';')[0]))
            : null;
        using var secondMessage = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "/app/handshake2"))
        {
            Content = new ByteArrayContent(KlapSession.ClientProof(localSeed, remoteSeed, _authHash)),
        };
        secondMessage.Headers.Add("Cookie", _cookie);
        using var second = await _http.SendAsync(secondMessage, cancellationToken);
        if (!second.IsSuccessStatusCode)
        {
            throw new KasaException($"The bulb at {_base} rejected the KLAP handshake2 (HTTP {(int)second.StatusCode}).");
        }
        return new KlapSession(localSeed, remoteSeed, _authHash);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}

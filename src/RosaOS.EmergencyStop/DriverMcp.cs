using ModelContextProtocol.Client;

namespace RosaOS.EmergencyStop;

/// <summary>
/// The one way rosaOS opens an MCP connection to a driver (the kernel's manual control, a worker's task, the stop's MCP
/// fallback): Streamable HTTP at the drivers.json url, with the entry's headers (their <c>${NAME}</c>s were replaced when
/// drivers.json was read: a remote driver's access token), the lease header, and the protocol version every driver speaks.
/// </summary>
public static class DriverMcp
{
    /// <summary>The MCP protocol version rosaOS's clients ask for.</summary>
    public const string ProtocolVersion = "2025-11-25";

    /// <summary>
    /// Connects to the driver <paramref name="name"/> at <paramref name="url"/>. <paramref name="leaseHolder"/>, when given,
    /// is sent as the lease header on every request (the kernel's own calls are a person's); a caller whose holder changes
    /// per task passes an <paramref name="http"/> client from <see cref="LeaseHttpClient"/> instead.
    /// </summary>
    public static async Task<McpClient> ConnectAsync(string name, Uri url, IReadOnlyDictionary<string, string> headers,
        string? leaseHolder = null, HttpClient? http = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var additional = new Dictionary<string, string>(headers);
        if (leaseHolder is not null)
        {
            additional[LeaseContract.Header] = leaseHolder;
        }
        var options = new HttpClientTransportOptions { Endpoint = url, Name = name, AdditionalHeaders = additional };
        var transport = http is null ? new HttpClientTransport(options) : new HttpClientTransport(options, http, ownsHttpClient: false);
        return await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = ProtocolVersion }, cancellationToken: cancellationToken);
    }

    /// <summary>An HTTP client for driver connections that adds the lease header of <paramref name="holder"/> (read per request) to each request.</summary>
    public static HttpClient LeaseHttpClient(Func<string?> holder) => new(new LeaseHeaderHandler(holder));

    /// <summary>Adds the lease header of the task running now to every request to a driver.</summary>
    private sealed class LeaseHeaderHandler(Func<string?> holder) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (holder() is { } id)
            {
                request.Headers.Remove(LeaseContract.Header);
                request.Headers.TryAddWithoutValidation(LeaseContract.Header, id);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }
}

/// <summary>
/// One kept MCP client per driver (the drivers' MCP servers are stateless): a call or a task no longer pays a new
/// connection and its initialize handshake. A kept client is used again only for the same url and headers (a
/// changed token connects anew); a client whose transport failed is forgotten and the next use connects again.
/// The kept clients live as long as their process (the kernel, a pooled worker).
/// </summary>
public sealed class DriverClientPool
{
    private readonly string? _leaseHolder;
    private readonly HttpClient? _http;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Kept> _kept = new(StringComparer.Ordinal);

    /// <param name="leaseHolder">A fixed lease header for every connection (see <see cref="DriverMcp.ConnectAsync"/>).</param>
    /// <param name="http">A shared HTTP client (e.g. <see cref="DriverMcp.LeaseHttpClient"/>), not owned.</param>
    public DriverClientPool(string? leaseHolder = null, HttpClient? http = null)
    {
        _leaseHolder = leaseHolder;
        _http = http;
    }

    private sealed record Kept(McpClient Client, Uri Url, string HeadersKey);

    /// <summary>The kept client of <paramref name="name"/> when it has the same url and headers (Reused), else a new connection, kept.</summary>
    public async Task<(McpClient Client, bool Reused)> GetAsync(string name, Uri url, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var key = string.Join('\n', headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => h.Key + "=" + h.Value));
        McpClient? stale = null;
        lock (_lock)
        {
            if (_kept.TryGetValue(name, out var kept))
            {
                if (kept.Url == url && kept.HeadersKey == key)
                {
                    return (kept.Client, true);
                }
                _kept.Remove(name);
                stale = kept.Client;
            }
        }
        if (stale is not null)
        {
            await stale.DisposeAsync();
        }
        var client = await DriverMcp.ConnectAsync(name, url, headers, _leaseHolder, _http, cancellationToken);
        McpClient? extra = null;
        lock (_lock)
        {
            if (!_kept.TryAdd(name, new Kept(client, url, key)))
            {
                // Another caller connected meanwhile: use its client.
                extra = client;
                client = _kept[name].Client;
            }
        }
        if (extra is not null)
        {
            await extra.DisposeAsync();
        }
        return (client, false);
    }

    /// <summary>Forgets <paramref name="client"/> (its transport failed) if it is still the one kept for <paramref name="name"/>, and closes it.</summary>
    public ValueTask ForgetAsync(string name, McpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        lock (_lock)
        {
            if (_kept.TryGetValue(name, out var kept) && ReferenceEquals(kept.Client, client))
            {
                _kept.Remove(name);
            }
        }
        return client.DisposeAsync();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace RosaOS.Mcp.Kasa.Protocol;

/// <summary>A bulb that answered discovery.</summary>
public sealed record DiscoveredBulb(IPAddress Address, string Alias, string Model, string DeviceId);

/// <summary>
/// Discovery as the Kasa app does it: broadcast the XOR-encrypted <c>get_sysinfo</c> request to UDP 9999 and collect the
/// encrypted sysinfo answers for a while.
/// </summary>
public static class KasaDiscovery
{
    /// <summary>The request every bulb answers.</summary>
    public static readonly string SysinfoRequest = """{"system":{"get_sysinfo":{}}}""";

    /// <summary>Broadcasts to <paramref name="target"/> (default 255.255.255.255:9999) and returns who answered within <paramref name="wait"/>.</summary>
    public static async Task<IReadOnlyList<DiscoveredBulb>> DiscoverAsync(IPEndPoint? target, TimeSpan wait, CancellationToken cancellationToken)
    {
        target ??= new IPEndPoint(IPAddress.Broadcast, 9999);
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Any, 0)) { EnableBroadcast = true };
        var probe = KasaXor.Encrypt(Encoding.UTF8.GetBytes(SysinfoRequest));
        await udp.SendAsync(probe, target, cancellationToken);
        var found = new Dictionary<string, DiscoveredBulb>(StringComparer.Ordinal);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        window.CancelAfter(wait);
        try
        {
            while (true)
            {
                var datagram = await udp.ReceiveAsync(window.Token);
                if (Parse(datagram.Buffer, datagram.RemoteEndPoint.Address) is { } bulb)
                {
                    found.TryAdd(bulb.DeviceId + "@" + bulb.Address, bulb);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The listening window is over.
        }
        return [.. found.Values];
    }

    private static DiscoveredBulb? Parse(byte[] datagram, IPAddress from)
    {
        try
        {
            var info = JsonNode.Parse(KasaXor.Decrypt(datagram))?["system"]?["get_sysinfo"];
            return info is null ? null
                : new DiscoveredBulb(from, (string?)info["alias"] ?? "", (string?)info["model"] ?? "", (string?)info["deviceId"] ?? "");
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

using System.Net;
using System.Net.Sockets;

namespace RosaOS.Vision.Images;

/// <summary>
/// The HTTP handler image downloads use: every connection (the first request and every redirect) is made to an address
/// checked after DNS resolution, so a URL can aim neither directly nor through a redirect or a rebinding DNS name at
/// loopback, private, link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast or reserved addresses,
/// unless the allow list names the host or the address.
/// </summary>
public static class PublicAddressHandler
{
    /// <summary>Environment variable with hosts, addresses or CIDR ranges image URLs may reach although they are not public.</summary>
    public const string AllowVariable = "ROSAOS_VISION_URL_ALLOW";

    /// <summary>A handler that connects only to public addresses, or to those <paramref name="allow"/> names.</summary>
    public static SocketsHttpHandler Create(IEnumerable<string>? allow = null)
    {
        var rules = (allow ?? []).Select(a => a.Trim()).Where(a => a.Length > 0).ToList();
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 5,
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, cancellationToken) =>
            {
                var host = context.DnsEndPoint.Host;
                var hostAllowed = rules.Contains(host, StringComparer.OrdinalIgnoreCase);
                var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                    ? [literal]
                    : await Dns.GetHostAddressesAsync(host, cancellationToken);
                var usable = addresses.Where(a => hostAllowed || IsPublic(a) || rules.Any(r => Matches(r, a))).ToList();
                if (usable.Count == 0)
                {
                    throw new HttpRequestException(
                        $"{host} resolves to {string.Join(", ", addresses.Select(a => a.ToString()))}, which is not a public address; image URLs may not reach " +
                        $"this machine or its network unless {AllowVariable} names it");
                }
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(usable.Select(a => new IPEndPoint(a, context.DnsEndPoint.Port)).First(), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
    }

    /// <summary>The allow list from <see cref="AllowVariable"/> (separated by commas, semicolons or spaces).</summary>
    public static IReadOnlyList<string> AllowListFromEnvironment()
        => (Environment.GetEnvironmentVariable(AllowVariable) ?? "").Split([',', ';', ' '], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>True for a globally routable unicast address.</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] is >= 64 and <= 127)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] is >= 16 and <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19)
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
                || address.IsIPv6Multicast || address.IsIPv6UniqueLocal || (b[0] & 0xFE) == 0xFC
                || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B) // NAT64: an IPv4 address behind it may be private
                || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)); // documentation
        }
        return false;
    }

    private static bool Matches(string rule, IPAddress address)
    {
        var slash = rule.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return IPAddress.TryParse(rule.Trim('[', ']'), out var single) && single.Equals(address);
        }
        return IPNetwork.TryParse(rule, out var network) && network.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
    }
}

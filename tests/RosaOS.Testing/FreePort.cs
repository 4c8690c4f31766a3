using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RosaOS.Testing;

/// <summary>Loopback TCP ports that nobody listens on, so parallel tests never collide on 8000/5001/8765.</summary>
/// <remarks>
/// Ports come from below the OS's ephemeral range: a port the OS gave out for a listener of port 0 is also one it hands
/// to outgoing connections, so a service restarted on "its" port could find it taken by some client's socket. Test
/// processes running side by side reserve each port with a file, so two of them never hand out the same one.
/// </remarks>
public static class FreePort
{
    private static readonly HashSet<int> s_handedOut = [];
    private static readonly Lock s_lock = new();
    private static readonly TimeSpan s_reservationLife = TimeSpan.FromHours(3);
    private static readonly string s_reservations = Path.Combine(Path.GetTempPath(), "rosaos-test-ports");

    /// <summary>A port no test process has handed out lately, outside the OS's ephemeral range, that binds now.</summary>
    public static int Next()
    {
        lock (s_lock)
        {
            var (low, high) = Range();
            Directory.CreateDirectory(s_reservations);
            while (true)
            {
                var port = Random.Shared.Next(low, high);
                if (s_handedOut.Add(port) && Reserve(port) && Binds(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>The 12,000 ports just below the ephemeral range (Linux reads it from /proc; macOS and Windows start at 49152).</summary>
    private static (int Low, int High) Range()
    {
        var ephemeralLow = 49152;
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range");
            ephemeralLow = int.Parse(text.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux: the IANA dynamic range is the default.
        }
        var high = Math.Max(ephemeralLow, 13024);
        return (Math.Max(1024, high - 12000), high);
    }

    private static bool Reserve(int port)
    {
        var file = Path.Combine(s_reservations, port.ToString(CultureInfo.InvariantCulture));
        try
        {
            using (File.Open(file, FileMode.CreateNew, FileAccess.Write))
            {
            }
            return true;
        }
        catch (IOException) when (File.Exists(file))
        {
            // A reservation of an earlier run that has long ended may be taken over.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < s_reservationLife)
            {
                return false;
            }
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
            return true;
        }
    }

    private static bool Binds(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Any, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

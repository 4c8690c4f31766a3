using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RosaOS.Testing;

/// <summary>
/// Loopback TCP ports chosen ahead, for the few cases where port 0 cannot serve. A service a test starts binds port 0 and reports
/// the port it got (<see cref="TestStack"/>, <see cref="RosaProcess.WaitForListeningAsync"/>, <see cref="LoopbackPort"/>); a restart
/// takes the port its first start got (<see cref="TestStack.StartAgainAsync"/>). FreePort is only for:
/// <list type="bullet">
/// <item>a port nobody listens on, for a refused connection (a daemon, driver, LLM or Hub that is not there: <see cref="TestStack.NotRunningUrl"/>);</item>
/// <item>an address that must be known before the service starts: one the others are given first (the kernel page's origin a
/// simulator trusts, the kernel URL a driver calls back, a config naming the kernel's own MCP port), roscore's master URI that
/// every ROS node is started with, and the ports <c>rosa up</c> is given for its services (it starts and restarts each there);</item>
/// <item>one port on two addresses (a kernel bound beyond loopback also serves loopback on the same port; port 0 gives each its own).</item>
/// </list>
/// </summary>
/// <remarks>
/// Ports come from below the OS's ephemeral range: a port the OS gave out for a listener of port 0 is also one it hands
/// to outgoing connections, so a service started on "its" port could find it taken by some client's socket. Test
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

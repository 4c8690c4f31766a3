using System.Net;
using System.Net.Sockets;

namespace RosaOS.Testing;

/// <summary>Loopback TCP ports that nobody listens on, so parallel tests never collide on 8000/5001/8765.</summary>
public static class FreePort
{
    private static readonly HashSet<int> s_handedOut = [];
    private static readonly Lock s_lock = new();

    /// <summary>A port the OS just gave out and that this test process has not handed out before.</summary>
    public static int Next()
    {
        lock (s_lock)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (s_handedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}

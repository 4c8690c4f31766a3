using System.Globalization;
using System.Net;

namespace RosaOS.Ui.Tests;

/// <summary>The TCP peers of given processes, from /proc: each process's socket inodes (its fds) looked up in the tcp and tcp6
/// tables. A connection being opened (SYN_SENT) shows its peer too, so a dial-out attempt is caught, not only a success.</summary>
internal static class StackSockets
{
    /// <summary>Every "pid: local -> remote (state)" whose remote address is neither loopback nor unset (a listening socket).</summary>
    public static IReadOnlyList<string> OffMachinePeers(IEnumerable<int> pids)
    {
        var found = new List<string>();
        foreach (var pid in pids)
        {
            var inodes = SocketInodes(pid);
            if (inodes.Count == 0)
            {
                continue;
            }
            foreach (var table in new[] { "tcp", "tcp6" })
            {
                string[] lines;
                try
                {
                    lines = File.ReadAllLines($"/proc/{pid}/net/{table}");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    continue;
                }
                foreach (var line in lines.Skip(1))
                {
                    var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length < 10 || !inodes.Contains(f[9]))
                    {
                        continue;
                    }
                    var remote = Parse(f[2]);
                    if (!remote.Address.Equals(IPAddress.Any) && !remote.Address.Equals(IPAddress.IPv6Any) && !IsLoopback(remote.Address))
                    {
                        found.Add($"{pid}: {Parse(f[1])} -> {remote} (state {f[3]})");
                    }
                }
            }
        }
        return found;
    }

    /// <summary>How many sockets the processes hold (so a check over no sockets at all is not mistaken for a pass).</summary>
    public static int SocketCount(IEnumerable<int> pids) => pids.Sum(p => SocketInodes(p).Count);

    private static HashSet<string> SocketInodes(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                {
                    inodes.Add(target["socket:[".Length..^1]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process exited meanwhile.
        }
        return inodes;
    }

    private static bool IsLoopback(IPAddress address)
        => IPAddress.IsLoopback(address) || (address.IsIPv4MappedToIPv6 && IPAddress.IsLoopback(address.MapToIPv4()));

    // "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), each 32-bit word in host (little-endian) order.
    private static IPEndPoint Parse(string field)
    {
        var (hex, port) = (field[..field.IndexOf(':', StringComparison.Ordinal)], int.Parse(field[(field.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        var bytes = Convert.FromHexString(hex);
        for (var word = 0; word < bytes.Length; word += 4)
        {
            Array.Reverse(bytes, word, 4);
        }
        return new IPEndPoint(new IPAddress(bytes), port);
    }
}

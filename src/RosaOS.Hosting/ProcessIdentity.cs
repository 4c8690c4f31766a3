using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace RosaOS.Hosting;

/// <summary>
/// A process named by its pid AND its start time. Pids are reused; the pair is not, so a kernel never
/// signals an unrelated process that inherited the pid of one of its old workers, and a worker never
/// mistakes a new process for its kernel. On Linux the start time is read from /proc (clock ticks since
/// boot, field 22 of /proc/PID/stat: exact, and it sees zombies); on macOS and Windows it is the
/// operating system's process start time (UTC ticks) as .NET reports it.
/// </summary>
/// <param name="Pid">Process id.</param>
/// <param name="StartTicks">Start time: clock ticks since boot on Linux, UTC ticks elsewhere.</param>
public sealed partial record ProcessIdentity(int Pid, long StartTicks)
{
    /// <summary>SIGTERM: asks the process to stop (a worker stops its robot motion first).</summary>
    public const int SigTerm = 15;

    /// <summary>SIGKILL.</summary>
    public const int SigKill = 9;

    /// <summary>This process.</summary>
    public static ProcessIdentity Current { get; } = Of(Environment.ProcessId)
        ?? throw new InvalidOperationException("the start time of this process is not readable (/proc/self/stat on Linux).");

    /// <summary>The identity of a live process, or null when there is none with that pid.</summary>
    public static ProcessIdentity? Of(int pid)
        => pid > 0 && ReadStartTicks(pid) is { } ticks ? new ProcessIdentity(pid, ticks) : null;

    /// <summary>True while this exact process (same pid, same start time) exists and is not a zombie.</summary>
    public bool IsAlive()
    {
        if (!OperatingSystem.IsLinux())
        {
            return ReadStartTicks(Pid) == StartTicks;
        }
        var stat = ReadStat(Pid);
        return stat is not null && StartTicksOf(stat) == StartTicks && StateOf(stat) is not ('Z' or 'X');
    }

    /// <summary>True while some process with this pid exists (whatever it is).</summary>
    public static bool Exists(int pid) => Of(pid) is not null;

    /// <summary>
    /// Sends <paramref name="signal"/> only if this exact process still exists (checked just before, so a
    /// reused pid is never signalled); returns whether it was sent.
    /// </summary>
    /// <remarks>
    /// Windows has no signals: both end the process at once (with its children), so a worker there cannot
    /// stop its motion on the way out; the kernel's emergency stop reaches the drivers directly instead.
    /// </remarks>
    public bool Signal(int signal)
    {
        if (!IsAlive())
        {
            return false;
        }
        if (!OperatingSystem.IsWindows())
        {
            return Kill(Pid, signal) == 0;
        }
        try
        {
            using var process = Process.GetProcessById(Pid);
            process.Kill(entireProcessTree: true);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception)
        {
            return false;
        }
    }

    /// <summary>The parent pid of this process, if it exists (Linux; null elsewhere, where workers rely on the heartbeat).</summary>
    public static int? ParentOf(int pid) => ReadStat(pid) is { } stat ? FieldAfterComm(stat, 1) is { } ppid ? (int)ppid : null : null;

    private static long? ReadStartTicks(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            return ReadStat(pid) is { } stat ? StartTicksOf(stat) : null;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
        {
            return null;
        }
    }

    private static string? ReadStat(int pid)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // After "pid (comm) ": field 3 is the state, field 4 the ppid, field 22 the start time. comm may hold
    // spaces and parentheses, so fields are counted from the last ')'.
    private static long? StartTicksOf(string stat) => FieldAfterComm(stat, 19);

    private static char StateOf(string stat)
    {
        var end = stat.LastIndexOf(')');
        return end >= 0 && end + 2 < stat.Length ? stat[end + 2] : '?';
    }

    private static long? FieldAfterComm(string stat, int index)
    {
        var end = stat.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }
        var fields = stat[(end + 2)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > index && long.TryParse(fields[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace RosaOS.Cli.Stack;

/// <summary>
/// How <c>rosa up</c> starts a child in its own process group and signals the group, per platform. On Linux the
/// child runs under <c>setsid</c>; macOS has no such command, so there the child shares the supervisor's group
/// and is signalled alone (its kernel ends its workers itself, and workers exit when their kernel is gone).
/// Windows has no signals: a stop ends the child's whole process tree.
/// </summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    private static readonly string? s_setsid = OperatingSystem.IsLinux()
        ? new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists)
        : null;

    /// <summary>True when children lead their own process group (so a group signal reaches their workers too).</summary>
    public static bool OwnGroups => s_setsid is not null;

    /// <summary>A start info that runs <paramref name="executable"/> in its own session where the platform allows.</summary>
    public static ProcessStartInfo StartInfo(string executable)
    {
        if (s_setsid is null)
        {
            return new ProcessStartInfo(executable);
        }
        var psi = new ProcessStartInfo(s_setsid);
        psi.ArgumentList.Add(executable);
        return psi;
    }

    /// <summary>Signals a child's whole process group (or, without groups, the child alone).</summary>
    public static void SignalGroup(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or Win32Exception)
            {
            }
            return;
        }
        _ = Kill(OwnGroups ? -pid : pid, signal);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

using System.Runtime.InteropServices;

namespace RosaOS.Cli.Stack;

internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Signals a whole process group (every child leads its own session, so its group holds its workers too).</summary>
    public static void SignalGroup(int pid, int signal) => _ = Kill(-pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

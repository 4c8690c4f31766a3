using System.Globalization;

namespace RosaOS.Ui.Tests;

/// <summary>Finds every process a <c>rosa up</c> started, children and grandchildren (workers) alike: they all inherit its
/// ROSA_SUPERVISOR_PID, which makes "no orphan survived" checkable without trusting the supervisor's own bookkeeping.</summary>
internal static class StackProcesses
{
    public static IReadOnlyList<int> Of(int supervisorPid)
    {
        var marker = "ROSA_SUPERVISOR_PID=" + supervisorPid.ToString(CultureInfo.InvariantCulture);
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == supervisorPid)
            {
                continue;
            }
            try
            {
                var environ = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environ.Split('\0').Contains(marker) && !IsZombie(dir))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone or not ours: not part of the stack.
            }
        }
        return found;
    }

    private static bool IsZombie(string dir)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        var afterName = stat[(stat.LastIndexOf(')') + 2)..];
        return afterName.StartsWith('Z');
    }
}

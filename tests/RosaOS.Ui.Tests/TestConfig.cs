using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Ui.Tests;

/// <summary>A copy of the shipped config/ whose drivers point at the ports a test chose.</summary>
internal static class TestConfig
{
    /// <summary>
    /// The shipped config/ untouched except the ports: the Reachy entry's (the test's free port instead of 5001) and, when given,
    /// the turtlebot's MCP port and rosbridge port (instead of 9091 and 9392).
    /// </summary>
    public static string CopyShipped(int reachyPort, int? turtlebotPort = null, int? rosbridgePort = null)
    {
        var dir = TestPaths.NewTempDirectory("config");
        foreach (var file in Directory.EnumerateFiles(TestPaths.ConfigDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(TestPaths.ConfigDir, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var driversPath = Path.Combine(dir, "drivers.json");
        var drivers = JsonNode.Parse(File.ReadAllText(driversPath))!;
        drivers["mcpServers"]!["reachy-mini"]!["url"] = $"http://localhost:{reachyPort}/mcp";
        if (turtlebotPort is { } mcp && rosbridgePort is { } bridge)
        {
            drivers["mcpServers"]!["turtlebot"]!["url"] = $"http://localhost:{mcp}/mcp";
            drivers["mcpServers"]!["turtlebot"]!["ros"]!["rosbridge"] = $"ws://127.0.0.1:{bridge}";
        }
        // rosa up starts the Kasa light's server (a simulated bulb): a free port, not the shipped 5002 other runs may hold.
        if (drivers["mcpServers"]!["Kasa Lightbulb Controller"] is { } kasa)
        {
            kasa["url"] = $"http://localhost:{FreePort.Next()}/mcp";
        }
        File.WriteAllText(driversPath, drivers.ToJsonString());
        return dir;
    }

    /// <summary>
    /// The shipped config with the Reachy on <paramref name="reachyPort"/>, the Kasa light on <paramref name="kasaPort"/> when given, and
    /// every other driver on a closed port.
    /// </summary>
    public static string CopyWithReachyPort(int reachyPort, int? kasaPort = null)
    {
        var dir = CopyShipped(reachyPort);
        var driversPath = Path.Combine(dir, "drivers.json");
        var drivers = JsonNode.Parse(File.ReadAllText(driversPath))!;
        var servers = drivers["mcpServers"]!.AsObject();
        // Other drivers keep their entries but point at a closed port so the kernel reports them unreachable quickly.
        foreach (var (name, entry) in servers.ToList())
        {
            if (name == "Kasa Lightbulb Controller" && kasaPort is { } kasa)
            {
                entry!["url"] = $"http://127.0.0.1:{kasa}/mcp";
            }
            else if (name != "reachy-mini")
            {
                entry!["url"] = TestStack.NotRunningUrl();
                entry.AsObject().Remove("ros");
            }
        }
        File.WriteAllText(driversPath, drivers.ToJsonString());
        return dir;
    }
}

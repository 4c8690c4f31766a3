using System.Text.Json.Nodes;

namespace RosaOS.Testing;

/// <summary>A config folder for a test stack: the shipped prompts and drivers.json, pointed at the test's own ports.</summary>
public static class StackConfig
{
    /// <summary>
    /// Copies the shipped prompts into <paramref name="configDir"/> and writes its drivers.json: every driver on a loopback port
    /// nobody listens on (<see cref="PointDriver"/> points one at a service once it reports the port it got), the reachy-mini and
    /// turtlebot entries switched on (the turtlebot's shipped ROS section pointed at <paramref name="rosbridge"/>), every other
    /// driver without its ROS section.
    /// </summary>
    public static void Write(string configDir, Uri rosbridge)
    {
        ArgumentNullException.ThrowIfNull(rosbridge);
        foreach (var file in new[] { "kernel.txt", "process.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(configDir, file));
        }
        Directory.CreateDirectory(Path.Combine(configDir, "prompts"));
        foreach (var prompt in Directory.GetFiles(Path.Combine(TestPaths.ConfigDir, "prompts")))
        {
            File.Copy(prompt, Path.Combine(configDir, "prompts", Path.GetFileName(prompt)));
        }
        var shipped = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.ConfigDir, "drivers.json")))!["mcpServers"]!.AsObject();
        var servers = new JsonObject();
        foreach (var (name, entry) in shipped)
        {
            var copy = entry!.DeepClone().AsObject();
            copy["url"] = TestStack.NotRunningUrl();
            if (name == "turtlebot")
            {
                // The shipped section, switched on and pointed at the local graph; its camera topic is the stand-in's.
                copy["ros"]!["rosbridge"] = rosbridge.ToString();
                copy["enabled"] = true;
            }
            else
            {
                copy.Remove("ros");
            }
            servers[name] = copy;
        }
        File.WriteAllText(Path.Combine(configDir, "drivers.json"), new JsonObject { ["mcpServers"] = servers }.ToJsonString());
    }

    /// <summary>Points the drivers.json entry <paramref name="name"/> at a started server (<paramref name="baseUrl"/> + <c>/mcp</c>).</summary>
    public static void PointDriver(string configDir, string name, string baseUrl)
    {
        var path = Path.Combine(configDir, "drivers.json");
        var drivers = JsonNode.Parse(File.ReadAllText(path))!;
        drivers["mcpServers"]![name]!["url"] = baseUrl.TrimEnd('/') + "/mcp";
        File.WriteAllText(path, drivers.ToJsonString());
    }
}

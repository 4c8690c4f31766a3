using System.Text.Json.Nodes;

namespace RosaOS.Testing;

/// <summary>A config folder for a test stack: the shipped prompts and drivers.json, pointed at the test's own ports.</summary>
public static class StackConfig
{
    /// <summary>
    /// Copies the shipped prompts into <paramref name="configDir"/> and writes its drivers.json: the
    /// reachy-mini and turtlebot entries on the given ports, switched on (the turtlebot's shipped ROS section pointed at
    /// <paramref name="rosbridge"/>), every other driver on a dead port without its ROS section.
    /// </summary>
    public static void Write(string configDir, int reachyPort, int turtlebotPort, Uri rosbridge)
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
            copy["url"] = $"http://127.0.0.1:{(name == "reachy-mini" ? reachyPort : name == "turtlebot" ? turtlebotPort : FreePort.Next())}/mcp";
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
}

using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Hosting;

namespace RosaOS.Cli.Stack;

/// <summary>What a rosaOS stack consists of and where each part answers: shared by <c>rosa up</c>, which starts it,
/// and <c>rosa status</c>, which checks it.</summary>
internal sealed record StackLayout(
    Uri RobotUrl,
    bool SimulatedRobot,
    int ReachyPort,
    int KernelPort,
    int ProcessPort,
    string DataDirectory,
    string ConfigDirectory,
    IReadOnlyList<RosDriver> RosDrivers)
{
    public Uri ReachyMcpUrl => new($"http://127.0.0.1:{ReachyPort}/mcp");
    public Uri KernelUrl => new($"http://127.0.0.1:{KernelPort}/");
    public Uri ProcessManagerUrl => new($"http://127.0.0.1:{ProcessPort}/mcp");
    public string LogDirectory => Path.Combine(DataDirectory, "logs");

    /// <summary>The layout from the environment variables of the original and the given overrides.</summary>
    public static StackLayout Resolve(string? robot, int simPort, string? dataDirectory, bool withRos)
    {
        var config = RosaEnvironment.ConfigDirectory;
        var simulated = string.IsNullOrWhiteSpace(robot);
        var robotUrl = simulated
            ? new Uri($"http://127.0.0.1:{simPort}")
            : Uri.TryCreate(robot, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed
                : throw new ArgumentException($"--robot {robot} is not an http(s) URL of a Reachy Mini daemon, e.g. http://reachy-mini.local:8000.");
        return new StackLayout(
            robotUrl,
            simulated,
            RosaEnvironment.GetPort("REACHY_MCP_PORT", 5001),
            RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765),
            RosaEnvironment.GetPort("PROCESS_SERVER_PORT", 7001),
            Path.GetFullPath(dataDirectory ?? RosaEnvironment.DataDirectory),
            config,
            withRos ? RosDriver.ReadAll(Path.Combine(config, "drivers.json")) : []);
    }

    /// <summary>Path of the file in which a running <c>rosa up</c> records its layout for <c>rosa status</c>.</summary>
    public static string StateFile(string dataDirectory) => Path.Combine(dataDirectory, "run", "up.json");

    public void Save(int supervisorPid)
    {
        var node = new JsonObject
        {
            ["pid"] = supervisorPid,
            ["robot_url"] = RobotUrl.ToString(),
            ["simulated_robot"] = SimulatedRobot,
            ["reachy_port"] = ReachyPort,
            ["kernel_port"] = KernelPort,
            ["process_port"] = ProcessPort,
            ["ros"] = new JsonArray([.. RosDrivers.Select(d => (JsonNode)new JsonObject { ["name"] = d.Name, ["port"] = d.Port })]),
        };
        var path = StateFile(DataDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The layout a running <c>rosa up</c> recorded, if its process is still alive.</summary>
    public static StackLayout? LoadRunning(string dataDirectory)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(File.ReadAllText(StateFile(dataDirectory)));
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
        // A file left by a killed supervisor (or edited by hand) is not a running stack.
        if (node is not JsonObject o || !TryInt(o["pid"], out var pid) || !Directory.Exists($"/proc/{pid}")
            || o["robot_url"]?.GetValue<string>() is not { } robot || !Uri.TryCreate(robot, UriKind.Absolute, out var robotUrl)
            || !TryInt(o["reachy_port"], out var reachy) || !TryInt(o["kernel_port"], out var kernel) || !TryInt(o["process_port"], out var process))
        {
            return null;
        }
        var ros = new List<RosDriver>();
        foreach (var r in o["ros"] as JsonArray ?? [])
        {
            if (r?["name"] is JsonValue name && name.TryGetValue<string>(out var n) && TryInt(r["port"], out var port))
            {
                ros.Add(new RosDriver(n, port));
            }
        }
        var simulated = o["simulated_robot"] is JsonValue s && s.TryGetValue<bool>(out var b) && b;
        return new StackLayout(robotUrl, simulated, reachy, kernel, process, dataDirectory, RosaEnvironment.ConfigDirectory, ros);
    }

    private static bool TryInt(JsonNode? node, out int value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value);
    }
}

/// <summary>A ROS robot that <c>rosa up</c> exposes through its own <c>rosa ros --name NAME</c>: a drivers.json entry with a
/// <c>ros</c> section, from which <c>rosa ros</c> itself reads the bridge, camera and safety settings.</summary>
/// <param name="Name">The driver name (the drivers.json key).</param>
/// <param name="Port">The MCP port, from the entry's url.</param>
internal sealed record RosDriver(string Name, int Port)
{
    public static IReadOnlyList<RosDriver> ReadAll(string driversJson)
    {
        if (!File.Exists(driversJson))
        {
            return [];
        }
        var root = JsonNode.Parse(File.ReadAllText(driversJson), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var drivers = new List<RosDriver>();
        foreach (var (name, entry) in root?["mcpServers"] as JsonObject ?? [])
        {
            if (entry?["ros"] is JsonObject && entry["url"] is JsonValue url && url.TryGetValue<string>(out var text)
                && Uri.TryCreate(text, UriKind.Absolute, out var uri))
            {
                drivers.Add(new RosDriver(name, uri.Port));
            }
        }
        return drivers;
    }

    public override string ToString() => $"{Name} (port {Port.ToString(CultureInfo.InvariantCulture)})";
}

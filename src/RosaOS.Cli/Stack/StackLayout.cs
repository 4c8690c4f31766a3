using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Configuration;
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
    /// <summary>What <c>rosa up</c> does with each drivers.json entry and why (empty for a layout read back by <c>rosa status</c>).</summary>
    public IReadOnlyList<DriverPlan> Plan { get; init; } = [];

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
        var reachyPort = RosaEnvironment.GetPort("REACHY_MCP_PORT", 5001);
        var drivers = DriversConfig.Load(config);
        var plan = drivers.Drivers.Select(d => DriverPlan.For(d, drivers, withRos, reachyPort)).ToList();
        return new StackLayout(
            robotUrl,
            simulated,
            reachyPort,
            RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765),
            RosaEnvironment.GetPort("PROCESS_SERVER_PORT", 7001),
            Path.GetFullPath(dataDirectory ?? RosaEnvironment.DataDirectory),
            config,
            [.. plan.Where(p => p.Started && p.Entry.Ros is not null).Select(p => new RosDriver(p.Entry.Name, p.Entry.Port))])
        {
            Plan = plan,
        };
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
        if (node is not JsonObject o || !TryInt(o["pid"], out var pid) || !ProcessIdentity.Exists(pid)
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

/// <summary>A ROS robot that <c>rosa up</c> exposes through its own <c>rosa ros --name NAME</c>: an enabled drivers.json entry
/// with a <c>ros</c> section, from which <c>rosa ros</c> itself reads the bridge, camera and safety settings.</summary>
/// <param name="Name">The driver name (the drivers.json key).</param>
/// <param name="Port">The MCP port, from the entry's url.</param>
internal sealed record RosDriver(string Name, int Port)
{
    public override string ToString() => $"{Name} (port {Port.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>What <c>rosa up</c> does with one drivers.json entry: start it or not, and the sentence that says why.</summary>
internal sealed record DriverPlan(DriverEntry Entry, bool Started, string Detail)
{
    /// <summary>The shipped drivers.json name of the Kasa light, served by <c>rosa kasa</c>.</summary>
    public const string KasaDriver = "Kasa Lightbulb Controller";

    public static DriverPlan For(DriverEntry entry, DriversConfig config, bool withRos, int reachyPort)
    {
        if (!entry.Enabled)
        {
            return new DriverPlan(entry, false, "disabled: " + config.DisabledReason(entry));
        }
        if (entry.Ros is not null)
        {
            return withRos
                ? new DriverPlan(entry, true, $"started: rosa ros on {entry.Url}, rosbridge {entry.Ros.Rosbridge}")
                : new DriverPlan(entry, false, "not started: --no-ros");
        }
        if (entry.Name == "reachy-mini" || (DriversConfig.IsLoopback(entry.Url) && entry.Port == reachyPort))
        {
            return new DriverPlan(entry, true, $"started: rosa reachy on {entry.Url}");
        }
        if (entry.Name == KasaDriver && DriversConfig.IsLoopback(entry.Url))
        {
            return new DriverPlan(entry, true, Hosting.RosaEnvironment.Get("KASA_HOST") is { Length: > 0 } bulb
                ? $"started: rosa kasa on {entry.Url}, bulb {bulb}"
                : $"started: rosa kasa --sim on {entry.Url} (simulated bulb; set KASA_HOST for a real one)");
        }
        return new DriverPlan(entry, false, $"not started by rosa up (no built-in server); the kernel uses it if {entry.Url} answers");
    }

    /// <summary>The addresses off this machine an enabled entry will connect to (empty for a disabled one).</summary>
    public IReadOnlyList<Uri> Remote => Entry.Enabled ? Entry.RemoteAddresses : [];
}

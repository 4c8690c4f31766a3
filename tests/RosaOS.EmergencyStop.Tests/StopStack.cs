using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using RosaOS.Testing.Ros;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>
/// The whole system around the stop, all real processes on free ports: a ROS 1 graph with the stand-in TurtleBot,
/// <c>rosa sim</c>, <c>rosa reachy</c> (speech loop on the simulator's microphone, offline wake word), <c>rosa ros --name
/// turtlebot</c>, <c>rosa kernel</c> with one-off workers, one data and one config folder for all of them as under
/// <c>rosa up</c>. drivers.json also lists a driver that hangs ("frozen": accepts and never answers) and one that is not
/// running ("dog"). Only the LLM is scripted.
/// </summary>
public sealed class StopStack : IAsyncLifetime
{
    private const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    public RosGraph Graph { get; private set; } = null!;
    public ScriptedLlmServer Llm { get; private set; } = null!;
    internal HungDriver Frozen { get; private set; } = null!;
    public string DataDir { get; } = TestPaths.NewTempDirectory("estopdata");
    public string ConfigDir { get; } = TestPaths.NewTempDirectory("estopcfg");
    public int SimPort { get; } = FreePort.Next();
    public int ReachyPort { get; } = FreePort.Next();
    public int RosPort { get; } = FreePort.Next();
    public int KernelPort { get; } = FreePort.Next();
    public int ProcessPort { get; } = FreePort.Next();
    public int DogPort { get; } = FreePort.Next();
    public RosaProcess Sim { get; private set; } = null!;
    public RosaProcess Reachy { get; private set; } = null!;
    public RosaProcess? Ros { get; private set; }
    public RosaProcess? Kernel { get; private set; }
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public string SimUrl => $"http://127.0.0.1:{SimPort}";
    public string ReachyUrl => $"http://127.0.0.1:{ReachyPort}";
    public string RosUrl => $"http://127.0.0.1:{RosPort}";
    public string KernelUrl => $"http://127.0.0.1:{KernelPort}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Dictionary<string, string?> Environment => new()
    {
        ["ROSAOS_DATA_DIR"] = DataDir,
        ["ROSAOS_CONFIG_DIR"] = ConfigDir,
        ["STT_CALLBACK_URL"] = $"{KernelUrl}/stt",
        ["ROSA_DAEMON_URL"] = SimUrl,
    };

    public async ValueTask InitializeAsync()
    {
        Graph = await RosGraph.StartAsync();
        Llm = await ScriptedLlmServer.StartAsync();
        Llm.Fallback = ScriptedTurn.Say("Noted.");
        Frozen = new HungDriver();
        WriteConfig();
        Sim = RosaProcess.StartRosa(["sim", "--port", Str(SimPort), "--dataset", $"{EmotionsDataset}={TestPaths.EmotionsLibrary}"], Environment);
        await Sim.WaitForHttpAsync($"{SimUrl}/api/daemon/status");
        await Poll.UntilAsync(async () => (await GetJsonAsync($"{SimUrl}/api/daemon/status"))["state"]!.GetValue<string>() == "running", "the simulated robot to be awake");
        await StartReachyAsync();
        await StartRosAsync();
        await StartKernelAsync();
    }

    public async Task StartReachyAsync()
    {
        Reachy = RosaProcess.StartRosa(["reachy", "--port", Str(ReachyPort), "--daemon", SimUrl, "--listen-timeout", "3", "--wake-word", "hello"], Environment);
        await Reachy.WaitForHttpAsync($"{ReachyUrl}/health");
        await Poll.UntilAsync(async () => (await GetJsonAsync($"{ReachyUrl}/health"))["speech_input"]?["capturing"]?.GetValue<bool>() == true,
            "rosa reachy to hear the simulated microphone");
    }

    public async Task RestartReachyAsync()
    {
        await Reachy.DisposeAsync();
        await StartReachyAsync();
    }

    /// <summary>Starts `rosa ros --name turtlebot`, which reads its bridge, port and safety from the shared drivers.json.</summary>
    public async Task StartRosAsync()
    {
        Ros = RosaProcess.StartRosa(["ros", "--name", "turtlebot"], Environment);
        await Ros.WaitForHttpAsync($"{RosUrl}/health");
        await Poll.UntilAsync(async () => (await GetJsonAsync($"{RosUrl}/health"))["connected"]!.GetValue<bool>(), "rosa ros to connect to rosbridge");
    }

    public async Task StopRosAsync()
    {
        if (Ros is not null)
        {
            await Ros.DisposeAsync();
            Ros = null;
        }
    }

    public async Task StartKernelAsync()
    {
        var env = Environment;
        env["LOCAL_LLM_PORT"] = Str(FreePort.Next());
        env["GROQ_API_KEY"] = "gsk_test";
        env["GROQ_BASE_URL"] = Llm.GroqBaseUrl;
        Kernel = RosaProcess.StartRosa(["kernel", "--port", Str(KernelPort), "--process-port", Str(ProcessPort), "--pool-size", "0"], env);
        await Kernel.WaitForHttpAsync($"{KernelUrl}/health");
    }

    public async Task StopKernelAsync()
    {
        if (Kernel is not null)
        {
            await Kernel.DisposeAsync();
            Kernel = null;
        }
    }

    /// <summary>Kills the kernel like a crash (SIGKILL to the kernel alone).</summary>
    public async Task KillKernelAsync()
    {
        Kernel!.Signal(9);
        await Kernel.WaitForExitAsync();
        await Kernel.DisposeAsync();
        Kernel = null;
    }

    /// <summary>Every test starts from here: every process up, the stop released everywhere, the robots still.</summary>
    public async Task ResetAsync()
    {
        if (Ros is null)
        {
            await StartRosAsync();
        }
        if (Kernel is null)
        {
            await StartKernelAsync();
        }
        var (status, body) = await PostAsync($"{KernelUrl}/api/estop/release", """{"by":"ui","confirm":true}""");
        Assert.True(status == 200, body?.ToJsonString());
        foreach (var url in new[] { ReachyUrl, RosUrl })
        {
            Assert.False((await GetJsonAsync($"{url}/estop"))["engaged"]!.GetValue<bool>(), $"{url} still engaged after the release");
        }
        await Poll.UntilAsync(async () => (await RunningMovesAsync()).Count == 0, "the head to be idle");
        await Poll.UntilAsync(async () => await SpeechStateAsync() == "waiting_for_wake_word", "the speech loop to wait for the wake word");
        await Poll.ForAsync(OdomVxAsync, vx => vx == 0, "the base to stand still");
    }

    /// <summary>The UI's press: POST /api/estop on the kernel.</summary>
    public Task<(int Status, JsonObject? Body)> PressAsync(string source = "ui") => PostAsync($"{KernelUrl}/api/estop", $$"""{"source":"{{source}}"}""");

    public async Task<(int Status, JsonObject? Body)> PostAsync(string url, string json, string contentType = "application/json")
    {
        using var content = new StringContent(json, Encoding.UTF8, contentType);
        using var response = await Http.PostAsync(new Uri(url), content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    public async Task<JsonObject> GetJsonAsync(string url) => JsonNode.Parse(await Http.GetStringAsync(new Uri(url), Ct))!.AsObject();

    public async Task<JsonArray> GetArrayAsync(string url) => JsonNode.Parse(await Http.GetStringAsync(new Uri(url), Ct))!.AsArray();

    /// <summary>Calls a tool of a driver's MCP server as a worker would (a fresh client: servers restart in these tests).</summary>
    public static async Task<(string Text, bool IsError)> CallAsync(string baseUrl, string tool, object? args = null)
    {
        var ct = Ct;
        await using var client = await ConnectAsync(baseUrl, ct);
        var arguments = args is null ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!;
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: ct);
        return (string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)), result.IsError == true);
    }

    public static async Task<McpClient> ConnectAsync(string baseUrl, CancellationToken cancellationToken)
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(baseUrl + "/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: cancellationToken);

    public async Task<IReadOnlyList<string>> RunningMovesAsync()
        => [.. (await GetArrayAsync($"{SimUrl}/api/move/running")).Select(n => n!.ToString())];

    public async Task<double> HeadYawAsync() => (await GetJsonAsync($"{SimUrl}/api/state/present_head_pose"))["yaw"]!.GetValue<double>() * 180 / Math.PI;

    public async Task<double[]> AntennasAsync()
        => [.. (await GetArrayAsync($"{SimUrl}/api/state/present_antenna_joint_positions")).Select(a => a!.GetValue<double>() * 180 / Math.PI)];

    public async Task<string?> SpeechStateAsync() => (await GetJsonAsync($"{ReachyUrl}/health"))["speech_input"]?["state"]?.GetValue<string>();

    /// <summary>Makes the simulated robot hear <paramref name="text"/> from <paramref name="azimuthDeg"/>.</summary>
    public async Task SayAsync(string text, double azimuthDeg)
    {
        var (status, body) = await PostAsync($"{SimUrl}/sim/say", JsonSerializer.Serialize(new { text, azimuth_deg = azimuthDeg }));
        Assert.True(status == 200, body?.ToJsonString());
    }

    /// <summary>The base's forward speed as the robot itself reports it on /odom (read with rostopic, an independent witness).</summary>
    public async Task<double> OdomVxAsync()
    {
        var output = await Graph.RunAsync("rostopic", ["echo", "-n", "1", "/odom/twist/twist/linear/x"]);
        return double.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).First(l => l != "---"), CultureInfo.InvariantCulture);
    }

    /// <summary>Samples a reading for <paramref name="window"/> and says whether it stayed within <paramref name="tolerance"/>.</summary>
    public static async Task<(bool Still, double First, double Last)> StaysStillAsync(Func<Task<double>> read, TimeSpan window, double tolerance = 0.2)
    {
        var first = await read();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = first;
        while (watch.Elapsed < window)
        {
            last = await read();
            if (Math.Abs(last - first) > tolerance)
            {
                return (false, first, last);
            }
            await Task.Delay(50, Ct);
        }
        return (true, first, last);
    }

    /// <summary>Runs `rosa estop` with this stack's config and data folders; returns its exit code and output.</summary>
    public async Task<(int Code, string Output)> RunEstopCliAsync(params string[] args)
    {
        await using var cli = RosaProcess.StartRosa(["estop", "--kernel-url", KernelUrl, .. args], Environment);
        var code = await cli.WaitForExitAsync(TestTimeouts.Startup);
        return (code, cli.Output);
    }

    private void WriteConfig()
    {
        foreach (var file in new[] { "kernel.txt", "process.txt" })
        {
            File.Copy(Path.Combine(TestPaths.ConfigDir, file), Path.Combine(ConfigDir, file));
        }
        Directory.CreateDirectory(Path.Combine(ConfigDir, "prompts"));
        foreach (var prompt in Directory.GetFiles(Path.Combine(TestPaths.ConfigDir, "prompts")))
        {
            File.Copy(prompt, Path.Combine(ConfigDir, "prompts", Path.GetFileName(prompt)));
        }
        var drivers = new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                ["reachy-mini"] = new JsonObject { ["url"] = $"{ReachyUrl}/mcp", ["description"] = "Reachy Mini robot tools" },
                ["turtlebot"] = new JsonObject
                {
                    ["url"] = $"{RosUrl}/mcp",
                    ["description"] = "ROS MCP server for robot turtlebot",
                    ["ros"] = new JsonObject
                    {
                        ["rosbridge"] = Graph.BridgeUrl.ToString(),
                        ["camera_topic"] = "/oakd/rgb/preview/image_raw/compressed",
                        ["safety"] = new JsonObject { ["allow_topics"] = new JsonArray("/cmd_vel"), ["allow_services"] = new JsonArray("/dock", "/undock"), ["allow_actions"] = new JsonArray("/dock_action"), ["allow_parameters"] = new JsonArray("/fake_turtlebot/*"), ["max_linear"] = 0.3, ["max_angular"] = 1.9, ["max_publish_seconds"] = 60, ["cmd_vel_topic"] = "/cmd_vel", ["cmd_vel_type"] = "geometry_msgs/Twist" },
                    },
                },
                ["frozen"] = new JsonObject { ["url"] = $"http://127.0.0.1:{Frozen.Port}/mcp", ["description"] = "a driver that hangs" },
                ["dog"] = new JsonObject { ["url"] = $"http://127.0.0.1:{DogPort}/mcp", ["description"] = "a driver that is not running" },
            },
        };
        File.WriteAllText(Path.Combine(ConfigDir, "drivers.json"), drivers.ToJsonString());
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { Kernel, Ros, Reachy, Sim })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }
        if (Frozen is not null)
        {
            await Frozen.DisposeAsync();
        }
        if (Llm is not null)
        {
            await Llm.DisposeAsync();
        }
        if (Graph is not null)
        {
            await Graph.DisposeAsync();
        }
        Http.Dispose();
        foreach (var dir in new[] { DataDir, ConfigDir })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class StopStackCollection : ICollectionFixture<StopStack>
{
    public const string Name = "stop stack";
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using RosaOS.Testing.Ros;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>
/// The whole system around the stop, all real processes on <see cref="TestStack"/>: a ROS 1 graph with the stand-in TurtleBot,
/// <c>rosa sim</c>, <c>rosa reachy</c> (speech loop on the simulator's microphone, offline wake word), <c>rosa ros --name
/// turtlebot</c>, <c>rosa kernel</c> with one-off workers, one data and one config folder for all of them as under
/// <c>rosa up</c>. drivers.json also lists a driver that hangs ("frozen": accepts and never answers) and one that is not
/// running ("dog"). Only the LLM is scripted. Tests stop and start the kernel and the drivers; each starts again at the address it
/// got the first time, where drivers.json and the others know it.
/// </summary>
public sealed class StopStack : IAsyncLifetime
{
    private TestStack _stack = null!;

    public RosGraph Graph { get; private set; } = null!;
    public ScriptedLlmServer Llm { get; private set; } = null!;
    internal HungDriver Frozen { get; private set; } = null!;
    public string DataDir { get; } = TestPaths.NewTempDirectory("estopdata");
    public string ConfigDir => _stack.ConfigDirectory;
    public RosaProcess Reachy => _stack.Reachy ?? throw new InvalidOperationException("rosa reachy is stopped.");
    public RosaProcess? Ros => _stack.Ros;
    public RosaProcess? Kernel => _stack.Kernel;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public string SimUrl => _stack.SimUrl;
    public string ReachyUrl => _stack.ReachyUrl;
    public string RosUrl => _stack.RosUrl;
    public string KernelUrl => _stack.KernelUrl;

    /// <summary>The kernel's process manager (its MCP endpoint is <c>{ProcessManagerUrl}/mcp</c>).</summary>
    public string ProcessManagerUrl => _stack.ProcessManagerUrl[..^"/mcp".Length];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        Graph = await RosGraph.StartAsync();
        Llm = await ScriptedLlmServer.StartAsync();
        Llm.Fallback = ScriptedTurn.Say("Noted.");
        Frozen = new HungDriver();
        // The speech loop calls the kernel's /stt: the kernel's port is chosen ahead (TestStack), every other part binds port 0.
        _stack = await TestStack.StartAsync(new TestStackOptions
        {
            Llm = Llm,
            DataDirectory = DataDir,
            Drivers = WriteDrivers,
            Sim = new SimPart { WaitAwake = true },
            Reachy = new ReachyPart { SpeechToKernel = true, WaitCapturing = true, Arguments = ["--listen-timeout", "3", "--wake-word", "hello"] },
            Ros = new RosPart { Rosbridge = Graph.BridgeUrl, WaitConnected = true },
            Kernel = new KernelPart { Llm = true, Arguments = ["--pool-size", "0"] },
        });
    }

    public Task RestartReachyAsync() => _stack.RestartAsync(StackService.Reachy);

    /// <summary>Starts `rosa ros --name turtlebot` again, on its port and with its bridge and safety from the shared drivers.json.</summary>
    public Task StartRosAsync() => _stack.StartAgainAsync(StackService.Ros);

    public Task StopRosAsync() => _stack.StopAsync(StackService.Ros);

    public Task StartKernelAsync() => _stack.StartAgainAsync(StackService.Kernel);

    public Task StopKernelAsync() => _stack.StopAsync(StackService.Kernel);

    /// <summary>Kills the kernel like a crash (SIGKILL to the kernel alone).</summary>
    public Task KillKernelAsync() => _stack.StopAsync(StackService.Kernel, kill: true);

    /// <summary>
    /// Every test starts from here, whatever ran before it: every process up, the stop released everywhere, no worker running, the
    /// head back at the neutral pose and idle, the speech loop waiting for its wake word, the base still.
    /// </summary>
    public async Task ResetAsync()
    {
        await _stack.StartStoppedAsync();
        var (status, body) = await PostAsync($"{KernelUrl}/api/estop/release", """{"by":"ui","confirm":true}""");
        Assert.True(status == 200, body?.ToJsonString());
        foreach (var url in new[] { ReachyUrl, RosUrl })
        {
            Assert.False((await GetJsonAsync($"{url}/estop"))["engaged"]!.GetValue<bool>(), $"{url} still engaged after the release");
        }
        // A worker of an earlier test may still be finishing its task; the tests count the workers they start.
        await Poll.UntilAsync(async () => (await GetJsonAsync($"{KernelUrl}/api/processes"))["running"]!.AsArray().Count == 0, "no worker to be running");
        await Poll.UntilAsync(async () => (await RunningMovesAsync()).Count == 0, "the head to be idle");
        // The tests tell a move by the head leaving straight ahead: bring it back there from wherever an earlier test left it.
        if (Math.Abs(await HeadYawAsync()) > 1 || (await AntennasAsync()).Any(a => Math.Abs(a) > 1))
        {
            var (text, isError) = await CallAsync(ReachyUrl, "reset_head");
            Assert.False(isError, text);
        }
        await Poll.UntilAsync(async () => await SpeechStateAsync() == "waiting_for_wake_word", "the speech loop to wait for the wake word");
        await Poll.UntilAsync(async () => (await RunningMovesAsync()).Count == 0, "the head to be idle");
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
        await using var client = await ConnectAsync(baseUrl, Ct);
        return await client.CallToolTextAsync(tool, args);
    }

    public static Task<McpClient> ConnectAsync(string baseUrl, CancellationToken cancellationToken) => McpTools.ConnectAsync(baseUrl + "/mcp", cancellationToken);

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
    public Task<double> OdomVxAsync() => OdomAsync("/odom/twist/twist/linear/x");

    /// <summary>The base's position along x on /odom, read the same way.</summary>
    public Task<double> OdomXAsync() => OdomAsync("/odom/pose/pose/position/x");

    private async Task<double> OdomAsync(string field)
    {
        var output = await Graph.RunAsync("rostopic", ["echo", "-n", "1", field]);
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
            // Kept: the sampling period of a "stays still for the window" check (no state says "never moved").
            await Task.Delay(50, Ct);
        }
        return (true, first, last);
    }

    /// <summary>Runs `rosa estop` with this stack's config and data folders; returns its exit code and output.</summary>
    public async Task<(int Code, string Output)> RunEstopCliAsync(params string[] args)
    {
        await using var cli = RosaProcess.StartRosa(["estop", "--kernel-url", KernelUrl, .. args],
            new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = DataDir, ["ROSAOS_CONFIG_DIR"] = ConfigDir });
        var code = await cli.WaitForExitAsync(TestTimeouts.Startup);
        return (code, cli.Output);
    }

    /// <summary>
    /// drivers.json holds exactly the stack's four drivers: Reachy and the TurtleBot (their URLs written once they listen), the hung
    /// "frozen" and the never-running "dog" (on a closed port).
    /// </summary>
    private void WriteDrivers(JsonObject servers)
    {
        servers.Clear();
        servers["reachy-mini"] = new JsonObject { ["url"] = TestStack.NotRunningUrl(), ["description"] = "Reachy Mini robot tools" };
        servers["turtlebot"] = new JsonObject
        {
            ["url"] = TestStack.NotRunningUrl(),
            ["description"] = "ROS MCP server for robot turtlebot",
            ["ros"] = new JsonObject
            {
                ["rosbridge"] = Graph.BridgeUrl.ToString(),
                ["camera_topic"] = "/oakd/rgb/preview/image_raw/compressed",
                ["safety"] = new JsonObject { ["allow_topics"] = new JsonArray("/cmd_vel"), ["allow_services"] = new JsonArray("/dock", "/undock"), ["allow_actions"] = new JsonArray("/dock_action"), ["allow_parameters"] = new JsonArray("/fake_turtlebot/*"), ["max_linear"] = 0.3, ["max_angular"] = 1.9, ["max_publish_seconds"] = 60, ["cmd_vel_topic"] = "/cmd_vel", ["cmd_vel_type"] = "geometry_msgs/Twist" },
            },
        };
        servers["frozen"] = new JsonObject { ["url"] = $"http://127.0.0.1:{Frozen.Port}/mcp", ["description"] = "a driver that hangs" };
        servers["dog"] = new JsonObject { ["url"] = TestStack.NotRunningUrl(), ["description"] = "a driver that is not running" };
    }

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
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
        foreach (var dir in new[] { DataDir, _stack?.ConfigDirectory })
        {
            try
            {
                if (dir is not null)
                {
                    Directory.Delete(dir, recursive: true);
                }
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

// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// The ROS 2 run: `rosa rossim` (a simulated ROS 2 TurtleBot 4 behind a rosbridge v2 server) and `rosa ros` connected to it,
/// for the whole collection. The simulator's own map (<c>/api/state</c>) is the witness, as rostopic is for the ROS 1 graph.
/// </summary>
public sealed class RosSimRobotFixture : IAsyncLifetime
{
    public RosaProcess Sim { get; private set; } = null!;

    public RosaProcess Rosa { get; private set; } = null!;

    public McpClient Client { get; private set; } = null!;

    /// <summary>The simulator's rosbridge (and HTTP) port: it starts on port 0 and reports the port it got.</summary>
    public int BridgePort { get; private set; }

    /// <summary>The port <c>rosa ros</c> got (port 0, reported).</summary>
    public int McpPort { get; private set; }

    public string ImagesDir { get; } = TestPaths.NewTempDirectory("ros2images");

    public string ConfigDir { get; } = TestPaths.NewTempDirectory("ros2config");

    public string BaseUrl => $"http://127.0.0.1:{McpPort.ToString(CultureInfo.InvariantCulture)}";

    public string SimUrl => $"http://127.0.0.1:{BridgePort.ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask InitializeAsync()
    {
        Sim = RosaProcess.StartRosa(["rossim", "--name", "turtlebot", "--port", "0"]);
        BridgePort = (await Sim.WaitForListeningAsync("rossim-turtlebot", TestTimeouts.Startup)).Port;
        var drivers = new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                ["turtlebot"] = new JsonObject
                {
                    ["url"] = "http://localhost:9091/mcp",
                    ["description"] = "simulated turtlebot",
                    ["ros"] = new JsonObject
                    {
                        ["rosbridge"] = $"ws://127.0.0.1:{BridgePort.ToString(CultureInfo.InvariantCulture)}",
                        ["camera_topic"] = "/oakd/rgb/preview/image_raw/compressed",
                        // Writes are denied unless allowed: the writes these tests make, like the shipped turtlebot's lists; the
                        // simulator's reset service is both allowed and denied, and the deny list wins.
                        ["safety"] = new JsonObject
                        {
                            ["allow_topics"] = new JsonArray("/cmd_vel"),
                            ["allow_actions"] = new JsonArray("/dock", "/undock", "/navigate_to_pose"),
                            ["allow_parameters"] = new JsonArray("/oakd:fps"),
                            ["allow_services"] = new JsonArray("/rossim/reset_pose"),
                            ["deny"] = new JsonArray("/rossim/reset_pose"),
                            ["max_linear"] = 0.3, ["max_angular"] = 1.9, ["max_publish_seconds"] = 20,
                        },
                    },
                },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(ConfigDir, "drivers.json"), drivers.ToJsonString());
        Rosa = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--port", "0",
            "--images-dir", ImagesDir, "--drivers", Path.Combine(ConfigDir, "drivers.json")]);
        McpPort = (await Rosa.WaitForListeningAsync("ros-turtlebot", TestTimeouts.Startup)).Port;
        Client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(BaseUrl + "/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" });
        using var http = new HttpClient();
        await Poll.UntilAsync(async () => JsonNode.Parse(await http.GetStringAsync(new Uri(BaseUrl + "/health")))!["connected"]!.GetValue<bool>(), "rosa ros to connect to rosa rossim");
    }

    /// <summary>The simulator's state: pose, battery, docked, bumps, plan.</summary>
    public async Task<JsonObject> StateAsync()
    {
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri(SimUrl + "/api/state")))!.AsObject();
    }

    public async Task<JsonObject> CallAsync(string tool, object? args = null, IProgress<ProgressNotificationValue>? progress = null)
    {
        var dict = args is null ? new Dictionary<string, object?>() : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!;
        var result = await Client.CallToolAsync(tool, dict, progress, cancellationToken: TestContext.Current.CancellationToken);
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        Assert.False(result.IsError == true, $"{tool} failed: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async Task<string> CallFailingAsync(string tool, object? args = null)
    {
        var dict = args is null ? new Dictionary<string, object?>() : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!;
        var result = await Client.CallToolAsync(tool, dict, cancellationToken: TestContext.Current.CancellationToken);
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        Assert.True(result.IsError == true, $"{tool} should have failed but returned {text}");
        return text;
    }

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
        if (Rosa is not null)
        {
            await Rosa.DisposeAsync();
        }
        if (Sim is not null)
        {
            await Sim.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RosSimRobotCollection : ICollectionFixture<RosSimRobotFixture>
{
    public const string Name = "ros 2 simulated robot";
}

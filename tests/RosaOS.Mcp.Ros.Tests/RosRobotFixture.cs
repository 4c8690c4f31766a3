using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Ros;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>One real ROS 1 graph, its rosbridge-protocol server and one `rosa ros` process for the whole test collection.</summary>
public sealed class RosRobotFixture : IAsyncLifetime
{
    public RosGraph Graph { get; private set; } = null!;

    public RosaProcess Rosa { get; private set; } = null!;

    public McpClient Client { get; private set; } = null!;

    /// <summary>The port <c>rosa ros</c> got (it starts on port 0 and reports it).</summary>
    public int McpPort { get; private set; }

    public string ImagesDir { get; } = TestPaths.NewTempDirectory("rosimages");

    public string ConfigDir { get; } = TestPaths.NewTempDirectory("rosconfig");

    public string BaseUrl => $"http://127.0.0.1:{McpPort}";

    public async ValueTask InitializeAsync()
    {
        Graph = await RosGraph.StartAsync();
        // The robot's drivers.json entry, as `rosa up` will find it; the command line overrides the URL and port.
        var drivers = new JsonObject
        {
            ["mcpServers"] = new JsonObject
            {
                ["turtlebot"] = new JsonObject
                {
                    ["url"] = "http://localhost:9091/mcp",
                    ["description"] = "test turtlebot",
                    ["ros"] = new JsonObject
                    {
                        ["rosbridge"] = "ws://127.0.0.1:1",
                        ["camera_topic"] = "/oakd/rgb/preview/image_raw/compressed",
                        ["safety"] = new JsonObject
                        {
                            // Writes are refused unless allowed: the names these tests write to, per kind.
                            ["allow_topics"] = new JsonArray("/cmd_vel", "/rosa_chatter", "/forbidden_arm"),
                            ["allow_services"] = new JsonArray("/dock", "/undock", "/slow_service", "/no_such_service", "/plan_path", "/forbidden*"),
                            ["allow_actions"] = new JsonArray("/dock_action", "/forbidden_action"),
                            ["allow_parameters"] = new JsonArray("/rosa_test/*"),
                            ["deny"] = new JsonArray("/forbidden*", "/rosout"),
                            ["bounds"] = new JsonArray(
                                new JsonObject { ["name"] = "/plan_path", ["kind"] = "service", ["field"] = "tolerance", ["min"] = 0, ["max"] = 0.5 },
                                new JsonObject { ["name"] = "/plan_path", ["field"] = "goal.pose.position.x", ["min"] = -5, ["max"] = 5, ["on_violation"] = "refuse" },
                                new JsonObject { ["name"] = "/dock_action", ["kind"] = "action", ["field"] = "goal", ["max"] = 1100 }),
                            ["deadman_seconds"] = 1.5,
                            ["max_linear"] = 0.3,
                            ["max_angular"] = 1.0,
                            ["max_publish_seconds"] = 20,
                        },
                    },
                },
            },
        };
        await File.WriteAllTextAsync(Path.Combine(ConfigDir, "drivers.json"), drivers.ToJsonString());
        Rosa = RosaProcess.StartRosa(["ros", "--name", "turtlebot", "--rosbridge", Graph.BridgeUrl.ToString(), "--port", "0",
            "--images-dir", ImagesDir, "--drivers", Path.Combine(ConfigDir, "drivers.json")]);
        McpPort = (await Rosa.WaitForListeningAsync("ros-turtlebot")).Port;
        Client = await ConnectAsync();
        await Poll.UntilAsync(async () => (await HealthAsync())["connected"]!.GetValue<bool>(), "rosa ros to connect to rosbridge");
    }

    public async Task<McpClient> ConnectAsync(CancellationToken cancellationToken = default)
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(BaseUrl + "/mcp") }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: cancellationToken);

    public async Task<JsonObject> HealthAsync()
    {
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri(BaseUrl + "/health")))!.AsObject();
    }

    /// <summary>Calls a tool and returns its JSON result; fails the test if the tool reported an error.</summary>
    public async Task<JsonObject> CallAsync(string tool, object? args = null, IProgress<ProgressNotificationValue>? progress = null, McpClient? client = null)
    {
        var result = await CallRawAsync(tool, args, progress, client, TestContext.Current.CancellationToken);
        var text = Text(result);
        Assert.False(result.IsError == true, $"{tool} failed: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Calls a tool expecting an error; returns the error text.</summary>
    public async Task<string> CallFailingAsync(string tool, object? args = null)
    {
        var result = await CallRawAsync(tool, args, null, null, TestContext.Current.CancellationToken);
        var text = Text(result);
        Assert.True(result.IsError == true, $"{tool} should have failed but returned {text}");
        return text;
    }

    public async Task<CallToolResult> CallRawAsync(string tool, object? args, IProgress<ProgressNotificationValue>? progress, McpClient? client, CancellationToken cancellationToken)
    {
        var dict = args is null ? new Dictionary<string, object?>()
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!;
        return await (client ?? Client).CallToolAsync(tool, dict, progress, cancellationToken: cancellationToken);
    }

    public static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    /// <summary>The robot's odometry as reported by `rostopic echo` (an independent witness).</summary>
    public async Task<(double X, double Vx)> OdomAsync()
    {
        var x = await Graph.RunAsync("rostopic", ["echo", "-n", "1", "/odom/pose/pose/position/x"]);
        var vx = await Graph.RunAsync("rostopic", ["echo", "-n", "1", "/odom/twist/twist/linear/x"]);
        return (ParseFirst(x), ParseFirst(vx));
    }

    private static double ParseFirst(string output)
        => double.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).First(l => l != "---"), System.Globalization.CultureInfo.InvariantCulture);

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
        if (Graph is not null)
        {
            await Graph.DisposeAsync();
        }
        foreach (var dir in new[] { ImagesDir, ConfigDir })
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
public sealed class RosRobotCollection : ICollectionFixture<RosRobotFixture>
{
    public const string Name = "ros robot";
}

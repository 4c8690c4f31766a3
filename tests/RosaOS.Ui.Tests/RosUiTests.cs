using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Ui.Tests;

/// <summary>
/// The two-robot stack of issue 16 as <c>rosa up</c> runs it offline: <c>rosa sim</c> behind <c>rosa reachy</c> (whose
/// describe_image asks the scripted LLM server, as it asks Groq), <c>rosa rossim</c> behind <c>rosa ros</c> (reporting watches
/// to the kernel), and <c>rosa kernel</c> with its pool of workers and the rossim map in its page; one headless Chromium.
/// Every process shares one config and one data folder, so an image the TurtleBot captures is one Reachy can read.
/// </summary>
public sealed class RosStackFixture : IAsyncLifetime
{
    private TestStack _stack = null!;

    public ScriptedLlmServer Llm => _stack.Llm!;
    public BrowserFixture Browser { get; } = new();
    public string DataDir { get; } = TestPaths.NewTempDirectory("rosdata");
    public string KernelUrl => _stack.KernelUrl + "/";
    public string RosUrl => _stack.RosUrl;
    public string RosSimUrl => _stack.RosSimUrl;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask InitializeAsync()
    {
        // The page fetches the robot's state and the map from the simulators' ports: both trust the kernel's origin, as under rosa up;
        // rosa ros reports watches to the kernel. The kernel probes its drivers at start, so the robots' servers are up before it.
        _stack = await TestStack.StartAsync(new TestStackOptions
        {
            DataDirectory = DataDir,
            Sim = new SimPart { TrustKernelPage = true },
            Reachy = new ReachyPart { Llm = true },
            RosSim = new RosSimPart { Name = "turtlebot", TrustKernelPage = true },
            Ros = new RosPart { KernelUrl = true, WaitConnected = true },
            Kernel = new KernelPart { Llm = true, PoolWorkers = 1 },
        });
        await Browser.InitializeAsync();
    }

    /// <summary>An MCP session with the TurtleBot's <c>rosa ros</c> as the kernel agent has it (no lease header: owner "kernel").</summary>
    public async Task<McpClient> TurtleBotAsync() => await McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"{RosUrl}/mcp") }),
        new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>The simulator's map state (pose, trail, battery …).</summary>
    public async Task<JsonObject> RosSimStateAsync() => JsonNode.Parse(await Http.GetStringAsync($"{RosSimUrl}/api/state", TestContext.Current.CancellationToken))!.AsObject();

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        if (_stack is not null)
        {
            await _stack.DisposeAsync();
        }
        Http.Dispose();
    }
}

/// <summary>The ROS half in the page (issue 16): the rossim map and camera, the watch list, and the "done when" conversation.</summary>
public sealed class RosUiTests(RosStackFixture stack) : IClassFixture<RosStackFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions s_visible = new() { Timeout = 30_000 };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<IPage> OpenAsync()
    {
        var page = await stack.Browser.NewPageAsync();
        await page.GotoAsync(stack.KernelUrl);
        await Assertions.Expect(page.Locator("#stream-state")).ToHaveTextAsync("events: live", new() { Timeout = 30_000 });
        return page;
    }

    [Fact]
    public async Task Driving_the_simulated_TurtleBot_moves_its_pose_on_the_map_and_the_camera_shows()
    {
        var page = await OpenAsync();
        var panel = page.Locator("#rossim-panel-0");
        await Assertions.Expect(panel.Locator(".rossim-name")).ToHaveTextAsync("turtlebot (simulated TurtleBot 4)", new() { Timeout = 30_000 });
        // The room is drawn: walls, the three obstacles, the dock, the pictures.
        await Assertions.Expect(panel.Locator("svg rect.obstacle")).ToHaveCountAsync(3);
        await Assertions.Expect(panel.Locator("svg rect.dock")).ToHaveCountAsync(1);
        Assert.True(await panel.Locator("svg circle.picture").CountAsync() >= 5);
        // The camera frame is a real picture from the simulator.
        await Poll.UntilAsync(async () => await panel.Locator("img.rossim-camera").EvaluateAsync<int>("img => img.complete ? img.naturalWidth : 0") > 0,
            "the OAK-D frame to load", TestTimeouts.Effect);

        var before = (await stack.RosSimStateAsync())["pose"]!;
        await Assertions.Expect(panel.Locator("svg g")).ToHaveAttributeAsync("transform", new Regex(Regex.Escape(Translate(before))), new() { Timeout = 30_000 });

        // Turn and drive through rosa ros, as a worker would: the base moves about 0.3 m and turns.
        await using (var robot = await stack.TurtleBotAsync())
        {
            var result = await robot.CallToolAsync("publish_for_durations", Args(new
            {
                topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist",
                messages = new[]
                {
                    new { linear = new { x = -0.2, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } },
                    new { linear = new { x = 0.0, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 1.0 } },
                },
                durations = new[] { 1.5, 1.0 },
            }), cancellationToken: Ct);
            Assert.False(result.IsError == true, Text(result));
        }
        var after = await Poll.ForAsync(async () => await stack.RosSimStateAsync(), s => s["velocity"]!["linear"]!.GetValue<double>() == 0 && s["velocity"]!["angular"]!.GetValue<double>() == 0,
            "the base to stop");
        var pose = after["pose"]!;
        var moved = Math.Sqrt(Math.Pow(pose["x"]!.GetValue<double>() - before["x"]!.GetValue<double>(), 2) + Math.Pow(pose["y"]!.GetValue<double>() - before["y"]!.GetValue<double>(), 2));
        Assert.InRange(moved, 0.15, 0.5);

        // The page draws the robot at its new pose (position and heading), and the trail behind it.
        await Assertions.Expect(panel.Locator("svg g")).ToHaveAttributeAsync("transform", new Regex(Regex.Escape(Translate(pose) + $" rotate({Num(-pose["yaw"]!.GetValue<double>() * 180 / Math.PI)})")),
            new() { Timeout = 30_000 });
        Assert.True((await panel.Locator("svg polyline.trail").GetAttributeAsync("points"))!.Split(' ').Length >= 3, "the trail shows the path driven");
        // + 0.0 turns a negative zero positive: JavaScript's toFixed prints -0 as "0.00", .NET as "-0.00".
        await Assertions.Expect(panel.Locator(".rossim-readout")).ToContainTextAsync($"x {(pose["x"]!.GetValue<double>() + 0.0).ToString("F2", CultureInfo.InvariantCulture)} m");
        await BrowserFixture.ScreenshotAsync(page, "rossim-map");
    }

    [Fact]
    public async Task A_watch_on_the_TurtleBot_shows_in_the_page_and_Cancel_removes_it_in_the_driver()
    {
        string id;
        await using (var robot = await stack.TurtleBotAsync())
        {
            var added = await robot.CallToolAsync("add_watch", Args(new
            {
                topic = "/battery_state", field = "percentage", condition = "above", threshold = 2.0, expires_in_seconds = 3600,
                text = "TurtleBot battery is overcharged",
            }), cancellationToken: Ct);
            Assert.False(added.IsError == true, Text(added));
            id = JsonNode.Parse(Text(added))!["watch"]!["id"]!.GetValue<string>();
        }

        // The kernel's list: the watch with its driver, and every other driver answered for (down or without watches), not an error.
        var listed = JsonNode.Parse(await stack.Http.GetStringAsync($"{stack.KernelUrl}api/watches", Ct))!;
        var watch = listed["watches"]!.AsArray().Single(w => w!["id"]!.GetValue<string>() == id)!;
        Assert.Equal("turtlebot", watch["driver"]!.GetValue<string>());
        Assert.Equal("/battery_state percentage above 2", watch["summary"]!.GetValue<string>());
        Assert.Equal("kernel", watch["owner"]!.GetValue<string>());
        Assert.Equal(0, watch["fired"]!.GetValue<long>());
        var drivers = listed["drivers"]!.AsArray();
        Assert.Null(drivers.Single(d => d!["driver"]!.GetValue<string>() == "turtlebot")!["problem"]);
        Assert.Contains("unreachable", drivers.Single(d => d!["driver"]!.GetValue<string>() == "Kasa Lightbulb Controller")!["problem"]!.GetValue<string>(), StringComparison.Ordinal);

        var page = await OpenAsync();
        var item = page.Locator($"#watch-list li[data-watch-id='{id}']");
        await Assertions.Expect(item).ToBeVisibleAsync(s_visible);
        await Assertions.Expect(item).ToContainTextAsync("turtlebot · /battery_state percentage above 2 · \"TurtleBot battery is overcharged\"");
        await Assertions.Expect(item).ToContainTextAsync("fired 0× · by kernel");
        await Assertions.Expect(page.Locator("#watch-problems li[data-driver='Kasa Lightbulb Controller']")).ToContainTextAsync("unreachable");
        await BrowserFixture.ScreenshotAsync(page, "watches");

        // A form post (what another web page could send) is refused before it reaches the driver.
        using (var form = await stack.Http.PostAsync($"{stack.KernelUrl}api/watches/turtlebot/{id}/cancel", new FormUrlEncodedContent([new("by", "a page")]), Ct))
        {
            Assert.Equal(415, (int)form.StatusCode);
        }
        using (var unknown = await stack.Http.PostAsJsonAsync($"{stack.KernelUrl}api/watches/turtlebot/watch-nothere/cancel", new { }, Ct))
        {
            Assert.Equal(404, (int)unknown.StatusCode);
            Assert.Contains("No active watch 'watch-nothere'", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        await item.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(item).ToHaveCountAsync(0, new() { Timeout = 30_000 });
        // Gone in the driver itself, and the cancel is audited as a person's.
        var left = JsonNode.Parse(await stack.Http.GetStringAsync($"{stack.RosUrl}/watches", Ct))!["watches"]!.AsArray();
        Assert.DoesNotContain(left, w => w!["id"]!.GetValue<string>() == id);
        var audit = JsonNode.Parse(await stack.Http.GetStringAsync($"{stack.KernelUrl}api/audit", Ct))!.AsArray();
        Assert.Contains(audit, a => a!["tool"]!.GetValue<string>() == "cancel_watch" && a["server"]!.GetValue<string>() == "turtlebot"
            && a["outcome"]!.GetValue<string>().Contains(id, StringComparison.Ordinal) && a["outcome"]!.GetValue<string>().Contains("a person (ui)", StringComparison.Ordinal));
    }

    /// <summary>
    /// The issue's "done when" conversation: one sentence to the kernel; a worker drives the simulated TurtleBot to the cat
    /// picture with Nav2's navigate_to_pose, captures its OAK-D image and has Reachy describe it; the description comes back.
    /// </summary>
    [Fact]
    public async Task A_scripted_conversation_drives_the_TurtleBot_to_a_picture_captures_it_and_Reachy_describes_it()
    {
        const string Ask = "TurtleBot, drive to the cat picture and take a photo; Reachy, tell me what it sees";
        const string Job = "Drive the TurtleBot to the cat picture on the north wall, take a photo and have Reachy describe it.";
        const string Seen = "A tabby cat sitting on a wooden floor, looking at the camera.";
        // In front of the cat (on the north wall at 85° from the room's centre), 1.5 m away, facing it.
        var cat = 85 * Math.PI / 180;
        var (picX, picY) = (4.0 / Math.Tan(cat), 4.0);
        var (goalX, goalY) = (picX - (1.5 * Math.Cos(cat)), picY - (1.5 * Math.Sin(cat)));
        var llm = stack.Llm;
        llm.When(r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "user" && r.LastUserText == Ask,
            ScriptedTurn.Call("launch_process", new { system_prompt = Job, robots = new[] { "turtlebot", "reachy-mini" } }));
        llm.When(r => IsKernel(r) && r.Messages.Count > 0 && r.Messages[^1].Role == "tool" && r.Messages.Any(m => m.Text == Ask), ScriptedTurn.Say("The TurtleBot is on its way."));
        llm.When(r => IsKernel(r) && r.LastUserText.StartsWith("[Worker callback]", StringComparison.Ordinal) && r.LastUserText.Contains(Seen, StringComparison.Ordinal),
            ScriptedTurn.Say("The TurtleBot is at the cat picture. Reachy says: " + Seen));
        // The worker: one step per tool result, the describe_image call naming the image the capture returned.
        llm.Respond(r =>
        {
            if (!r.SystemPrompt.Contains(Job, StringComparison.Ordinal))
            {
                return null;
            }
            var results = r.Messages.Where(m => m.Role == "tool").Select(m => m.Text).ToList();
            return results.Count switch
            {
                0 => ScriptedTurn.Call("send_action_goal", new
                {
                    action_name = "/navigate_to_pose", action_type = "nav2_msgs/action/NavigateToPose", timeout = 120,
                    goal = new { pose = new { header = new { frame_id = "map" }, pose = new { position = new { x = goalX, y = goalY, z = 0.0 }, orientation = new { x = 0.0, y = 0.0, z = Math.Sin(cat / 2), w = Math.Cos(cat / 2) } } } },
                }),
                1 => ScriptedTurn.Call("capture_camera_image", new { timeout = 20 }),
                2 => ScriptedTurn.Call("describe_image", new { image = RelativePath(results[1]), question = "What is in this picture?" }),
                _ => ScriptedTurn.Say($"Reachy looked at the photo: {Unquote(results[2])}"),
            };
        });
        // Reachy's vision model (Groq's chat API, here the scripted server): a request that carries the image.
        llm.Respond(r => !IsKernel(r) && !r.SystemPrompt.Contains(Job, StringComparison.Ordinal) && r.Body.Contains("data:image/jpeg;base64,", StringComparison.Ordinal)
            ? ScriptedTurn.Say(Seen) : null);

        var page = await OpenAsync();
        await page.FillAsync("#chat-input", Ask);
        await page.ClickAsync("#chat-send");
        await Assertions.Expect(page.Locator("#chat-log li.robot", new() { HasText = "The TurtleBot is on its way." })).ToBeVisibleAsync(s_visible);
        var final = await llm.WaitForRequestAsync(r => IsKernel(r) && r.LastUserText.StartsWith("[Worker callback]", StringComparison.Ordinal), TimeSpan.FromMinutes(3));
        Assert.Contains("Agent output: Reachy looked at the photo: " + Seen, final.LastUserText, StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#chat-log li.robot", new() { HasText = "The TurtleBot is at the cat picture." })).ToBeVisibleAsync(s_visible);

        // The base stands where it was sent, facing the picture; the page's map shows it there.
        var state = await stack.RosSimStateAsync();
        var pose = state["pose"]!;
        Assert.InRange(pose["x"]!.GetValue<double>() - goalX, -0.25, 0.25);
        Assert.InRange(pose["y"]!.GetValue<double>() - goalY, -0.25, 0.25);
        Assert.InRange(Math.Abs(Math.IEEERemainder(pose["yaw"]!.GetValue<double>() - cat, 2 * Math.PI)), 0, 0.2);
        await Assertions.Expect(page.Locator("#rossim-panel-0 svg g")).ToHaveAttributeAsync("transform", new Regex(Regex.Escape(Translate(pose))), new() { Timeout = 30_000 });

        // Reachy's vision model was sent the picture the TurtleBot's camera captured (re-encoded by the vision client, so compared
        // by its JPEG frame size: Reachy's own camera gives 1280×720), with the worker's question.
        var worker = llm.ChatRequests.Last(r => r.SystemPrompt.Contains(Job, StringComparison.Ordinal));
        var toolResults = worker.Messages.Where(m => m.Role == "tool").Select(m => m.Text).ToList();
        Assert.Contains("succeeded", toolResults[0], StringComparison.Ordinal);
        var relative = RelativePath(toolResults[1]);
        Assert.StartsWith("ros/turtlebot_", relative, StringComparison.Ordinal);
        var captured = await File.ReadAllBytesAsync(Path.Combine(stack.DataDir, "images", relative), Ct);
        Assert.Equal([0xFF, 0xD8, 0xFF], captured[..3]);
        var vision = Assert.Single(llm.ChatRequests, r => r.Body.Contains("data:image/jpeg;base64,", StringComparison.Ordinal) && !IsKernel(r)
            && !r.SystemPrompt.Contains(Job, StringComparison.Ordinal));
        var texts = Strings(vision.Json!.Value).ToList();
        Assert.Contains(texts, t => t.Contains("What is in this picture?", StringComparison.Ordinal));
        const string Prefix = "data:image/jpeg;base64,";
        var sent = Assert.Single(texts, t => t.StartsWith(Prefix, StringComparison.Ordinal));
        var sentJpeg = Convert.FromBase64String(sent[Prefix.Length..]);
        Assert.Equal([0xFF, 0xD8, 0xFF], sentJpeg[..3]);
        Assert.Equal(JpegSize(captured), JpegSize(sentJpeg));
        Assert.Contains(Seen, toolResults[2], StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(page, "done-when");
    }

    /// <summary>A JPEG's width and height, from its start-of-frame segment.</summary>
    private static (int Width, int Height) JpegSize(byte[] jpeg)
    {
        for (var i = 2; i + 9 < jpeg.Length;)
        {
            if (jpeg[i] != 0xFF)
            {
                break;
            }
            var marker = jpeg[i + 1];
            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                return ((jpeg[i + 7] << 8) | jpeg[i + 8], (jpeg[i + 5] << 8) | jpeg[i + 6]);
            }
            i += 2 + length;
        }
        throw new InvalidDataException("no start-of-frame segment in the JPEG");
    }

    /// <summary>Every string in a JSON document (the request body escapes '+' in base64, so it is read as JSON, not as text).</summary>
    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(p => Strings(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    private static bool IsKernel(RecordedRequest r) => r.SystemPrompt.Contains("You are the kernel", StringComparison.Ordinal);

    /// <summary>relative_path from a tool message (the MCP text block as M.E.AI serialises it, or the tool's JSON itself).</summary>
    private static string RelativePath(string toolMessage)
        => JsonNode.Parse(Unquote(toolMessage))?["relative_path"]?.GetValue<string>() ?? throw new InvalidOperationException("no relative_path in " + toolMessage);

    /// <summary>The text of a tool message holding one text block.</summary>
    private static string Unquote(string toolMessage)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(toolMessage);
        }
        catch (JsonException)
        {
            return toolMessage;
        }
        return node switch
        {
            JsonArray blocks => string.Concat(blocks.Select(b => b!["text"]!.GetValue<string>())),
            JsonObject o when o["text"] is JsonValue t => t.GetValue<string>(),
            _ => toolMessage,
        };
    }

    private static string Translate(JsonNode pose) => $"translate({Num(pose["x"]!.GetValue<double>())} {Num(-pose["y"]!.GetValue<double>())})";

    /// <summary>A number as JavaScript prints it (shortest round-trip form).</summary>
    private static string Num(double value) => value == 0 ? "0" : value.ToString("R", CultureInfo.InvariantCulture);

    private static Dictionary<string, object?> Args(object value) => JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(value))!;

    private static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
}

// Each call here is bounded by its own timeout (TestTimeouts); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Mcp.Ros.Tests;

/// <summary>
/// Watches (issue 16) end to end: `rosa rossim`, `rosa ros` evaluating the watches, and a real `rosa kernel` (scripted LLM)
/// that journals the driver's robot events and wakes its agent.
/// </summary>
public sealed class WatchTests
{
    [Fact]
    public async Task A_battery_crossing_and_a_bump_reach_the_kernel_agent_once_each_and_watches_survive_a_restart()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var stack = await WatchStack.StartAsync(llm);

        var battery = (await stack.CallAsync("subscribe_once", new { topic = "/battery_state" }))["msg"]!["percentage"]!.GetValue<double>();
        var threshold = Math.Round(battery - 0.001, 4);
        var low = (await stack.CallAsync("add_watch", new
        {
            topic = "/battery_state", field = "percentage", condition = "below", threshold,
            text = "TurtleBot battery is low: send it to the dock",
        }))["watch"]!;
        Assert.Equal("kernel", low["owner"]!.GetValue<string>());
        var bumpWatch = (await stack.CallAsync("add_watch", new
        {
            topic = "/hazard_detection", field = "detections.0", condition = "arrives", debounce_seconds = 60,
            text = "TurtleBot bumped into something",
        }))["watch"]!;

        // The dock faces the south wall 0.23 m away: driving on pushes the base into it, and the driving drains the battery.
        await stack.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist",
            messages = new[] { new { linear = new { x = 0.3, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } },
            durations = new[] { 4.0 },
        });
        await llm.WaitForRequestAsync(r => r.LastUserText.Contains("[Robot event] TurtleBot battery is low", StringComparison.Ordinal), TestTimeouts.Effect);
        await llm.WaitForRequestAsync(r => r.LastUserText.Contains("[Robot event] TurtleBot bumped into something", StringComparison.Ordinal), TestTimeouts.Effect);

        // The battery keeps draining below the threshold and the base keeps touching the wall: still one firing each.
        await Poll.UntilAsync(async () => (await stack.StateAsync())["battery"]!.GetValue<double>() < threshold - 0.001, "the battery to drain further");
        var listed = (await stack.CallAsync("list_watches"))["watches"]!.AsArray();
        Assert.Equal(1, listed.Single(w => w!["id"]!.GetValue<string>() == low["id"]!.GetValue<string>())!["fired"]!.GetValue<long>());
        Assert.Equal(1, listed.Single(w => w!["id"]!.GetValue<string>() == bumpWatch["id"]!.GetValue<string>())!["fired"]!.GetValue<long>());
        Assert.Single(llm.ChatRequests, r => r.LastUserText.Contains("TurtleBot battery is low", StringComparison.Ordinal));

        // A restart of the driver keeps both watches, with their firing counts; a person cancels one over HTTP.
        await stack.RestartRosAsync();
        var afterRestart = JsonNode.Parse(await stack.Ros.GetStringAsync(new Uri("/watches", UriKind.Relative)))!["watches"]!.AsArray();
        Assert.Equal(2, afterRestart.Count);
        Assert.All(afterRestart, w => Assert.Equal(1, w!["fired"]!.GetValue<long>()));
        using var cancel = await stack.Ros.PostAsJsonAsync(new Uri($"/watches/{low["id"]}/cancel", UriKind.Relative), new { });
        Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
        var left = (await stack.CallAsync("list_watches"))["watches"]!.AsArray();
        Assert.Equal(bumpWatch["id"]!.GetValue<string>(), Assert.Single(left)!["id"]!.GetValue<string>());

        // The restarted driver subscribed again: backing off and bumping once more is the bump watch's second firing.
        await stack.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist",
            messages = new[]
            {
                new { linear = new { x = -0.2, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } },
                new { linear = new { x = 0.3, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } },
            },
            durations = new[] { 1.0, 2.5 },
        });
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(r => r.LastUserText.Contains("[Robot event] TurtleBot bumped into something", StringComparison.Ordinal)) == 2),
            "the second bump to reach the kernel agent");
        Assert.Equal(2, (await stack.CallAsync("list_watches"))["watches"]!.AsArray().Single()!["fired"]!.GetValue<long>());
    }

    [Fact]
    public async Task Equals_changes_and_silent_for_each_fire_once_per_occurrence_and_wake_the_kernel_agent()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var stack = await WatchStack.StartAsync(llm);
        const string Left = "TurtleBot left its dock";
        const string Changed = "TurtleBot dock state changed";
        const string Quiet = "Nobody is driving the TurtleBot";
        int Woken(string text) => llm.ChatRequests.Count(r => r.LastUserText.Contains("[Robot event] " + text, StringComparison.Ordinal));
        Task UntilWokenAsync(string text, int times) => Poll.UntilAsync(() => Task.FromResult(Woken(text) >= times), $"'{text}' to reach the kernel agent {times}×");

        // The simulated base starts on its dock (is_docked true, published once a second).
        var left = (await stack.CallAsync("add_watch", new
        {
            topic = "/dock_status", msg_type = "irobot_create_msgs/msg/DockStatus", field = "is_docked", condition = "equals", value = false, text = Left,
        }))["watch"]!["id"]!.GetValue<string>();
        var changed = (await stack.CallAsync("add_watch", new
        {
            topic = "/dock_status", msg_type = "irobot_create_msgs/msg/DockStatus", field = "is_docked", condition = "changes", text = Changed,
        }))["watch"]!["id"]!.GetValue<string>();
        var quiet = (await stack.CallAsync("add_watch", new
        {
            topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist", condition = "silent_for", silent_seconds = 1, text = Quiet,
        }))["watch"]!["id"]!.GetValue<string>();

        // Nobody drives: the first silence (1 s after the watch subscribed) is occurrence one.
        await UntilWokenAsync(Quiet, 1);
        // The dock watches have seen the docked state (one more dock_status message reaches every subscriber).
        Assert.True((await stack.CallAsync("subscribe_once", new { topic = "/dock_status" }))["msg"]!["is_docked"]!.GetValue<bool>());
        Assert.Equal(0, Woken(Left) + Woken(Changed));

        // Backing off the dock by hand: cmd_vel arrives (re-arming the silence), the base leaves the dock, then silence again.
        await stack.CallAsync("publish_for_durations", new
        {
            topic = "/cmd_vel", msg_type = "geometry_msgs/msg/Twist",
            messages = new[] { new { linear = new { x = -0.2, y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } },
            durations = new[] { 1.5 },
        });
        await UntilWokenAsync(Left, 1);
        await UntilWokenAsync(Changed, 1);
        await UntilWokenAsync(Quiet, 2);
        var message = llm.ChatRequests.First(r => r.LastUserText.Contains("[Robot event] " + Changed, StringComparison.Ordinal)).LastUserText;
        Assert.Contains("is_docked on /dock_status changed from true to false", message, StringComparison.Ordinal);
        Assert.Contains("robot=turtlebot", message, StringComparison.Ordinal);

        // The dock action: seconds of undocked messages before it docks (equals must not fire again), no cmd_vel from anyone
        // (the silence must not fire again), and one change when it docks.
        var dock = await stack.CallAsync("send_action_goal", new { action_name = "/dock", action_type = "irobot_create_msgs/action/Dock", goal = new { }, timeout = 90 });
        Assert.Equal("succeeded", dock["status"]!.ToString());
        await UntilWokenAsync(Changed, 2);

        // Undocking again is the second occurrence of "left the dock" and the third change.
        var undock = await stack.CallAsync("send_action_goal", new { action_name = "/undock", action_type = "irobot_create_msgs/action/Undock", goal = new { }, timeout = 90 });
        Assert.Equal("succeeded", undock["status"]!.ToString());
        await UntilWokenAsync(Left, 2);
        await UntilWokenAsync(Changed, 3);
        Assert.Contains("is_docked on /dock_status = false", llm.ChatRequests.Last(r => r.LastUserText.Contains("[Robot event] " + Left, StringComparison.Ordinal)).LastUserText, StringComparison.Ordinal);

        // Once per occurrence: 2 departures, 3 changes, 2 silences (the dock and undock drove the base without cmd_vel).
        var fired = (await stack.CallAsync("list_watches"))["watches"]!.AsArray().ToDictionary(w => w!["id"]!.GetValue<string>(), w => w!["fired"]!.GetValue<long>());
        Assert.Equal(2, fired[left]);
        Assert.Equal(3, fired[changed]);
        Assert.Equal(2, fired[quiet]);
        Assert.Equal((2, 3, 2), (Woken(Left), Woken(Changed), Woken(Quiet)));
    }

    [Fact]
    public async Task Bad_watch_arguments_are_refused_with_the_argument_named()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        await using var stack = await WatchStack.StartAsync(llm);
        Assert.Contains("condition must be one of", await stack.CallFailingAsync("add_watch", new { topic = "/battery_state", condition = "lower", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("threshold", await stack.CallFailingAsync("add_watch", new { topic = "/battery_state", field = "percentage", condition = "below", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("topic must be a ROS name", await stack.CallFailingAsync("add_watch", new { topic = "battery", condition = "arrives", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("expires_in_seconds", await stack.CallFailingAsync("add_watch", new { topic = "/odom", condition = "arrives", text = "x", expires_in_seconds = 1e9 }), StringComparison.Ordinal);
        Assert.Contains("silent_seconds", await stack.CallFailingAsync("add_watch", new { topic = "/odom", condition = "silent_for", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("field is required", await stack.CallFailingAsync("add_watch", new { topic = "/odom", condition = "changes", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("watch_id 'watch-none'", await stack.CallFailingAsync("remove_watch", new { watch_id = "watch-none" }), StringComparison.Ordinal);
        // The cap: the 21st watch is refused and names the limit.
        for (var i = 0; i < 20; i++)
        {
            await stack.CallAsync("add_watch", new { topic = "/odom", condition = "silent_for", silent_seconds = 600, text = $"odom quiet {i}" });
        }
        Assert.Contains("20 active watches", await stack.CallFailingAsync("add_watch", new { topic = "/odom", condition = "arrives", text = "one too many" }), StringComparison.Ordinal);
    }
}

/// <summary>
/// `rosa rossim`, `rosa kernel` (pool of 0, scripted LLM) and `rosa ros --kernel-url` sharing a config and a data folder, on
/// <see cref="TestStack"/> (port 0; the kernel's port chosen ahead, as the driver is told it first).
/// </summary>
internal sealed class WatchStack : IAsyncDisposable
{
    private readonly TestStack _stack;
    private McpClient _client = null!;

    private WatchStack(TestStack stack)
    {
        _stack = stack;
        Ros = new HttpClient { BaseAddress = new Uri(stack.RosUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Ros { get; }

    public static async Task<WatchStack> StartAsync(ScriptedLlmServer llm)
    {
        var stack = new WatchStack(await TestStack.StartAsync(new TestStackOptions
        {
            Llm = llm,
            DataDirectory = TestPaths.NewTempDirectory("watchdata"),
            RosSim = new RosSimPart { Name = "turtlebot" },
            Ros = new RosPart { KernelUrl = true, WaitConnected = true },
            Kernel = new KernelPart { Llm = true, Arguments = ["--pool-size", "0"] },
        }));
        try
        {
            await stack.ConnectAsync();
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task ConnectAsync() => _client = await McpTools.ConnectAsync(_stack.RosUrl + "/mcp", TestContext.Current.CancellationToken);

    /// <summary>Stops `rosa ros` and starts it again on the same port, config and data folder.</summary>
    public async Task RestartRosAsync()
    {
        await _client.DisposeAsync();
        await _stack.RestartAsync(StackService.Ros);
        await ConnectAsync();
    }

    public async Task<JsonObject> StateAsync()
    {
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(new Uri($"{_stack.RosSimUrl}/api/state")))!.AsObject();
    }

    public Task<JsonObject> CallAsync(string tool, object? args = null) => _client.CallForJsonAsync(tool, args);

    public Task<string> CallFailingAsync(string tool, object? args = null) => _client.CallForErrorAsync(tool, args);

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
        Ros.Dispose();
        await _stack.DisposeAsync();
    }
}

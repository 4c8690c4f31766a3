// Each call here is bounded by its own timeout (TestTimeouts, Poll); the test-cancellation token would add nothing.
#pragma warning disable xUnit1051
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using RosaOS.ReachyMini.Client;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>
/// Reachy Mini watches (issue 16) and the head-pat reaction (issue 18) end to end: `rosa sim`, `rosa reachy --kernel-url`
/// evaluating the watches and detecting the head moved by hand, and a real `rosa kernel` (scripted LLM) that journals the
/// driver's robot events and wakes its agent.
/// </summary>
public sealed class WatchTests
{
    // Where the astronaut's face hangs in the simulated room (RoomLayout.Person: the picture at azimuth 25°, elevation
    // −10°, 50° wide; the Haar face at x=177, y=66, 95×95 of 512×512, see ../shared/docs/sim-assets.md): yaw 28.1°, pitch −3.9°.
    private const double FaceYawDeg = 28.1;
    private const double FacePitchDeg = -3.9;

    [Fact]
    public async Task A_face_and_a_voice_from_the_left_reach_the_kernel_once_each_and_the_watches_survive_a_restart()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var stack = await ReachyWatchStack.StartAsync(llm);

        await stack.LookAsync(-60, 0);
        var face = (await stack.CallAsync("add_watch", new { condition = "face_appears", text = "Someone is in front of Reachy: greet them" }))["watch"]!;
        var left = (await stack.CallAsync("add_watch", new { condition = "sound_from", direction_deg = 0, tolerance_deg = 40, text = "Someone speaks on Reachy's left" }))["watch"]!;
        var right = (await stack.CallAsync("add_watch", new { condition = "sound_from", direction_deg = 180, text = "Someone speaks on Reachy's right" }))["watch"]!;
        Assert.Equal("kernel", face["owner"]!.GetValue<string>());
        // Each watch's first observation only sets its side: no face away from the picture, nobody speaking.
        await stack.UntilWatchAsync(face, w => w["holds"]?.GetValue<bool>() == false, "the face watch to see no face");
        await stack.UntilWatchAsync(left, w => w["holds"]?.GetValue<bool>() == false, "the left sound watch to hear nothing");
        await stack.UntilWatchAsync(right, w => w["holds"]?.GetValue<bool>() == false, "the right sound watch to hear nothing");

        await stack.LookAsync(FaceYawDeg, FacePitchDeg);
        await llm.WaitForRequestAsync(r => r.LastUserText.Contains("[Robot event] Someone is in front of Reachy: greet them", StringComparison.Ordinal), TestTimeouts.Effect);

        using (var say = await stack.SimHttp.PostAsJsonAsync(new Uri("/sim/say", UriKind.Relative), new { text = "Hello Reachy, over here on your left.", azimuth_deg = 10 }))
        {
            Assert.True(say.IsSuccessStatusCode, await say.Content.ReadAsStringAsync());
        }
        await llm.WaitForRequestAsync(r => r.LastUserText.Contains("[Robot event] Someone speaks on Reachy's left", StringComparison.Ordinal), TestTimeouts.Effect);
        // The face stayed in view all along, seen a second at a time: still one firing; the voice never came from the right.
        await stack.UntilWatchAsync(left, w => w["holds"]?.GetValue<bool>() == false, "the voice to end");
        var listed = await stack.WatchesAsync();
        Assert.Equal(1, Fired(listed, face));
        Assert.Equal(1, Fired(listed, left));
        Assert.Equal(0, Fired(listed, right));
        Assert.Single(llm.ChatRequests, r => r.LastUserText.Contains("Someone is in front of Reachy", StringComparison.Ordinal));
        Assert.DoesNotContain(llm.ChatRequests, r => r.LastUserText.Contains("Someone speaks on Reachy's right", StringComparison.Ordinal));

        // A restart of the driver keeps the three watches with their firing counts; a person cancels one over HTTP.
        await stack.RestartReachyAsync();
        var afterRestart = await stack.WatchesAsync();
        Assert.Equal(3, afterRestart.Count);
        Assert.Equal(1, Fired(afterRestart, face));
        using (var cancel = await stack.Reachy.PostAsJsonAsync(new Uri($"/watches/{face["id"]}/cancel", UriKind.Relative), new { }))
        {
            Assert.True(cancel.IsSuccessStatusCode, await cancel.Content.ReadAsStringAsync());
        }
        Assert.Equal(2, (await stack.CallAsync("list_watches"))["watches"]!.AsArray().Count);

        // The restarted driver watches again: another voice from the left is the left watch's second firing.
        using (var again = await stack.SimHttp.PostAsJsonAsync(new Uri("/sim/say", UriKind.Relative), new { text = "Still here on your left.", azimuth_deg = 5 }))
        {
            Assert.True(again.IsSuccessStatusCode, await again.Content.ReadAsStringAsync());
        }
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(r => r.LastUserText.Contains("[Robot event] Someone speaks on Reachy's left", StringComparison.Ordinal)) == 2),
            "the second voice from the left to reach the kernel agent");
    }

    [Fact]
    public async Task Moving_the_head_by_hand_fires_the_watch_once_and_plays_the_head_pat_emotion_but_the_robots_own_motion_does_not()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var stack = await ReachyWatchStack.StartAsync(llm);
        var touched = (await stack.CallAsync("add_watch", new { condition = "head_touched", text = "Someone patted Reachy's head" }))["watch"]!;

        // The robot's own motion: a tool move through the driver, and a goto from another client straight to the daemon.
        var (moved, moveError) = await stack.Client.CallAsync("move_head_left");
        Assert.False(moveError, moved);
        await stack.LookAsync(20, 10);
        await stack.LookAsync(-15, -5);
        await stack.UntilIdleAsync();
        await stack.UntilRestingAsync();
        Assert.Equal(0, (await stack.HealthAsync())["head_touch"]!["touches"]!.GetValue<long>());
        Assert.Equal(0, Fired(await stack.WatchesAsync(), touched));
        Assert.DoesNotContain(await stack.MovesAsync(), m => m!["kind"]?.GetValue<string>() == "recorded");

        // A hand pushes the head down for a second and a half: one touch, one event, one emotion that moves the head.
        await stack.PushHeadAsync(new { pitch_deg = 12, hold_s = 1.5 });
        await llm.WaitForRequestAsync(r => r.LastUserText.Contains("[Robot event] Someone patted Reachy's head (head moved by hand", StringComparison.Ordinal), TestTimeouts.Effect);
        await Poll.UntilAsync(async () => (await stack.MovesAsync()).Any(m => m!["kind"]?.GetValue<string>() == "recorded"
            && m["name"]!.GetValue<string>().StartsWith(SimProcesses.EmotionsDataset + "/loving", StringComparison.Ordinal)), "the head-pat emotion to play");
        await stack.UntilIdleAsync();
        await stack.UntilRestingAsync();
        var health = await stack.HealthAsync();
        Assert.Equal(1, health["head_touch"]!["touches"]!.GetValue<long>());
        Assert.Equal(1, health["head_touch"]!["reactions"]!.GetValue<long>());
        Assert.Equal(1, Fired(await stack.WatchesAsync(), touched));
        Assert.Single(llm.ChatRequests, r => r.LastUserText.Contains("Someone patted Reachy's head", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_emergency_stop_engaged_a_head_pat_moves_nothing_and_bad_watch_arguments_are_named()
    {
        // No kernel here: the firings wait in the driver's queue; what matters is the robot.
        await using var stack = await ReachyWatchStack.StartAsync(null);
        var touched = (await stack.CallAsync("add_watch", new { condition = "head_touched", text = "Someone patted Reachy's head" }))["watch"]!;
        var (stopped, stopError) = await stack.Client.CallAsync("emergency_stop", new() { ["reason"] = "test" });
        Assert.False(stopError, stopped);
        await stack.UntilRestingAsync();
        var movesBefore = (await stack.MovesAsync()).Count;

        await stack.PushHeadAsync(new { pitch_deg = -10, yaw_deg = 8, hold_s = 1 });
        await stack.UntilHealthAsync(h => h["head_touch"]!["last_reaction"]?.GetValue<string>()?.StartsWith("refused", StringComparison.Ordinal) == true,
            "the head-pat reaction to be refused");
        Assert.Equal(1, Fired(await stack.WatchesAsync(), touched));
        Assert.Equal(movesBefore, (await stack.MovesAsync()).Count);

        Assert.Contains("condition must be one of face_appears, person_recognised, sound_from, head_touched, got 'smile'",
            await stack.CallFailingAsync("add_watch", new { condition = "smile", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("direction_deg must be in [0, 360]", await stack.CallFailingAsync("add_watch", new { condition = "sound_from", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("direction_deg must be in [0, 360]", await stack.CallFailingAsync("add_watch", new { condition = "sound_from", direction_deg = 400, text = "x" }), StringComparison.Ordinal);
        Assert.Contains("tolerance_deg must be in [1, 180], got 0", await stack.CallFailingAsync("add_watch", new { condition = "sound_from", direction_deg = 90, tolerance_deg = 0, text = "x" }), StringComparison.Ordinal);
        Assert.Contains("person applies to condition 'person_recognised' only", await stack.CallFailingAsync("add_watch", new { condition = "face_appears", person = "ada", text = "x" }), StringComparison.Ordinal);
        Assert.Contains("text must be 1..500 characters", await stack.CallFailingAsync("add_watch", new { condition = "head_touched" }), StringComparison.Ordinal);
        Assert.Contains("expires_in_seconds", await stack.CallFailingAsync("add_watch", new { condition = "head_touched", text = "x", expires_in_seconds = 1e9 }), StringComparison.Ordinal);
        Assert.Contains("watch_id 'watch-none'", await stack.CallFailingAsync("remove_watch", new { watch_id = "watch-none" }), StringComparison.Ordinal);
        // The cap: 20 active watches, the 21st is refused and names the limit.
        for (var i = 1; i < 20; i++)
        {
            await stack.CallAsync("add_watch", new { condition = "person_recognised", person = $"person {i}", text = $"person {i} is here" });
        }
        Assert.Contains("20 active watches", await stack.CallFailingAsync("add_watch", new { condition = "head_touched", text = "one too many" }), StringComparison.Ordinal);
        using var bad = await stack.SimHttp.PostAsJsonAsync(new Uri("/sim/head/hand", UriKind.Relative), new { pitch_deg = 90 });
        Assert.Equal(422, (int)bad.StatusCode);
        Assert.Contains("pitch_deg", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static long Fired(JsonArray watches, JsonNode watch)
        => watches.Single(w => w!["id"]!.GetValue<string>() == watch["id"]!.GetValue<string>())!["fired"]!.GetValue<long>();
}

/// <summary>
/// `rosa sim`, optionally `rosa kernel` (pool of 0, scripted LLM), and `rosa reachy --sim --head-pat --kernel-url` sharing a config and
/// a data folder, on <see cref="TestStack"/> (port 0; the kernel's port chosen ahead, as the driver is told it first).
/// </summary>
internal sealed class ReachyWatchStack : IAsyncDisposable
{
    private readonly TestStack _stack;

    private ReachyWatchStack(TestStack stack)
    {
        _stack = stack;
        SimHttp = new HttpClient { BaseAddress = new Uri(stack.SimUrl), Timeout = TimeSpan.FromSeconds(30) };
        Daemon = new ReachyDaemonClient(new ReachyDaemonClientOptions { BaseAddress = new Uri(stack.SimUrl) });
        Reachy = new HttpClient { BaseAddress = new Uri(stack.ReachyUrl), Timeout = TimeSpan.FromSeconds(30) };
    }

    public McpClient Client { get; private set; } = null!;

    public HttpClient Reachy { get; }

    public HttpClient SimHttp { get; }

    public ReachyDaemonClient Daemon { get; }

    /// <summary>Starts the stack; <paramref name="llm"/> null leaves the kernel out (the driver's firings then wait in its queue).</summary>
    public static async Task<ReachyWatchStack> StartAsync(ScriptedLlmServer? llm)
    {
        var stack = new ReachyWatchStack(await TestStack.StartAsync(new TestStackOptions
        {
            Llm = llm,
            DataDirectory = TestPaths.NewTempDirectory("reachywatchdata"),
            Sim = new SimPart { WaitAwake = true },
            // --sim: no speech input loop (the sim's voices are for the watches here).
            Reachy = new ReachyPart { KernelUrl = true, Arguments = ["--sim", "--head-pat"] },
            Kernel = llm is null ? null : new KernelPart { Llm = true, Arguments = ["--pool-size", "0"] },
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

    private async Task ConnectAsync() => Client = await McpTools.ConnectAsync(_stack.ReachyUrl + "/mcp", TestContext.Current.CancellationToken);

    /// <summary>Stops `rosa reachy` and starts it again on the same port, config and data folder.</summary>
    public async Task RestartReachyAsync()
    {
        await Client.DisposeAsync();
        await _stack.RestartAsync(StackService.Reachy);
        await ConnectAsync();
    }

    /// <summary>Turns the head through the daemon (another client's goto, not this driver's) and waits until the move ended.</summary>
    public async Task LookAsync(double yawDeg, double pitchDeg)
    {
        await UntilIdleAsync();
        var uuid = await Daemon.GotoAsync(new GotoRequest { HeadPose = AnyPose.FromXyzRpy(0, 0, 0, 0, pitchDeg * Math.PI / 180, yawDeg * Math.PI / 180), Duration = 0.5 });
        await Daemon.WaitForMoveEndAsync(uuid, TimeSpan.FromSeconds(5));
    }

    public Task UntilIdleAsync() => Poll.UntilAsync(async () => (await Daemon.GetRunningMovesAsync()).Count == 0, "the simulated robot to be idle");

    public async Task PushHeadAsync(object hand)
    {
        using var response = await SimHttp.PostAsJsonAsync(new Uri("/sim/head/hand", UriKind.Relative), hand);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<JsonArray> MovesAsync() => JsonNode.Parse(await SimHttp.GetStringAsync(new Uri("/sim/moves", UriKind.Relative)))!.AsArray();

    public async Task<JsonObject> HealthAsync() => JsonNode.Parse(await Reachy.GetStringAsync(new Uri("/health", UriKind.Relative)))!.AsObject();

    public Task UntilHealthAsync(Func<JsonObject, bool> condition, string what) => Poll.UntilAsync(async () => condition(await HealthAsync()), what);

    /// <summary>Until the detector judges the resting head (after the robot's own motion settled): a hand now would be noticed.</summary>
    public Task UntilRestingAsync() => UntilHealthAsync(h => h["head_touch"]!["resting"]!.GetValue<bool>(), "the head-touch detector to watch the resting head");

    public async Task<JsonArray> WatchesAsync() => JsonNode.Parse(await Reachy.GetStringAsync(new Uri("/watches", UriKind.Relative)))!["watches"]!.AsArray();

    public Task UntilWatchAsync(JsonNode watch, Func<JsonNode, bool> condition, string what)
        => Poll.UntilAsync(async () => (await WatchesAsync()).Single(w => w!["id"]!.GetValue<string>() == watch["id"]!.GetValue<string>()) is { } w && condition(w), what);

    public Task<JsonObject> CallAsync(string tool, object? args = null) => Client.CallForJsonAsync(tool, args);

    public Task<string> CallFailingAsync(string tool, object? args = null) => Client.CallForErrorAsync(tool, args);

    public async ValueTask DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
        Reachy.Dispose();
        SimHttp.Dispose();
        Daemon.Dispose();
        await _stack.DisposeAsync();
    }
}

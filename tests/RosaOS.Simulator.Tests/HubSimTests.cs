using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Testing;
using RosaOS.Testing.Hub;

namespace RosaOS.Simulator.Tests;

/// <summary>`rosa sim` on a fresh machine (no local emotions): it fetches them from the hub at start, or, offline, says once
/// that emotions are unavailable and why while everything else works.</summary>
public sealed class HubSimTests
{
    private const string Emotions = "pollen-robotics/reachy-mini-emotions-library";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts <c>rosa sim</c> on port 0 (it reports the port it got).</summary>
    private static RosaProcess StartSim(IDictionary<string, string?> environment, params string[] extra)
        => RosaProcess.StartRosa(["sim", "--port", "0", "--no-checkout-data", .. extra], environment);

    [Fact]
    public async Task Without_a_local_copy_the_emotions_are_downloaded_at_start_with_progress_then_served()
    {
        await using var hub = await ScriptedHubServer.StartAsync();
        hub.AddDataset(Emotions, TestPaths.EmotionsLibrary);
        var cache = TestPaths.NewTempDirectory("hfcache");
        await using var sim = StartSim(new Dictionary<string, string?>
        {
            ["HF_ENDPOINT"] = hub.Endpoint, ["HF_HUB_CACHE"] = cache, ["HF_HUB_OFFLINE"] = null, ["HF_HOME"] = null,
        }, "--no-wake-up-on-start");

        var port = (await sim.WaitForListeningAsync("sim")).Port;
        await sim.WaitForLineAsync(l => l.Contains($"Dataset {Emotions} is ready", StringComparison.Ordinal), TestTimeouts.Startup);
        Assert.Contains(sim.Lines, l => l.Contains($"Downloading dataset {Emotions} from {hub.Endpoint}", StringComparison.Ordinal));
        Assert.Contains(sim.Lines, l => l.Contains($"Downloading {Emotions}: 82/82 files", StringComparison.Ordinal));

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        var moves = await http.GetFromJsonAsync<List<string>>($"api/move/recorded-move-datasets/list/{Emotions}", Ct);
        Assert.Equal(81, moves!.Count);
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonObject>("api/daemon/status", Ct))!["state"]!.GetValue<string>() == "running", "the daemon running");
        using var play = await http.PostAsync(new Uri($"api/move/play/recorded-move-dataset/{Emotions}/yes1", UriKind.Relative), null, Ct);
        Assert.Equal(200, (int)play.StatusCode);
        Assert.True(Directory.Exists(Path.Combine(cache, "datasets--pollen-robotics--reachy-mini-emotions-library", "snapshots")));
    }

    [Fact]
    public async Task Offline_without_a_cache_says_once_why_emotions_are_unavailable_and_everything_else_works()
    {
        await using var sim = StartSim(new Dictionary<string, string?>
        {
            ["HF_HUB_OFFLINE"] = "1", ["HF_HUB_CACHE"] = TestPaths.NewTempDirectory("hfcache"), ["HF_HOME"] = null,
        });
        var port = (await sim.WaitForListeningAsync("sim")).Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
        await sim.WaitForLineAsync(l => l.Contains("Emotions are unavailable", StringComparison.Ordinal), TestTimeouts.Effect);
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonObject>("api/daemon/status", Ct))!["state"]!.GetValue<string>() == "running", "the daemon running");

        for (var i = 0; i < 3; i++)
        {
            using var play = await http.PostAsync(new Uri($"api/move/play/recorded-move-dataset/{Emotions}/yes1", UriKind.Relative), null, Ct);
            Assert.Equal(404, (int)play.StatusCode);
            Assert.Contains("HF_HUB_OFFLINE", await play.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        // Everything else works: a goto moves the head, and the daemon's own moves (with their sounds) still run.
        using var body = new StringContent("""{"head_pose": {"x": 0, "y": 0, "z": 0, "roll": 0, "pitch": 0, "yaw": 0.3}, "duration": 0.3}""", Encoding.UTF8, "application/json");
        using var go = await http.PostAsync(new Uri("api/move/goto", UriKind.Relative), body, Ct);
        Assert.Equal(200, (int)go.StatusCode);
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonArray>("api/move/running", Ct))!.Count == 0, "the goto to finish");
        using var sleep = await http.PostAsync(new Uri("api/move/play/goto_sleep", UriKind.Relative), null, Ct);
        Assert.Equal(200, (int)sleep.StatusCode);
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonArray>("sim/speaker/log", Ct))!.Any(e => e!["file"]?.GetValue<string>() == "go_sleep.wav"),
            "go_sleep.wav on the speaker log");

        Assert.Single(sim.Lines, l => l.Contains("Emotions are unavailable", StringComparison.Ordinal));
        // wake_up.wav and go_sleep.wav exist only in the daemon's Python package: said once at start, never per move.
        Assert.Single(sim.Lines, l => l.Contains("built-in sounds (wake_up.wav", StringComparison.Ordinal));
        Assert.DoesNotContain(sim.Lines, l => l.Contains("Sound file", StringComparison.Ordinal) && l.Contains(".wav not found", StringComparison.Ordinal));
    }
}

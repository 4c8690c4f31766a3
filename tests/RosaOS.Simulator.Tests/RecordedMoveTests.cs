using System.Globalization;
using System.Text.Json.Nodes;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Kinematics;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>Recorded moves of the emotions dataset: listed, played frame by frame, 404 for unknown names.</summary>
[Collection("motion")]
public sealed class RecordedMoveTests(MotionSim sim)
{
    private const string Dataset = "pollen-robotics/reachy-mini-emotions-library";

    [Fact]
    public async Task List_HasThe81Emotions()
    {
        var moves = (await sim.GetJsonAsync($"api/move/recorded-move-datasets/list/{Dataset}"))!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        var onDisk = Directory.GetFiles(TestPaths.EmotionsLibrary, "*.json").Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(81, moves.Count);
        Assert.Equal(onDisk, moves);
        Assert.Contains("yes1", moves);
        Assert.Contains("sad2", moves);
    }

    [Fact]
    public async Task UnknownDatasetOrMove_Is404()
    {
        using var list = await sim.Http.GetAsync(new Uri("api/move/recorded-move-datasets/list/nobody/nothing", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(404, (int)list.StatusCode);
        Assert.Contains("Repository Not Found", await list.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);

        var (status, body, _) = await sim.PostJsonAsync($"api/move/play/recorded-move-dataset/{Dataset}/no_such_move", null);
        Assert.Equal(404, status);
        Assert.Equal($"Move no_such_move not found in recorded moves library {Dataset}", body!["detail"]!.GetValue<string>());
        (status, _, _) = await sim.PostJsonAsync("api/move/play/recorded-move-dataset/nobody/nothing/yes1", null);
        Assert.Equal(404, status);
    }

    [Fact]
    public async Task Play_FollowsTheDatasetFrames()
    {
        await sim.WaitIdleAsync();
        var frames = LoadFrames("yes1");
        var (status, body, _) = await sim.PostJsonAsync($"api/move/play/recorded-move-dataset/{Dataset}/yes1", null);
        Assert.Equal(200, status);
        var id = body!["uuid"]!.GetValue<string>();
        var entry = (await sim.GetJsonAsync("sim/moves"))!.AsArray().Single(m => m!["uuid"]!.GetValue<string>() == id)!;
        Assert.Equal("recorded", entry["kind"]!.GetValue<string>());
        Assert.Equal($"{Dataset}/yes1", entry["name"]!.GetValue<string>());
        var started = DateTimeOffset.Parse(entry["started_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);

        var checkedSamples = 0;
        var reachableChecked = 0;
        var good = 0;
        var duration = frames[^1].T;
        while (true)
        {
            var full = (await sim.GetJsonAsync("api/state/full"))!;
            var t = (DateTimeOffset.Parse(full["timestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture) - started).TotalSeconds;
            if (t > duration - 0.05)
            {
                break;
            }
            if (t > 0.1)
            {
                var pitch = full["head_pose"]!["pitch"]!.GetValue<double>();
                var antenna = full["antennas_position"]![0]!.GetValue<double>();
                // The present state trails the player by up to two control ticks.
                var window = frames.Where(f => f.T >= t - 0.08 && f.T <= t + 0.01).ToList();
                checkedSamples++;
                // Frames the analytic IK cannot reach hold the last reachable pose (as on the daemon), so the
                // pitch is compared only where the whole window is reachable; antennas always follow.
                var pitchOk = window.Any(f => !f.Reachable)
                    || (pitch >= window.Min(f => f.Pitch) - 0.01 && pitch <= window.Max(f => f.Pitch) + 0.01);
                if (pitchOk && antenna >= window.Min(f => f.Antenna) - 0.01 && antenna <= window.Max(f => f.Antenna) + 0.01)
                {
                    good++;
                }
                reachableChecked += window.All(f => f.Reachable) ? 1 : 0;
            }
            // The sampling period of the trajectory check (samples compared with the dataset's frames), not a wait for state.
            await Task.Delay(40, TestContext.Current.CancellationToken);
        }
        Assert.True(checkedSamples >= 20, $"only {checkedSamples} samples");
        Assert.True(good >= checkedSamples * 0.9, $"{good}/{checkedSamples} samples matched the dataset frames");
        Assert.True(reachableChecked >= 10, $"only {reachableChecked} samples had reachable frames");
        // A nod: the pitch really swings during yes1.
        Assert.True(frames.Max(f => f.Pitch) - frames.Min(f => f.Pitch) > 0.1);
        Assert.Equal("completed", (await sim.WaitMoveEndAsync(Guid.Parse(id)))["outcome"]!.GetValue<string>());
        var end = await sim.PoseAsync();
        Assert.True(frames[^1].Reachable);
        Assert.Equal(frames[^1].Pitch, end.Pitch, 0.02);
    }

    private static List<(double T, double Pitch, double Antenna, bool Reachable)> LoadFrames(string move)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.EmotionsLibrary, move + ".json")))!;
        var time = json["time"]!.AsArray().Select(t => t!.GetValue<double>()).ToList();
        var data = json["set_target_data"]!.AsArray();
        var frames = new List<(double, double, double, bool)>();
        var kinematics = new HeadKinematics();
        for (var i = 0; i < time.Count; i++)
        {
            var head = data[i]!["head"]!.AsArray().SelectMany(r => r!.AsArray()).Select(v => v!.GetValue<double>()).ToArray();
            var reachable = kinematics.InverseKinematics(head, data[i]!["body_yaw"]!.GetValue<double>()) is not null;
            frames.Add((time[i], Transform.ToXyzRpy(head).Pitch, data[i]!["antennas"]![0]!.GetValue<double>(), reachable));
        }
        return frames;
    }
}

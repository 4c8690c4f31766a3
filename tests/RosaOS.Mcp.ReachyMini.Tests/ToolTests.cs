using System.Text.Json;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>The motion and emotion tools through a real MCP client, checked in the simulated robot's state and move log.</summary>
public sealed class MotionToolTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static double Deg(double? rad) => (rad ?? double.NaN) * 180 / Math.PI;

    private async Task<FullState> StateAsync() => await sim.Daemon.GetFullStateAsync(Ct);

    /// <summary>The state once it satisfies <paramref name="accept"/>: the simulator's forward kinematics settle over a few ticks.</summary>
    private async Task<FullState> SettledAsync(Func<FullState, bool> accept, string what)
        => await Poll.ForAsync(StateAsync, accept, what, TimeSpan.FromSeconds(3));

    private static bool Near(double? radians, double degrees) => Math.Abs(Deg(radians) - degrees) < 1.0;

    private static async Task ResetAsync(ModelContextProtocol.Client.McpClient client)
    {
        var (text, isError) = await client.CallAsync("reset_head");
        Assert.False(isError, text);
    }

    [Fact]
    public async Task MoveHeadLeftAndRight_TurnBy30DegreeSteps_AndCapMultipleAt3()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await ResetAsync(client);

        var (left, leftError) = await client.CallAsync("move_head_left");
        Assert.False(leftError, left);
        await SettledAsync(s => Near(s.HeadPose?.Yaw, 30), "head yaw 30°");

        var (more, _) = await client.CallAsync("move_head_left", new() { ["multiple"] = 2 });
        Assert.Contains("→ 90", more, StringComparison.Ordinal);
        var state = await SettledAsync(s => Near(s.HeadPose?.Yaw, 90), "head yaw 90°");
        Assert.InRange(90 - Deg(state.BodyYaw), -0.5, 65.5);

        var (right, rightError) = await client.CallAsync("move_head_right", new() { ["multiple"] = 7 });
        Assert.False(rightError, right);
        Assert.Contains("multiple 7 → 3", right, StringComparison.Ordinal);
        await SettledAsync(s => Near(s.HeadPose?.Yaw, 0), "head yaw 0°");
    }

    [Fact]
    public async Task GotoTarget_ReachesThePose()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);

        var (text, isError) = await client.CallAsync("goto_target", new()
        {
            ["head_z"] = 10, ["head_pitch"] = 15, ["head_yaw"] = -20, ["antenna_x"] = 30, ["antenna_y"] = -45, ["body_yaw"] = -10, ["duration"] = 0.8,
        });

        Assert.False(isError, text);
        Assert.Contains("Reached the target", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Clamped", text, StringComparison.Ordinal);
        var state = await SettledAsync(s => Near(s.HeadPose?.Pitch, 15) && Near(s.HeadPose?.Yaw, -20), "pitch 15°, yaw -20°");
        Assert.Equal(15, Deg(state.HeadPose?.Pitch), 0);
        Assert.Equal(-20, Deg(state.HeadPose?.Yaw), 0);
        Assert.Equal(0.010, state.HeadPose!.Z, 3);
        Assert.Equal(-10, Deg(state.BodyYaw), 0);
        Assert.Equal(30, Deg(state.AntennasPosition![0]), 0);
        Assert.Equal(-45, Deg(state.AntennasPosition[1]), 0);
    }

    [Fact]
    public async Task GotoTarget_BeyondTheLimits_IsClampedAndSaysSo()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);

        var (text, isError) = await client.CallAsync("goto_target", new()
        {
            ["head_pitch"] = 75, ["body_yaw"] = 120, ["antenna_x"] = 500, ["duration"] = 0.00001,
        });
        var (roll, rollError) = await client.CallAsync("goto_target", new() { ["head_roll"] = -1e300 });
        var rollState = await SettledAsync(s => Near(s.HeadPose?.Roll, -40), "roll -40°");

        Assert.False(isError, text);
        Assert.Contains("head_pitch 75 → 40 degrees", text, StringComparison.Ordinal);
        Assert.Contains("body_yaw 120 → 65 degrees", text, StringComparison.Ordinal);
        Assert.Contains("antenna_x 500 → 180 degrees", text, StringComparison.Ordinal);
        Assert.Contains("duration 0 → 0.1 s", text, StringComparison.Ordinal);
        Assert.False(rollError, roll);
        Assert.Contains("head_roll -1E+300 → -40 degrees", roll, StringComparison.Ordinal);
        Assert.Equal(-40, Deg(rollState.HeadPose?.Roll), 0);
        await ResetAsync(client);
    }

    [Fact]
    public async Task GotoTarget_CombinationOutOfReach_IsScaledIntoReach_AndTheRobotGoesThere()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);

        var (text, isError) = await client.CallAsync("goto_target", new() { ["head_pitch"] = 40, ["head_roll"] = -40, ["head_z"] = 20 });

        Assert.False(isError, text);
        var match = System.Text.RegularExpressions.Regex.Match(text, @"roll=(-?[\d.]+)° pitch=(-?[\d.]+)°\)");
        Assert.True(match.Success, text);
        var pitch = double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var state = await SettledAsync(s => Near(s.HeadPose?.Pitch, pitch), $"pitch {pitch}°");
        Assert.Equal(double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture), Deg(state.HeadPose?.Pitch), 0);
        Assert.Equal(double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Deg(state.HeadPose?.Roll), 0);
        Assert.InRange(Deg(state.HeadPose?.Pitch), 5, 39.5);
        await ResetAsync(client);
    }

    [Theory]
    [InlineData("""{"head_yaw":"NaN"}""")]
    [InlineData("""{"head_yaw":"Infinity"}""")]
    [InlineData("""{"duration":"-Infinity"}""")]
    [InlineData("""{"head_x":1e400}""")]
    [InlineData("""{"duration":"fast"}""")]
    public async Task GotoTarget_NonFiniteOrWrongType_IsAClearErrorAndNothingMoves(string arguments)
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var before = (await sim.Daemon.GetMoveLogAsync(Ct)).Count;

        var (text, isError) = await client.CallRawAsync("goto_target", arguments);

        Assert.True(isError, text);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.Equal(before, (await sim.Daemon.GetMoveLogAsync(Ct)).Count);
    }

    [Fact]
    public async Task StopMove_InterruptsAGoto_AndTheHeadStaysWhereItStopped()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await using var other = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await ResetAsync(client);

        var move = client.CallAsync("goto_target", new() { ["head_yaw"] = 60, ["duration"] = 4 });
        await Poll.UntilAsync(async () => Deg((await StateAsync()).HeadPose?.Yaw) > 5, "the head to start turning");
        var (stop, stopError) = await other.CallAsync("stop_move");
        var (moveText, moveError) = await move;

        Assert.False(stopError, stop);
        Assert.Contains("Stopped 1 move(s): stopped goto_target", stop, StringComparison.Ordinal);
        Assert.False(moveError, moveText);
        Assert.Contains("Stopped after", moveText, StringComparison.Ordinal);
        // The measured pose trails the command by one 20 ms control tick: read it once it has settled.
        var stoppedAt = await Poll.SettledAsync(async () => Deg((await StateAsync()).HeadPose?.Yaw), "the stopped head's yaw", 0.05);
        // Kept on purpose: "nothing moves for 300 ms" is the assertion (another process could wrongly keep moving); no state says "never".
        await Task.Delay(300, Ct);
        Assert.InRange(stoppedAt, 5, 55);
        Assert.InRange(Deg((await StateAsync()).HeadPose?.Yaw), stoppedAt - 0.5, stoppedAt + 0.5);
        Assert.Contains(await sim.Daemon.GetMoveLogAsync(Ct), m => m.Kind == "goto" && m.Outcome == "cancelled");

        var (none, _) = await other.CallAsync("stop_move");
        Assert.Equal("No moves running.", none);
    }

    [Fact]
    public async Task ResetHead_ReturnsToNeutral()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await client.CallAsync("goto_target", new() { ["head_pitch"] = -20, ["head_yaw"] = 40, ["body_yaw"] = 30, ["antenna_x"] = 60 });

        var (text, isError) = await client.CallAsync("reset_head");

        Assert.False(isError, text);
        var state = await SettledAsync(s => Near(s.HeadPose?.Yaw, 0) && Near(s.HeadPose?.Pitch, 0), "the neutral pose");
        Assert.Equal(0, Deg(state.HeadPose?.Yaw), 0);
        Assert.Equal(0, Deg(state.HeadPose?.Pitch), 0);
        Assert.Equal(0, Deg(state.BodyYaw), 0);
        Assert.Equal(0, Deg(state.AntennasPosition![0]), 0);
    }

    [Fact]
    public async Task PlayEmotion_PlaysARecordedVariant_ThatMovesTheRobot_AndStopMoveStopsIt()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await ResetAsync(client);

        var (text, isError) = await client.CallAsync("play_emotion", new() { ["emotion"] = "Enthusiastic" });

        Assert.False(isError, text);
        var entry = (await sim.Daemon.GetMoveLogAsync(Ct)).Last(m => m.Kind == "recorded");
        Assert.Contains(entry.Name, new[] { $"{SimProcesses.EmotionsDataset}/enthusiastic1", $"{SimProcesses.EmotionsDataset}/enthusiastic2" });
        Assert.Contains(entry.Name!.Split('/')[^1], text, StringComparison.Ordinal);
        // The emotion's frames drive the robot away from the neutral pose.
        await Poll.UntilAsync(async () =>
        {
            var s = await StateAsync();
            return Math.Abs(Deg(s.HeadPose?.Pitch)) + Math.Abs(Deg(s.HeadPose?.Yaw)) + Math.Abs(Deg(s.HeadPose?.Roll)) > 2
                || Math.Abs(Deg(s.AntennasPosition![0])) > 2;
        }, "the emotion to move the robot");

        var (stop, _) = await client.CallAsync("stop_move");
        Assert.Contains("emotion 'enthusiastic'", stop, StringComparison.Ordinal);
        await Poll.UntilAsync(async () => (await sim.Daemon.GetMoveLogAsync(Ct)).Any(m => m.Uuid == entry.Uuid && m.Outcome == "cancelled"), "the emotion to be cancelled");
    }

    [Fact]
    public async Task PlayEmotion_EveryCatalogVariantExistsInTheDataset()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var (text, _) = await client.CallAsync("list_emotions");
        var names = JsonSerializer.Deserialize<string[]>(text)!;
        var dataset = await sim.Daemon.ListRecordedMovesAsync(SimProcesses.EmotionsDataset, Ct);

        Assert.Equal(57, names.Length);
        Assert.All(Emotions.EmotionCatalog.Default.AllVariants, v => Assert.Contains(v, dataset));
        Assert.Equal(81, Emotions.EmotionCatalog.Default.AllVariants.Count);
    }
}

using System.Globalization;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

/// <summary>Its own robot: the stop keyword latches the emergency stop, which would refuse the other tests' gestures.</summary>
public sealed class StopEar : RobotEarFixture
{
    protected override bool Online => false;

    protected override IEnumerable<string> ExtraReachyArgs => ["--stop-keyword", "stop"];
}

/// <summary>The offline stop keyword: synthesised speech through the simulated microphone engages the driver's emergency stop.</summary>
public sealed class StopKeywordTests(StopEar ear) : IClassFixture<StopEar>
{
    [Fact]
    public async Task Saying_stop_engages_the_emergency_stop_soon_after_the_word_ends_without_the_wake_word()
    {
        var estop = await RobotEarFixture.GetAsync(ear.Reachy, ear.ReachyUrl, "estop");
        Assert.False(estop!["engaged"]!.GetValue<bool>());

        var asked = DateTimeOffset.UtcNow;
        var (status, body) = await ear.SayAsync("""{"text": "stop", "azimuth_deg": 90}""");
        Assert.Equal(200, status);
        var wordEnds = asked + TimeSpan.FromSeconds(body!["starts_in_s"]!.GetValue<double>() + body["duration_s"]!.GetValue<double>());

        var engaged = await Poll.ForAsync(() => RobotEarFixture.GetAsync(ear.Reachy, ear.ReachyUrl, "estop"),
            e => e!["engaged"]!.GetValue<bool>(), "the emergency stop engaged by voice", TestTimeouts.Effect, TimeSpan.FromMilliseconds(20));
        Assert.Equal("voice", engaged!["source"]!.GetValue<string>());
        var at = DateTimeOffset.Parse(engaged["engaged_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var latency = at - wordEnds;
        TestContext.Current.SendDiagnosticMessage($"emergency stop engaged {latency.TotalMilliseconds:0} ms after the end of the word's clip");
        // The target is 500 ms; not met yet: pocketsphinx_continuous reports only after 0.3 s of silence ends the
        // phrase (vad_postspeech 30) and reads 128 ms at a time: 17 ms after the clip at load 6, 1080 ms at load 40
        // (docs/speech-input.md). The bound keeps a regression (a miss, or seconds of lag) visible meanwhile.
        Assert.InRange(latency.TotalMilliseconds, -400, 1500);
    }
}

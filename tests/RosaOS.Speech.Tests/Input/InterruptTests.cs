using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

/// <summary>Its own robot: barge-in leaves speech interrupted and the loop listening, which the other ears must not see.</summary>
public sealed class BargeInEar : RobotEarFixture
{
    protected override bool Online => true;

    /// <summary>Barge-in alone: no follow-up window, so only the wake word counts.</summary>
    protected override IEnumerable<string> ExtraReachyArgs => ["--follow-up-window", "0"];

    public async Task<McpClient> McpAsync() => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
    {
        Endpoint = new Uri(ReachyUrl, "mcp"),
        TransportMode = HttpTransportMode.StreamableHttp,
    }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);

    public async Task<JsonArray> SpeakerLogAsync() => (await GetAsync(Sim, SimUrl, "sim/speaker/log"))!.AsArray();
}

/// <summary>Barge-in through the simulated microphone and speaker: the wake word while the robot speaks silences it.</summary>
public sealed class BargeInTests(BargeInEar ear) : IClassFixture<BargeInEar>
{
    [Fact]
    public async Task The_wake_word_while_the_robot_speaks_stops_the_speaker_and_the_next_utterance_reaches_the_kernel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var mcp = await ear.McpAsync();
        // About 20 s of speech in several sentences: far longer than the wake word takes to be heard.
        var text = string.Join(" ", Enumerable.Range(1, 8).Select(i => $"This is sentence number {i} of a long answer that nobody wants to hear to the end."));
        var queued = await mcp.CallToolAsync("speak", new Dictionary<string, object?> { ["text"] = text }, cancellationToken: ct);
        Assert.NotEqual(true, queued.IsError);
        var playing = await Poll.ForAsync(ear.SpeakerLogAsync, log => log.Any(e => e!["ended_at"] is null), "the robot speaking on the simulated speaker");
        var first = playing.First(e => e!["ended_at"] is null)!;
        var firstId = first["id"]!.GetValue<long>();

        ear.Whisper!.ReplyText("Hello!");
        var (status, _) = await ear.SayAsync("""{"text": "hello", "azimuth_deg": 90}""");
        Assert.Equal(200, status);

        // The speaker stops: the chunk playing ends interrupted, long before its own length.
        var log = await Poll.ForAsync(ear.SpeakerLogAsync, l => l.Any(e => e!["interrupted"]!.GetValue<bool>()), "speech interrupted by the wake word", TestTimeouts.Effect);
        var cut = log.First(e => e!["interrupted"]!.GetValue<bool>())!;
        var started = cut["started_at"]!.GetValue<DateTimeOffset>();
        var ended = cut["ended_at"]!.GetValue<DateTimeOffset>();
        Assert.True(ended - started < TimeSpan.FromSeconds(cut["duration_s"]!.GetValue<double>()),
            $"the interrupted chunk played {(ended - started).TotalSeconds:0.0} s of its {cut["duration_s"]} s");
        Assert.Equal(1, (await ear.SpeechStatusAsync())!["barge_ins"]!.GetValue<long>());

        // And it listens: the next utterance (no wake word) is the request.
        await Poll.UntilAsync(async () => await ear.SpeechStateAsync() == "listening", "listening after the barge-in");
        ear.Whisper.ReplyText("What time is it?");
        (status, _) = await ear.SayAsync("""{"text": "what time is it", "azimuth_deg": 90}""");
        Assert.Equal(200, status);
        var posted = await ear.Kernel.Texts.ReadAsync(ct).AsTask().WaitAsync(TestTimeouts.Effect, ct);
        Assert.Equal("What time is it?", posted);

        // The rest of the long answer was dropped: nothing played after the interrupted chunk, seconds later.
        var after = (await ear.SpeakerLogAsync()).Where(e => e!["id"]!.GetValue<long>() > cut["id"]!.GetValue<long>()).ToList();
        Assert.Empty(after);
        Assert.True(cut["id"]!.GetValue<long>() >= firstId);
    }
}

/// <summary>Its own robot with a 4 s follow-up window.</summary>
public sealed class FollowUpEar : RobotEarFixture
{
    public const double WindowSeconds = 4;

    protected override bool Online => true;

    protected override IEnumerable<string> ExtraReachyArgs => ["--follow-up-window", WindowSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}

/// <summary>The follow-up window through the simulated microphone and speaker.</summary>
public sealed class FollowUpTests(FollowUpEar ear) : IClassFixture<FollowUpEar>
{
    [Fact]
    public async Task Right_after_the_robot_speaks_an_answer_without_the_wake_word_reaches_the_kernel_and_after_the_window_it_does_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var mcp = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(ear.ReachyUrl, "mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: ct);
        Assert.False((await ear.SpeechStatusAsync())!["listening"]!.GetValue<bool>());

        // The robot asks something and finishes speaking (wait_until_spoken: the simulated speaker played it to the end).
        var spoken = await mcp.CallToolAsync("speak", new Dictionary<string, object?> { ["text"] = "Shall I turn left?", ["wait_until_spoken"] = true }, cancellationToken: ct);
        Assert.StartsWith("Said it", string.Join("", spoken.Content.OfType<TextContentBlock>().Select(b => b.Text)), StringComparison.Ordinal);
        var status = await ear.SpeechStatusAsync();
        Assert.True(status!["listening"]!.GetValue<bool>(), "listening inside the follow-up window");
        Assert.NotNull(status["follow_up_until"]);

        // Inside the window: no wake word needed.
        ear.Whisper!.ReplyText("Yes, please.");
        var (code, _) = await ear.SayAsync("""{"text": "yes please", "azimuth_deg": 90}""");
        Assert.Equal(200, code);
        var posted = await ear.Kernel.Texts.ReadAsync(ct).AsTask().WaitAsync(TestTimeouts.Effect, ct);
        Assert.Equal("Yes, please.", posted);
        Assert.Equal(1, (await ear.SpeechStatusAsync())!["follow_ups"]!.GetValue<long>());
        Assert.Equal(0, (await ear.SpeechStatusAsync())!["wake_ups"]!.GetValue<long>());

        // The kernel was told when the robot started and stopped listening (what the UI's indicator shows).
        await Poll.UntilAsync(() => Task.FromResult(ear.Kernel.Listening.Any(n => n.GetProperty("listening").GetBoolean() && n.GetProperty("reason").GetString() == "follow_up")),
            "the kernel told the robot listens for a follow-up");
        // The window closes: the robot says it no longer listens.
        await Poll.UntilAsync(async () => !(await ear.SpeechStatusAsync())!["listening"]!.GetValue<bool>(), "the follow-up window closed", TimeSpan.FromSeconds(FollowUpEar.WindowSeconds + 10));
        await Poll.UntilAsync(() => Task.FromResult(ear.Kernel.Listening.LastOrDefault() is { } last && !last.GetProperty("listening").GetBoolean()), "the kernel told listening ended");

        // After the window: the same kind of answer is heard, transcribed and ignored.
        ear.Whisper.ReplyText("Turn right instead.");
        (code, _) = await ear.SayAsync("""{"text": "turn right instead", "azimuth_deg": 90}""");
        Assert.Equal(200, code);
        await Poll.UntilAsync(async () => (await ear.SpeechStatusAsync())!["ignored"]!.GetValue<long>() == 1, "the late answer ignored", TestTimeouts.Effect);
        Assert.Equal("Turn right instead.", (await ear.SpeechStatusAsync())!["last_transcript"]!.GetValue<string>());
        Assert.False(ear.Kernel.Texts.TryRead(out var late), $"posted after the window: {late}");
        Assert.Equal(1, ear.Kernel.Requests);
    }
}

using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

/// <summary>A real <c>rosa sim</c> and a real <c>rosa reachy</c> listening to its virtual microphone, with a kernel stand-in.</summary>
public abstract class RobotEarFixture : IAsyncLifetime
{
    private RosaProcess? _sim;
    private RosaProcess? _reachy;

    public HttpClient Sim { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public HttpClient Reachy { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The simulator's base URL, on the port it got (port 0, reported).</summary>
    public Uri SimUrl { get; private set; } = null!;

    /// <summary>rosa reachy's base URL, on the port it got (port 0, reported).</summary>
    public Uri ReachyUrl { get; private set; } = null!;

    internal SttListener Kernel { get; private set; } = null!;

    internal ScriptedTranscriptionServer? Whisper { get; private set; }

    protected abstract bool Online { get; }

    /// <summary>More <c>rosa reachy</c> flags for this robot.</summary>
    protected virtual IEnumerable<string> ExtraReachyArgs => [];

    public async ValueTask InitializeAsync()
    {
        Kernel = await SttListener.StartAsync();
        var env = new Dictionary<string, string?> { ["STT_CALLBACK_URL"] = Kernel.Url.ToString() };
        if (Online)
        {
            Whisper = await ScriptedTranscriptionServer.StartAsync();
            env["GROQ_API_KEY"] = "gsk_test";
            env["GROQ_BASE_URL"] = Whisper.BaseUrl.ToString();
        }
        _sim = RosaProcess.StartRosa(["sim", "--port", "0"]);
        SimUrl = new Uri(await _sim.WaitForListeningAsync("sim"), "/");
        await Poll.UntilAsync(async () => (await GetAsync(Sim, SimUrl, "api/daemon/status"))!["state"]!.GetValue<string>() == "running", "sim awake");
        _reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", SimUrl.ToString(),
            "--listen-timeout", "20", "--wake-word", "hello", .. ExtraReachyArgs], env);
        ReachyUrl = new Uri(await _reachy.WaitForListeningAsync("reachy"), "/");
        await Poll.UntilAsync(async () => (await SpeechStatusAsync())?["capturing"]?.GetValue<bool>() == true, "rosa reachy capturing the virtual microphone");
    }

    public async Task<JsonNode?> SpeechStatusAsync() => (await GetAsync(Reachy, ReachyUrl, "health"))!["speech_input"];

    public async Task<string?> SpeechStateAsync() => (await SpeechStatusAsync())?["state"]?.GetValue<string>();

    public static async Task<JsonNode?> GetAsync(HttpClient http, Uri baseUrl, string path)
    {
        var text = await http.GetStringAsync(new Uri(baseUrl, path), TestContext.Current.CancellationToken);
        return JsonNode.Parse(text);
    }

    public async Task<(int Status, JsonNode? Body)> SayAsync(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await Sim.PostAsync(new Uri(SimUrl, "sim/say"), content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<double> HeadYawDegreesAsync()
        => (await GetAsync(Sim, SimUrl, "api/state/present_head_pose"))!["yaw"]!.GetValue<double>() * 180 / Math.PI;

    public async Task<double[]> AntennasAsync()
        => (await GetAsync(Sim, SimUrl, "api/state/present_antenna_joint_positions"))!.AsArray().Select(a => a!.GetValue<double>()).ToArray();

    public async ValueTask DisposeAsync()
    {
        if (_reachy is not null)
        {
            await _reachy.DisposeAsync();
        }
        if (_sim is not null)
        {
            await _sim.DisposeAsync();
        }
        await Kernel.DisposeAsync();
        if (Whisper is not null)
        {
            await Whisper.DisposeAsync();
        }
        Sim.Dispose();
        Reachy.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class OnlineEar : RobotEarFixture
{
    protected override bool Online => true;
}

public sealed class OfflineEar : RobotEarFixture
{
    protected override bool Online => false;
}

/// <summary>The end-to-end test: wake word from azimuth 60°, head turn, listening pose, request transcribed and posted.</summary>
public sealed class EndToEndOnlineTests(OnlineEar ear) : IClassFixture<OnlineEar>
{
    [Fact]
    public async Task Hello_from_60_degrees_turns_the_head_listens_and_what_do_you_see_reaches_the_kernel()
    {
        var whisper = ear.Whisper!;
        whisper.ReplyText("Hello.");
        var (status, body) = await ear.SayAsync("""{"text": "hello", "azimuth_deg": 60}""");
        Assert.Equal(200, status);
        Assert.True(body!["duration_s"]!.GetValue<double>() > 0.3);

        // The wake word's audio reached the transcription service as a 16 kHz mono 16-bit WAV of plausible length.
        var wake = await whisper.Received.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Effect, TestContext.Current.CancellationToken);
        Assert.Equal(16000, wake.Audio.SampleRate);
        Assert.Equal(1, wake.Channels);
        Assert.Equal(16, wake.BitsPerSample);
        Assert.InRange(wake.Audio.DurationSeconds, body["duration_s"]!.GetValue<double>() + 1.0, body["duration_s"]!.GetValue<double>() + 3.0);

        // DoA 60° → yaw = 90 − 60 = 30°: the head turns toward the voice (to the robot's left).
        await Poll.UntilAsync(async () => Math.Abs(await ear.HeadYawDegreesAsync() - 30) < 1.5, "head yaw 30°");
        // The listening pose: the state says so and the antennas wiggle to ∓20°.
        await Poll.UntilAsync(async () => await ear.SpeechStateAsync() == "listening", "listening state");
        await Poll.UntilAsync(async () => (await ear.AntennasAsync()).Max(Math.Abs) > 0.25, "antennas wiggling");

        whisper.ReplyText("What do you see?");
        (status, _) = await ear.SayAsync("""{"text": "what do you see", "azimuth_deg": 60}""");
        Assert.Equal(200, status);
        var posted = await ear.Kernel.Texts.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Effect, TestContext.Current.CancellationToken);
        Assert.Equal("What do you see?", posted);
        var request = whisper.All[^1];
        Assert.Equal(16000, request.Audio.SampleRate);
        Assert.InRange(request.Audio.DurationSeconds, 1.5, 5);

        // The listening pose stopped: back to waiting, the antennas settle and stay put.
        await Poll.UntilAsync(async () => await ear.SpeechStateAsync() == "waiting_for_wake_word", "waiting again");
        await Poll.UntilAsync(async () =>
        {
            var before = await ear.AntennasAsync();
            // Kept on purpose: stillness across another process's 1 s wiggle period is the assertion.
            await Task.Delay(TimeSpan.FromSeconds(1.5), TestContext.Current.CancellationToken);
            var after = await ear.AntennasAsync();
            return before.Zip(after).All(p => Math.Abs(p.First - p.Second) < 1e-3);
        }, "antennas still");
        Assert.Equal(1, (await ear.SpeechStatusAsync())!["posted"]!.GetValue<long>());
        Assert.Equal(1, (await ear.SpeechStatusAsync())!["wake_ups"]!.GetValue<long>());
    }
}

/// <summary>No transcription service at all: pocketsphinx alone; plus the sim microphone's contract and bad input.</summary>
public sealed class EndToEndOfflineTests(OfflineEar ear) : IClassFixture<OfflineEar>
{
    [Fact]
    public async Task Hello_wakes_the_robot_through_pocketsphinx_alone_and_a_command_is_posted()
    {
        var (status, _) = await ear.SayAsync("""{"text": "hello", "azimuth_deg": 150}""");
        Assert.Equal(200, status);
        // DoA 150° (right) → yaw −60°.
        await Poll.UntilAsync(async () => Math.Abs(await ear.HeadYawDegreesAsync() + 60) < 1.5, "head yaw −60°");
        await Poll.UntilAsync(async () => await ear.SpeechStateAsync() == "listening", "listening state");
        (status, _) = await ear.SayAsync("""{"text": "what do you see", "azimuth_deg": 150}""");
        Assert.Equal(200, status);
        var posted = await ear.Kernel.Texts.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TestTimeouts.Effect, TestContext.Current.CancellationToken);
        Assert.Equal("what do you see", posted);
    }

    [Fact]
    public async Task Doa_reports_the_direction_while_speech_lasts_and_null_otherwise()
    {
        Assert.Null(await RobotEarFixture.GetAsync(ear.Sim, ear.SimUrl, "api/state/doa"));
        var (status, body) = await ear.SayAsync("""{"text": "the quick brown fox jumps over the lazy dog", "azimuth_deg": 45}""");
        Assert.Equal(200, status);
        var doa = await Poll.ForAsync(() => RobotEarFixture.GetAsync(ear.Sim, ear.SimUrl, "api/state/doa"), d => d is not null, "DoA while speaking");
        Assert.Equal(45 * Math.PI / 180, doa!["angle"]!.GetValue<double>(), 6);
        Assert.True(doa["speech_detected"]!.GetValue<bool>());
        // Once the utterance has played, the direction of arrival clears (within its duration plus a margin).
        await Poll.UntilAsync(async () => await RobotEarFixture.GetAsync(ear.Sim, ear.SimUrl, "api/state/doa") is null, "DoA to clear after speech",
            TimeSpan.FromSeconds(body!["duration_s"]!.GetValue<double>() + 5));
    }

    [Fact]
    public async Task Microphone_stream_is_16k_stereo_float_with_a_low_noise_floor()
    {
        using var response = await ear.Sim.GetAsync(new Uri(ear.SimUrl, "sim/microphone/stream"), HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal("16000", response.Headers.GetValues("X-Sample-Rate").Single());
        Assert.Equal("2", response.Headers.GetValues("X-Channels").Single());
        await using var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var bytes = new byte[16000 * 8 / 2]; // half a second
        await stream.ReadExactlyAsync(bytes, TestContext.Current.CancellationToken);
        var samples = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToSingle(bytes, i * 4)).ToArray();
        var rms = Math.Sqrt(samples.Average(s => (double)s * s));
        Assert.InRange(rms, 1e-4, 0.01);
        Assert.All(Enumerable.Range(0, samples.Length / 2), i => Assert.Equal(samples[2 * i], samples[(2 * i) + 1]));
    }

    [Theory]
    [InlineData("""{"azimuth_deg": 60}""", "missing")]
    [InlineData("""{"text": 42}""", "string_type")]
    [InlineData("""{"text": ""}""", "string_length")]
    [InlineData("""{"text": "hi", "azimuth_deg": "NaN"}""", "finite_number")]
    [InlineData("""{"text": "hi", "azimuth_deg": "left"}""", "float_parsing")]
    [InlineData("""{"text": "hi", "azimuth_deg": true}""", "float_type")]
    [InlineData("""{"text": "hi", "azimuth_deg": 1e308}""", "less_than_equal")]
    [InlineData("""{"text": "hi", "azimuth_deg": -5}""", "greater_than_equal")]
    [InlineData("""["hello"]""", "model_attributes_type")]
    [InlineData("""{"text": "hi" """, "json_invalid")]
    public async Task Bad_say_requests_get_422_and_the_sim_keeps_running(string json, string errorType)
    {
        var (status, body) = await ear.SayAsync(json);
        Assert.Equal(422, status);
        Assert.Contains(errorType, body!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("running", (await RobotEarFixture.GetAsync(ear.Sim, ear.SimUrl, "api/daemon/status"))!["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_huge_text_is_refused()
    {
        var (status, _) = await ear.SayAsync($$"""{"text": "{{new string('a', 5000)}}"}""");
        Assert.Equal(422, status);
    }

    [Fact]
    public async Task Move_to_audio_tool_without_speech_says_why_and_does_not_move()
    {
        await using var client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(ear.ReachyUrl, "mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
        }), new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(tools, t => t.Name == "move_to_audio");
        await Poll.UntilAsync(async () => await RobotEarFixture.GetAsync(ear.Sim, ear.SimUrl, "api/state/doa") is null, "silence");
        var result = await client.CallToolAsync("move_to_audio", new Dictionary<string, object?>(), cancellationToken: TestContext.Current.CancellationToken);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        Assert.Contains("did not move", text, StringComparison.Ordinal);
    }
}

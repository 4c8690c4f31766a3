using RosaOS.Speech.Tests;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>A real <c>rosa reachy</c> configured for Groq speech (GROQ_API_KEY, GROQ_BASE_URL) against a scripted Groq server, on a real <c>rosa sim</c>.</summary>
public sealed class NetworkVoiceFixture : IAsyncLifetime
{
    public ScriptedSpeechServer Groq { get; private set; } = null!;
    public RosaProcess Sim { get; private set; } = null!;
    public RosaProcess Reachy { get; private set; } = null!;
    public RosaOS.ReachyMini.Client.ReachyDaemonClient Daemon { get; private set; } = null!;
    public string McpUrl { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Groq = await ScriptedSpeechServer.StartAsync();
        Sim = await SimProcesses.StartSimAsync();
        var simUrl = await SimProcesses.UrlAsync(Sim, "sim");
        Daemon = new(new() { BaseAddress = new Uri(simUrl) });
        Reachy = await SimProcesses.StartReachyAsync(simUrl, new Dictionary<string, string?>
        {
            ["GROQ_API_KEY"] = "gsk-scripted",
            ["GROQ_BASE_URL"] = Groq.GroqBaseUrl,
            ["TTS_ENGINE"] = "groq",
            ["TTS_VOICE"] = "autumn",
        }, "--tts-timeout", "1");
        McpUrl = await SimProcesses.UrlAsync(Reachy, "reachy") + "/mcp";
    }

    public async ValueTask DisposeAsync()
    {
        Daemon?.Dispose();
        await Reachy.DisposeAsync();
        await Sim.DisposeAsync();
        await Groq.DisposeAsync();
    }
}

public sealed class NetworkVoiceTests(NetworkVoiceFixture fx) : IClassFixture<NetworkVoiceFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<long> LastIdAsync() => (await fx.Daemon.GetSpeakerLogAsync(null, Ct)).Select(e => e.Id).DefaultIfEmpty(0).Max();

    [Fact]
    public async Task Speak_UsesGroqOrpheus_InChunksOfAtMost200Characters()
    {
        await using var client = await McpTestClient.ConnectAsync(fx.McpUrl, Ct);
        var since = await LastIdAsync();
        fx.Groq.Requests.Clear();
        var text = string.Join(" ", Enumerable.Range(1, 8).Select(i => $"Sentence {i} is long enough to need its own place in a chunk."));

        var (answer, isError) = await client.CallAsync("speak", new() { ["text"] = text, ["wait_until_spoken"] = true });

        Assert.False(isError, answer);
        Assert.Contains("groq", answer, StringComparison.Ordinal);
        var requests = fx.Groq.Requests.ToArray();
        Assert.True(requests.Length >= 3);
        Assert.All(requests, r => Assert.InRange(r.Body.GetProperty("input").GetString()!.Length, 1, 200));
        Assert.All(requests, r => Assert.Equal("canopylabs/orpheus-v1-english", r.Body.GetProperty("model").GetString()));
        Assert.All(requests, r => Assert.Equal("Bearer gsk-scripted", r.Authorization));
        Assert.Equal(text, string.Join(" ", requests.Select(r => r.Body.GetProperty("input").GetString())));
        var played = await fx.Daemon.GetSpeakerLogAsync(since, Ct);
        Assert.Equal(requests.Length, played.Count);
        Assert.All(played, e => Assert.Equal(fx.Groq.CannedSeconds, e.DurationS, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    [InlineData(429)]
    public async Task Speak_GroqTimesOutOrFails_FallsBackToEspeak(int status)
    {
        await using var client = await McpTestClient.ConnectAsync(fx.McpUrl, Ct);
        var since = await LastIdAsync();
        fx.Groq.Script(status == 0 ? new ScriptedReply(Delay: TimeSpan.FromSeconds(5)) : new ScriptedReply(status));

        var (answer, isError) = await client.CallAsync("speak", new() { ["text"] = "The cloud voice failed, the robot still talks.", ["wait_until_spoken"] = true });

        Assert.False(isError, answer);
        Assert.Contains("espeak-ng", answer, StringComparison.Ordinal);
        var entry = Assert.Single(await fx.Daemon.GetSpeakerLogAsync(since, Ct));
        Assert.Equal("The cloud voice failed, the robot still talks.", entry.Text);
        Assert.NotEqual(fx.Groq.CannedSeconds, entry.DurationS, 2);
    }
}

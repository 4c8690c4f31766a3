using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>The virtual speaker (/sim/speaker*) and the daemon's play_sound.</summary>
[Collection("io")]
public sealed class SpeakerTests(IoSim sim)
{
    private async Task<(int Status, JsonNode? Body)> PostWavAsync(byte[] wav, string query, string contentType = "audio/wav")
    {
        using var content = new ByteArrayContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await sim.Http.PostAsync(new Uri("sim/speaker" + query, UriKind.Relative), content, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    [Fact]
    public async Task Speaker_PlaysForTheSoundsDuration_AndLogsTheWords()
    {
        var watch = Stopwatch.StartNew();
        var (status, entry) = await PostWavAsync(Wav.Create(0.6), "?text=hello%20there");
        watch.Stop();
        Assert.Equal(200, status);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.55), $"answered after {watch.Elapsed.TotalSeconds:F2} s, before the sound ended");
        Assert.Equal("hello there", entry!["text"]!.GetValue<string>());
        Assert.Equal("wav", entry["source"]!.GetValue<string>());
        Assert.Equal(0.6, entry["duration_s"]!.GetValue<double>(), 0.002);
        Assert.Equal(16000, entry["sample_rate"]!.GetValue<int>());
        Assert.Equal(1, entry["channels"]!.GetValue<int>());
        Assert.Equal("pcm_s16", entry["format"]!.GetValue<string>());
        Assert.False(entry["interrupted"]!.GetValue<bool>());
        Assert.NotNull(entry["ended_at"]);
        var id = entry["id"]!.GetValue<long>();
        var log = (await sim.GetJsonAsync($"sim/speaker/log?since={id - 1}"))!.AsArray();
        Assert.Equal(id, log[0]!["id"]!.GetValue<long>());
    }

    [Theory]
    [InlineData(48000, 2, 32, 3, "float32")]
    [InlineData(22050, 1, 8, 1, "pcm_s8")]
    [InlineData(44100, 2, 24, 1, "pcm_s24")]
    [InlineData(8000, 1, 32, 1, "pcm_s32")]
    public async Task Speaker_AcceptsEveryPcmLayout(int rate, int channels, int bits, int format, string name)
    {
        var (status, entry) = await PostWavAsync(Wav.Create(0.1, rate, channels, bits, format), "?wait=true");
        Assert.Equal(200, status);
        Assert.Equal(name, entry!["format"]!.GetValue<string>());
        Assert.Equal(rate, entry["sample_rate"]!.GetValue<int>());
        Assert.Equal(channels, entry["channels"]!.GetValue<int>());
        Assert.Equal(0.1, entry["duration_s"]!.GetValue<double>(), 0.01);
    }

    [Fact]
    public async Task Speaker_PlaysOneSoundAtATime_AndStopInterrupts()
    {
        var (status, first) = await PostWavAsync(Wav.Create(0.8), "?wait=false&text=first");
        Assert.Equal(202, status);
        var (status2, second) = await PostWavAsync(Wav.Create(0.2), "?text=second");
        Assert.Equal(200, status2);
        var log = (await sim.GetJsonAsync($"sim/speaker/log?since={first!["id"]!.GetValue<long>() - 1}"))!.AsArray();
        var a = log.Single(e => e!["text"]?.GetValue<string>() == "first")!;
        var firstEnded = DateTimeOffset.Parse(a["ended_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        var secondStarted = DateTimeOffset.Parse(second!["started_at"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        Assert.True(secondStarted >= firstEnded, "the second sound started before the first ended");

        var (_, longOne) = await PostWavAsync(Wav.Create(5), "?wait=false&text=long");
        var longId = longOne!["id"]!.GetValue<long>();
        await Poll.UntilAsync(async () => (await sim.GetJsonAsync($"sim/speaker/log?since={longId - 1}"))!.AsArray().Count > 0, "the long sound to start");
        var (stopStatus, stopped, _) = await sim.PostJsonAsync("sim/speaker/stop", null);
        Assert.Equal(200, stopStatus);
        Assert.Equal(longId, stopped!["stopped"]!.GetValue<long>());
        var entry = await Poll.ForAsync(async () => (await sim.GetJsonAsync($"sim/speaker/log?since={longId - 1}"))!.AsArray()[0]!,
            e => e["ended_at"] is not null, "the long sound to end");
        Assert.True(entry["interrupted"]!.GetValue<bool>());
        (stopStatus, stopped, _) = await sim.PostJsonAsync("sim/speaker/stop", null);
        Assert.Null(stopped!["stopped"]);
    }

    [Fact]
    public async Task PlaySound_LogsTheFile_AndReadsOnlyTheSoundFolders()
    {
        // The daemon's upload folder is one of its sound folders: an absolute path there plays.
        Directory.CreateDirectory("/tmp/reachy_mini_sounds");
        var name = $"chime-{Guid.NewGuid():N}.wav";
        var path = Path.Combine("/tmp/reachy_mini_sounds", name);
        await File.WriteAllBytesAsync(path, Wav.Create(0.25, 44100, 2), TestContext.Current.CancellationToken);
        try
        {
            var (status, body, _) = await sim.PostJsonAsync("api/media/play_sound", $$"""{"file":"{{path}}"}""");
            Assert.Equal(200, status);
            Assert.Equal("ok", body!["status"]!.GetValue<string>());
            var entry = await Poll.ForAsync(async () => (await sim.GetJsonAsync("sim/speaker/log"))!.AsArray().LastOrDefault(e => e!["file"]?.GetValue<string>() == name),
                e => e is not null, name + " in the speaker log");
            Assert.Equal("file", entry!["source"]!.GetValue<string>());
            Assert.Null(entry["text"]);
            Assert.Equal(0.25, entry["duration_s"]!.GetValue<double>(), 0.01);
        }
        finally
        {
            File.Delete(path);
        }
        // A WAV anywhere else on the machine is never read: answered "ok" as the daemon does, logged as silence.
        var outside = Path.Combine(TestPaths.NewTempDirectory("snd"), "outside.wav");
        await File.WriteAllBytesAsync(outside, Wav.Create(0.25, 44100, 2), TestContext.Current.CancellationToken);
        var (outsideStatus, _, _) = await sim.PostJsonAsync("api/media/play_sound", $$"""{"file":"{{outside}}"}""");
        Assert.Equal(200, outsideStatus);
        var silent = await Poll.ForAsync(async () => (await sim.GetJsonAsync("sim/speaker/log"))!.AsArray().LastOrDefault(e => e!["file"]?.GetValue<string>() == "outside.wav"),
            e => e is not null, "outside.wav in the speaker log");
        Assert.Equal(0, silent!["duration_s"]!.GetValue<double>());
        // A missing file is still "ok", as on the daemon.
        var (missing, _, _) = await sim.PostJsonAsync("api/media/play_sound", """{"file":"does_not_exist.wav"}""");
        Assert.Equal(200, missing);
    }

    [Fact]
    public async Task BadAudio_IsRefusedClearly()
    {
        var (status, body) = await PostWavAsync("this is not a wav file"u8.ToArray(), "");
        Assert.Equal(400, status);
        Assert.Contains("RIFF", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, body) = await PostWavAsync(Wav.Create(0.1, 16000, 3), "");
        Assert.Equal(400, status);
        Assert.Contains("channel", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        (status, body) = await PostWavAsync(Wav.Create(0.1, 16000, 1, 16, 2), "");
        Assert.Equal(400, status);
        (status, _) = await PostWavAsync(Wav.Create(0.1), "", "text/plain");
        Assert.Equal(415, status);
        (status, _) = await PostWavAsync([], "");
        Assert.Equal(400, status);
        var truncated = Wav.Create(0.1)[..30];
        (status, _) = await PostWavAsync(truncated, "");
        Assert.Equal(400, status);
        (status, _) = await PostWavAsync(Wav.Create(0.1), "?wait=maybe");
        Assert.Equal(422, status);
        using (var huge = new ByteArrayContent(new byte[(50 * 1024 * 1024) + 10]))
        {
            huge.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            using var response = await sim.Http.PostAsync(new Uri("sim/speaker", UriKind.Relative), huge, TestContext.Current.CancellationToken);
            Assert.Equal(413, (int)response.StatusCode);
        }
        using (var badSince = await sim.Http.GetAsync(new Uri("sim/speaker/log?since=abc", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(422, (int)badSince.StatusCode);
        }
        await sim.AssertAliveAsync();
    }
}

using System.Globalization;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>Turn traces follow the database's retention; the listening indicator's kernel side.</summary>
public sealed class TurnRetentionAndListeningTests
{
    private static string Span(string traceId, string spanId, DateTimeOffset start) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"trace_id":"{{traceId}}","span_id":"{{spanId}}","name":"voice.turn","process":"test","start_ms":{{start.ToUnixTimeMilliseconds()}},"duration_ms":5}""");

    [Fact]
    public async Task Retention_removes_turn_traces_older_than_keep_days_and_keeps_recent_ones()
    {
        var dataDir = TestPaths.NewTempDirectory("turnret");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        var oldTrace = new string('a', 32);
        var newTrace = new string('b', 32);
        await using (var first = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0"))
        {
            var now = DateTimeOffset.UtcNow;
            var (status, _) = await first.PostJsonAsync("/api/turns/spans", $$"""{"spans":[{{Span(oldTrace, "1111111111111111", now.AddDays(-60))}},{{Span(oldTrace, "2222222222222222", now.AddDays(-60).AddSeconds(1))}},{{Span(newTrace, "3333333333333333", now)}}]}""");
            Assert.Equal(200, status);
            Assert.Equal(2, (await first.GetJsonAsync("/api/turns")).GetProperty("turns").GetArrayLength());
        }

        await using var kernel = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0", "--keep-days", "30");
        Assert.Contains(kernel.Process.Lines, l => l.Contains(" 2 turn spans, ", StringComparison.Ordinal));
        var turns = (await kernel.GetJsonAsync("/api/turns")).GetProperty("turns").EnumerateArray().Select(t => t.GetProperty("trace_id").GetString()).ToList();
        Assert.Equal([newTrace], turns);
    }

    [Fact]
    public async Task The_listening_state_is_kept_served_and_bad_reports_are_refused_with_the_field_named()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        await using var kernel = await KernelHarness.StartAsync(llm, TestPaths.NewTempDirectory("listen"), KernelHarness.NewConfigDir(), "--pool-size", "0");
        Assert.False((await kernel.GetJsonAsync("/api/listening")).GetProperty("listening").GetBoolean());

        var (status, _) = await kernel.PostJsonAsync("/api/listening", """{"listening": true, "reason": "follow_up", "until": "2030-01-01T00:00:05Z"}""");
        Assert.Equal(200, status);
        var state = await kernel.GetJsonAsync("/api/listening");
        Assert.True(state.GetProperty("listening").GetBoolean());
        Assert.Equal("follow_up", state.GetProperty("reason").GetString());

        (status, var body) = await kernel.PostJsonAsync("/api/listening", """{"listening": "yes"}""");
        Assert.Equal(400, status);
        Assert.Contains("\"listening\"", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        (status, body) = await kernel.PostJsonAsync("/api/listening", """{"listening": true, "reason": "bored"}""");
        Assert.Equal(400, status);
        Assert.Contains("\"reason\"", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.True((await kernel.GetJsonAsync("/api/listening")).GetProperty("listening").GetBoolean(), "a refused report changes nothing");

        (status, _) = await kernel.PostJsonAsync("/api/listening", """{"listening": false, "reason": null, "until": null}""");
        Assert.Equal(200, status);
        Assert.False((await kernel.GetJsonAsync("/api/listening")).GetProperty("listening").GetBoolean());
    }
}

using System.Text.Json;
using RosaOS.Testing;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// A spoken request through the simulated microphone to the first word of the reply on the simulated speaker, with real
/// rosa sim, rosa reachy, rosa kernel and its workers; only the LLM and Whisper are scripted.
/// </summary>
public sealed class VoiceTurnTests
{
    private static readonly string[] s_steps =
    [
        "voice.turn", "speech.transcribe", "speech.acknowledge", "speech.post", "kernel.turn", "llm.request", "tool.call", "worker.task",
        "speak.queued", "tts.first_chunk", "audio.first_sample",
    ];

    [Fact]
    public async Task A_spoken_request_is_acknowledged_before_any_LLM_request_and_its_whole_breakdown_is_in_the_kernel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var stack = await VoiceStack.StartAsync(TimeSpan.Zero);
        var moveLogBefore = (await stack.GetJsonAsync(stack.SimUrl, "sim/moves")).GetArrayLength();

        await stack.SayAsync("hello, what time is it");

        // The turn's trace reaches the first audio sample, with a step from every process on the way (the worker's task
        // span arrives when the task has ended).
        var turn = await Poll.ForAsync(async () => (await stack.TurnsAsync()).FirstOrDefault(t =>
            {
                var seen = t.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToHashSet();
                return s_steps.All(seen.Contains);
            }),
            t => t.ValueKind == JsonValueKind.Object, "a turn with every step up to its first audio sample", TestTimeouts.Effect * 2);
        var spans = turn.GetProperty("spans").EnumerateArray().ToList();
        var names = spans.Select(s => s.GetProperty("name").GetString()).ToHashSet();
        Assert.All(s_steps, step => Assert.Contains(step, names));
        var processes = spans.Select(s => s.GetProperty("process").GetString()).ToHashSet();
        Assert.Equal(["kernel", "reachy", "worker"], processes.Order());
        Assert.True(turn.GetProperty("event_id").GetInt64() > 0);
        var total = turn.GetProperty("first_audio_ms").GetDouble();
        Assert.InRange(total, 1, 60_000);
        // The kernel's and the worker's LLM requests: two in series before the first word.
        Assert.Equal(2, turn.GetProperty("serial_llm_calls").GetInt32());

        // The acknowledgement gesture started before the first LLM request, and the simulated robot made it.
        var ack = spans.Single(s => s.GetProperty("name").GetString() == "speech.acknowledge");
        Assert.Equal("true", ack.GetProperty("attributes").GetProperty("started").GetString());
        var firstLlm = spans.Where(s => s.GetProperty("name").GetString() == "llm.request").Min(Offset);
        Assert.True(Offset(ack) + ack.GetProperty("duration_ms").GetDouble() < firstLlm, "the acknowledgement came after the first LLM request");
        TestContext.Current.SendDiagnosticMessage($"acknowledged after {Offset(ack) + ack.GetProperty("duration_ms").GetDouble():0} ms; first audio after {total:0} ms");
        var moves = (await stack.GetJsonAsync(stack.SimUrl, "sim/moves")).EnumerateArray().Skip(moveLogBefore).ToList();
        var gesture = Assert.Single(moves, m => m.GetProperty("kind").GetString() == "goto" && Math.Abs(m.GetProperty("duration_s").GetDouble() - 0.3) < 1e-6);
        Assert.True(gesture.GetProperty("started_at").GetDateTimeOffset() < stack.Llm.ChatRequests[0].At,
            "the simulated robot started the gesture after the first LLM request arrived");

        // The same breakdown by its trace id.
        var again = await stack.GetJsonAsync(stack.KernelUrl, "api/turns/" + turn.GetProperty("trace_id").GetString());
        Assert.Equal(spans.Count, again.GetProperty("spans").GetArrayLength());
        ct.ThrowIfCancellationRequested();
    }

    private static double Offset(JsonElement span) => span.GetProperty("offset_ms").GetDouble();
}

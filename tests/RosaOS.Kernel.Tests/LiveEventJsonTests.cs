using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The exact JSON of live events as /api/events sends them: the browser UI (src/RosaOS.Ui/wwwroot/*.js) and the original's
/// clients read these names, nulls and escapes, so a renamed, reordered or dropped field, or another encoder, fails here.
/// Values that differ per run (ids, times, the LLM status) are read back and put in their place, escaped as the kernel does.
/// </summary>
public sealed class LiveEventJsonTests
{
    [Fact]
    public async Task Live_events_carry_the_exact_json_the_browser_and_the_original_clients_read()
    {
        await using var kernel = await InMemoryKernel.StartAsync();
        using var sse = new SseReader(kernel.Http, new Uri("/api/events", UriKind.Relative));

        var status = await sse.FirstAsync("provider_status");
        var s = Node(status);
        Assert.Equal($$"""{"provider":{{Str(s["provider"])}},"model":{{Str(s["model"])}},"status":{{Str(s["status"])}},"available":false}""", status);

        // Speech: the user's words (non-ASCII and '<' escaped as the default encoder does), then the turn's answer pushed to /updates.
        await kernel.PostJsonAsync("/stt", """{"text":"öffne die Tür <bitte>"}""");
        var heard = await sse.FirstAsync("user_message", "speech");
        var id = Node(heard)["event_id"]!.GetValue<long>();
        Assert.Equal($$"""{"source":"speech","text":"\u00F6ffne die T\u00FCr \u003Cbitte\u003E","event_id":{{id}},"key":"e{{id}}:in"}""", heard);
        var answer = await sse.FirstAsync("kernel_output", $"\"key\":\"e{id}:out\"");
        var a = Node(answer);
        Assert.Equal($$"""{"role":"model","content":{{Str(a["content"])}},"worker_id":null,"done":null,"at":{{Str(a["at"])}},"event_id":{{id}},"key":"e{{id}}:out"}""", answer);

        // A chat whose sender waits: its answer goes live without /updates' fields.
        await kernel.PostJsonAsync("/chat", """{"prompt":"hello?"}""");
        var asked = await sse.FirstAsync("user_message", "hello?");
        var chatId = Node(asked)["event_id"]!.GetValue<long>();
        Assert.Equal($$"""{"source":"chat","text":"hello?","event_id":{{chatId}},"key":"e{{chatId}}:in"}""", asked);
        var told = await sse.FirstAsync("kernel_output", $"\"key\":\"e{chatId}:out\"");
        Assert.Equal($$"""{"role":"model","content":{{Str(Node(told)["content"])}},"event_id":{{chatId}},"key":"e{{chatId}}:out"}""", told);

        // A worker's callback: the answer names the worker and whether it was done.
        await kernel.PostJsonAsync("/event", """{"worker_id":"w-9","message":"Task was successful.","done":true}""");
        var callback = await sse.FirstAsync("kernel_output", "\"worker_id\":\"w-9\"");
        var c = Node(callback);
        var callbackId = c["event_id"]!.GetValue<long>();
        Assert.Equal($$"""{"role":"model","content":{{Str(c["content"])}},"worker_id":"w-9","done":true,"at":{{Str(c["at"])}},"event_id":{{callbackId}},"key":"e{{callbackId}}:out"}""",
            callback);

        var listening = await kernel.PostJsonAsync("/api/listening", """{"listening":true,"reason":"wake_word","until":"2026-12-08T10:00:00+00:00"}""");
        Assert.Equal(200, listening.Status);
        var ear = await sse.FirstAsync("listening");
        Assert.Equal($$"""{"listening":true,"reason":"wake_word","until":"2026-12-08T10:00:00+00:00","changed_at":{{Time(Node(ear)["changed_at"])}}}""", ear);

        // A person takes the robot, then gives it back: the free lease keeps its nulls (leases.js tests holder == null).
        Assert.Equal(200, (await kernel.PostJsonAsync("/api/leases/reachy-mini/take", "{}")).Status);
        var taken = await sse.FirstAsync("lease", "\"holder\":\"person\"");
        Assert.Equal($$"""{"robot":"reachy-mini","holder":"person","kind":"person","note":"manual control","since":{{Time(Node(taken)["since"])}}}""", taken);
        Assert.Equal(200, (await kernel.PostJsonAsync("/api/leases/reachy-mini/return", "{}")).Status);
        Assert.Equal("""{"robot":"reachy-mini","holder":null,"kind":null,"note":null,"since":null}""", await sse.FirstAsync("lease", "\"holder\":null"));

        // A timer the model scheduled (its tool calls this), then cancelled from the UI.
        var timer = kernel.Services.GetRequiredService<TimerService>().Schedule("water the plants", 3600, null, null, "kernel");
        var scheduled = await sse.FirstAsync("timers", "\"action\":\"scheduled\"");
        var t = Node(scheduled)["timer"]!;
        Assert.Equal($$$"""{"action":"scheduled","timer":{"timer_id":"{{{timer.Id}}}","text":"water the plants","owner":"kernel","due_at":{{{Str(t["due_at"])}}},"repeat_seconds":null,"status":"active","created_at":{{{Str(t["created_at"])}}},"fired":0,"last_fired_at":null,"end_reason":null}}""",
            scheduled);
        Assert.Equal(200, (await kernel.PostJsonAsync($"/api/timers/{timer.Id}/cancel", """{"by":"ui"}""")).Status);
        var cancelled = await sse.FirstAsync("timers", "\"action\":\"cancelled\"");
        t = Node(cancelled)["timer"]!;
        Assert.Equal($$$"""{"action":"cancelled","timer":{"timer_id":"{{{timer.Id}}}","text":"water the plants","owner":"kernel","due_at":{{{Str(t["due_at"])}}},"repeat_seconds":null,"status":"cancelled","created_at":{{{Str(t["created_at"])}}},"fired":0,"last_fired_at":null,"end_reason":{{{Str(t["end_reason"])}}}}}""",
            cancelled);

        // A worker's finished tool call as it reported it (arguments stay a JSON string).
        Assert.Equal(200, (await kernel.PostJsonAsync("/api/worker-tool-calls",
            """{"worker_id":"w-1","server":"reachy-mini","tool":"speak","arguments":"{\"text\":\"hi\"}","result":"said it","is_error":false,"duration_ms":3.5,"call_id":"c1","phase":"done"}""")).Status);
        Assert.Equal("""{"worker_id":"w-1","server":"reachy-mini","tool":"speak","arguments":"{\u0022text\u0022:\u0022hi\u0022}","result":"said it","is_error":false,"duration_ms":3.5,"call_id":"c1","phase":"done"}""",
            await sse.FirstAsync("tool_call", "\"call_id\":\"c1\""));

        Assert.Equal(200, (await kernel.PostJsonAsync("/api/robot-events", """{"robot":"reachy-mini","watch_id":"w1","message":"the door opened"}""")).Status);
        var robot = await sse.FirstAsync("robot_event");
        Assert.Equal($$"""{"event_id":{{Node(robot)["event_id"]!.GetValue<long>()}},"robot":"reachy-mini","watch_id":"w1","message":"the door opened"}""", robot);
    }

    private static JsonNode Node(string json) => JsonNode.Parse(json)!;

    /// <summary>A DateTimeOffset as the serializer writes it (its own format, never escaped: "+00:00" stays).</summary>
    private static string Time(JsonNode? value) => $"\"{value!.GetValue<string>()}\"";

    /// <summary>A string value as the kernel writes it (the default encoder: non-ASCII and HTML-sensitive characters such as + escaped), or null.</summary>
    private static string Str(JsonNode? value) => value is null ? "null" : $"\"{JsonEncodedText.Encode(value.GetValue<string>()).Value}\"";
}

// Voice turns end to end: "hello, what time is it" into rosa sim's virtual microphone → rosa reachy's speech loop →
// the kernel (scripted LLM after a fixed delay) → a pooled worker → speak → espeak-ng → the virtual speaker. Figures are
// read from the kernel's turn traces (GET /api/turns): total to the first audio sample, rosaOS's own share (total minus
// LLM and synthesis time), the acknowledgement, and the LLM calls in series before the first word.
using System.Globalization;
using System.Text.Json;
using RosaOS.Testing;

var turns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
var delayMs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
var kernelArgs = args.Skip(2).Where(a => a == "--reply-tool").ToArray();
var reachyArgs = args.Skip(2).Where(a => a != "--reply-tool").ToArray();

Console.WriteLine($"machine: {Environment.ProcessorCount} vCPU, .NET {Environment.Version}, load {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"turns: {turns}, scripted LLM delay {delayMs} ms, rosa kernel {string.Join(' ', kernelArgs)}, rosa reachy {string.Join(' ', reachyArgs)}");
await using var stack = await VoiceStack.StartAsync(TimeSpan.FromMilliseconds(delayMs), kernelArgs, reachyArgs);

var results = new List<JsonElement>();
var seen = new HashSet<string>(StringComparer.Ordinal);
for (var i = 0; i < turns + 1; i++)
{
    var before = (await stack.TurnsAsync(200)).Select(t => t.GetProperty("trace_id").GetString()!).ToHashSet(StringComparer.Ordinal);
    await stack.SayAsync("hello, what time is it");
    var turn = await Poll.ForAsync(async () => (await stack.TurnsAsync(200)).FirstOrDefault(t => !before.Contains(t.GetProperty("trace_id").GetString()!)
            && t.GetProperty("first_audio_ms").ValueKind == JsonValueKind.Number),
        t => t.ValueKind == JsonValueKind.Object, $"turn {i} to be spoken", TimeSpan.FromSeconds(120));
    // Let the reply finish (the microphone hears the speaker too in a real room; here it keeps turns apart).
    await Task.Delay(TimeSpan.FromSeconds(3));
    turn = await stack.GetJsonAsync(stack.KernelUrl, "api/turns/" + turn.GetProperty("trace_id").GetString());
    if (i > 0)
    {
        results.Add(turn); // the first turn is a warm-up (JIT, first MCP connection)
    }
}

double Sum(JsonElement turn, string name, double? until = null) => turn.GetProperty("spans").EnumerateArray()
    .Where(s => s.GetProperty("name").GetString() == name && (until is null || s.GetProperty("offset_ms").GetDouble() < until))
    .Sum(s => s.GetProperty("duration_ms").GetDouble());

double Step(JsonElement turn, string name, bool end = false) => turn.GetProperty("spans").EnumerateArray()
    .Where(s => s.GetProperty("name").GetString() == name)
    .Select(s => s.GetProperty("offset_ms").GetDouble() + (end ? s.GetProperty("duration_ms").GetDouble() : 0)).DefaultIfEmpty(double.NaN).Min();

var total = results.Select(t => t.GetProperty("first_audio_ms").GetDouble()).ToList();
// LLM time on the path: the serial LLM requests (each waits the scripted delay); synthesis: the first chunk's.
var own = results.Select(t =>
{
    var first = t.GetProperty("first_audio_ms").GetDouble();
    var serial = t.GetProperty("serial_llm_calls").GetInt32();
    var llm = t.GetProperty("spans").EnumerateArray().Where(s => s.GetProperty("name").GetString() == "llm.request")
        .Select(s => s.GetProperty("duration_ms").GetDouble()).Order().Take(serial).Sum();
    return first - llm - Sum(t, "tts.first_chunk");
}).ToList();
Report("end of utterance → first audio sample (total)", total);
Report("rosaOS's own share (total − serial LLM − first-chunk synthesis)", own);
Report("end of utterance → acknowledgement gesture started", results.Select(t => Step(t, "speech.acknowledge", end: true)).ToList());
Report("transcription (scripted Whisper)", results.Select(t => Sum(t, "speech.transcribe")).ToList());
Report("POST /stt → kernel turn starts", results.Select(t => Step(t, "kernel.turn") - Step(t, "speech.post")).ToList());
Report("launch (kernel tool call) → worker task starts", results.Select(t => Step(t, "worker.task") - Step(t, "tool.call")).ToList());
Report("worker task starts → speak queued", results.Select(t => Step(t, "speak.queued") - Step(t, "worker.task")).ToList());
Report("first chunk synthesis (espeak-ng)", results.Select(t => Sum(t, "tts.first_chunk")).ToList());
Console.WriteLine($"LLM calls in series before the first word: {string.Join(", ", results.Select(t => t.GetProperty("serial_llm_calls").GetInt32()).Distinct())}");
Console.WriteLine($"silence the segmenter waits before an utterance ends (not included above): {results[0].GetProperty("spans")[0].GetProperty("attributes").GetProperty("silence_wait_ms").GetString()} ms");
Console.WriteLine($"load at the end: {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

static void Report(string what, List<double> values)
{
    var sorted = values.Where(double.IsFinite).Order().ToList();
    if (sorted.Count == 0)
    {
        Console.WriteLine($"{what}: no data");
        return;
    }
    double P(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: p50 {P(0.5):0} ms, p99 {P(0.99):0} ms, n={sorted.Count}"));
}

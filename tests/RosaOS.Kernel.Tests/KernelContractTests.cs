using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// The kernel's contract records through the one source-generated context: each round-trips, and its JSON carries the
/// names the browser UI (src/RosaOS.Ui/wwwroot/*.js), the original's clients and `rosa` read. A renamed property fails here.
/// </summary>
public sealed class KernelContractTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 7, 18, 0, 0, TimeSpan.Zero);

    /// <summary>A sample of every record, and the JSON paths it must have (arrays as []), in order.</summary>
    private static readonly Dictionary<Type, (object Sample, string[] Paths)> s_expected = new()
    {
        [typeof(KernelAck)] = (new KernelAck(), ["ok"]),
        // app.js, leases.js, schedule.js, approvals.js … read body.error; rosa estop reads "error" of a refusal.
        [typeof(KernelError)] = (KernelError.Of("\"text\" is missing"), ["ok", "error"]),
        [typeof(EventRequest)] = (new EventRequest("w-1", "Task was successful.", true), ["worker_id", "message", "done"]),
        [typeof(SttRequest)] = (new SttRequest("open the door"), ["text"]),
        [typeof(ChatRequest)] = (new ChatRequest("hello"), ["prompt"]),
        // app.js shows .output (and .error of a refusal).
        [typeof(ChatAnswer)] = (new ChatAnswer("Error: x", "x"), ["output", "error"]),
        // rosa chat and the original's chat client read messages[].content and messages[].worker_id.
        [typeof(UpdatesAnswer)] = (new UpdatesAnswer([new UpdateMessage("assistant", "hi", "w-1", true, "2026-12-07T18:00:00.0000000+00:00")]),
            ["messages", "messages[]", "messages[].role", "messages[].content", "messages[].worker_id", "messages[].done", "messages[].at"]),
        // app.js: data.running, p.worker_id, p.system_prompt, p.started_at.
        [typeof(ProcessesAnswer)] = (new ProcessesAnswer([Row()], [Row()], [42]),
            ["running", "running[]", .. RowPaths("running[]"), "all", "all[]", .. RowPaths("all[]"), "pool_pids", "pool_pids[]"]),
        [typeof(TerminateRequest)] = (new TerminateRequest(true), ["force"]),
        [typeof(TerminateAnswer)] = (new TerminateAnswer(true, "terminated"), ["ok", "result"]),
        [typeof(EstopRequest)] = (new EstopRequest("cli", "test"), ["source", "reason"]),
        [typeof(EstopReleaseRequest)] = (new EstopReleaseRequest("ui", true, "safe"), ["by", "confirm", "note"]),
        [typeof(ApprovalDecisionBody)] = (new ApprovalDecisionBody("cli", "ok", "abc"), ["by", "note", "digest"]),
        // leases.js: l.holder, l.since.
        [typeof(LeasesAnswer)] = (new LeasesAnswer([new LeaseRow("reachy-mini", "w-1", "worker", "wave", s_at)]),
            ["leases", "leases[]", "leases[].robot", "leases[].holder", "leases[].kind", "leases[].note", "leases[].since"]),
        [typeof(LeaseChangeAnswer)] = (new LeaseChangeAnswer(true, "reachy-mini", "person", "person", "w-1"), ["ok", "robot", "holder", "kind", "previous"]),
        [typeof(ToolCallAnswer)] = (new ToolCallAnswer(false, "bad"), ["ok", "result"]),
        [typeof(JournalAnswer)] = (new JournalAnswer([new JournalEntry(1, "stt", "[User said] hi", "done", "2026-12-07T18:00:00Z", "2026-12-07T18:00:01Z", "ok")]),
            ["events", "events[]", "events[].id", "events[].kind", "events[].text", "events[].status", "events[].accepted_at", "events[].done_at", "events[].output"]),
        // conversation.js: body.cleared_messages.
        [typeof(ResetAnswer)] = (new ResetAnswer(true, 3), ["ok", "cleared_messages"]),
        [typeof(SpansAnswer)] = (new SpansAnswer(true, 2), ["ok", "stored"]),
        [typeof(RobotEventRequest)] = (new RobotEventRequest("ros", "w1", "the door opened"), ["robot", "watch_id", "message"]),
        [typeof(RobotEventAnswer)] = (new RobotEventAnswer(true, false), ["ok", "duplicate"]),
        [typeof(ListeningRequest)] = (new ListeningRequest(true, "wake_word", s_at), ["listening", "reason", "until"]),
        // app.js: state.listening, state.reason.
        [typeof(ListeningState)] = (new ListeningState(true, "follow_up", s_at, s_at), ["listening", "reason", "until", "changed_at"]),
        [typeof(ToolCallReport)] = (new ToolCallReport("w-1", "reachy-mini", "speak", "{}", "said it", false, 3.5, "1", "done"),
            ["worker_id", "server", "tool", "arguments", "result", "is_error", "duration_ms", "call_id", "phase"]),
    };

    [Fact]
    public void Every_contract_record_round_trips_through_the_one_context_with_the_names_its_clients_read()
    {
        var declared = typeof(KernelJson).GetCustomAttributesData()
            .Where(a => a.AttributeType == typeof(JsonSerializableAttribute))
            .Select(a => (Type)a.ConstructorArguments[0].Value!)
            .Where(t => t != typeof(JsonObject))
            .ToList();
        // A record added to the context without a sample here is a contract nobody checks.
        Assert.Equal(declared.OrderBy(t => t.Name), s_expected.Keys.OrderBy(t => t.Name));
        foreach (var type in declared)
        {
            var (sample, paths) = s_expected[type];
            var info = KernelJson.Default.GetTypeInfo(type)!;
            var json = JsonSerializer.Serialize(sample, info);
            Assert.Equal(paths, Paths(JsonNode.Parse(json)!, ""));
            var back = JsonSerializer.Deserialize(json, info);
            Assert.Equal(json, JsonSerializer.Serialize(back, info));
        }
    }

    [Fact]
    public void Optional_fields_are_left_out_only_where_the_original_left_them_out()
    {
        // A successful chat has no "error" (the UI shows an error when the member is present) …
        Assert.Equal("""{"output":"hi"}""", JsonSerializer.Serialize(new ChatAnswer("hi"), KernelJson.Default.ChatAnswer));
        // … while a free lease keeps its null holder (leases.js tests l.holder == null).
        Assert.Equal("""{"robot":"r","holder":null,"kind":null,"note":null,"since":null}""",
            JsonSerializer.Serialize(new LeaseRow("r", null, null, null, null), KernelJson.Default.LeaseRow));
        // The original's clients post {"worker_id", "message", "done"} and {"text"}: the kernel reads these names.
        var callback = JsonSerializer.Deserialize("""{"worker_id":"w-9","message":"m","done":true}""", KernelJson.Default.EventRequest)!;
        Assert.Equal(new EventRequest("w-9", "m", true), callback);
    }

    private static ProcessRow Row() => new("w-1", "wave", ["reachy-mini"], "pool", 1234, "running", "2026-12-07T18:00:00.0000000+00:00", null, null);

    private static string[] RowPaths(string prefix) =>
        [.. new[] { "worker_id", "system_prompt", "robots", "robots[]", "kind", "pid", "state", "started_at", "ended_at", "outcome" }
            .Select(n => n == "robots[]" ? $"{prefix}.robots[]" : $"{prefix}.{n}")];

    private static List<string> Paths(JsonNode node, string path)
    {
        var paths = new List<string>();
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    var child = path.Length == 0 ? name : $"{path}.{name}";
                    paths.Add(child);
                    if (value is not null)
                    {
                        paths.AddRange(Paths(value, child));
                    }
                }
                break;
            case JsonArray a when a.Count > 0 && a[0] is { } first:
                paths.Add(path + "[]");
                paths.AddRange(Paths(first, path + "[]"));
                break;
        }
        return paths;
    }
}

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
        // A refusal is an RFC 9457 problem document; app.js, leases.js, schedule.js, approvals.js … read body.error, and rosa
        // estop reads "error" of a refusal, so the original's members stay.
        [typeof(KernelError)] = (KernelError.Problem("\"text\" is missing", 400, "Bad Request"), ["type", "title", "status", "detail", "ok", "error"]),
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
        // GET /api/audit is a bare array (the original's audit view and rosa read it so).
        [typeof(IReadOnlyList<AuditRow>)] = (new AuditRow[] { new AuditRow("2026-12-07T18:00:00Z", "w-1", "reachy-mini", "speak", "{}", "said it", false, 3.5, "done") },
            ["[]", "[].at", "[].worker_id", "[].server", "[].tool", "[].arguments", "[].outcome", "[].is_error", "[].duration_ms", "[].status"]),
        // app.js: d.name, d.enabled, d.reachable, d.problem, d.tools[].name / description / input_schema.
        [typeof(DriversAnswer)] = (new DriversAnswer([new DriverRow("reachy-mini", "http://127.0.0.1:8001/mcp", "a robot", true, true, null,
                [new DriverTool("speak", "Says a text", JsonDocument.Parse("""{"type":"object"}""").RootElement.Clone())])]),
            ["drivers", "drivers[]", "drivers[].name", "drivers[].url", "drivers[].description", "drivers[].enabled", "drivers[].reachable", "drivers[].problem",
                "drivers[].tools", "drivers[].tools[]", "drivers[].tools[].name", "drivers[].tools[].description", "drivers[].tools[].input_schema",
                "drivers[].tools[].input_schema.type"]),
        // schedule.js: timers[].timer_id, due_at, repeat_seconds, status …, max_active.
        [typeof(TimersAnswer)] = (new TimersAnswer([Timer()], 50), ["timers", "timers[]", .. TimerPaths("timers[]"), "max_active"]),
        [typeof(TimerCancelAnswer)] = (new TimerCancelAnswer(false, "timer \"t\" already ended (done); nothing to cancel", Timer()),
            ["ok", "error", "timer", .. TimerPaths("timer")]),
        // turns.js: turn.trace_id, first_audio_ms, spans[].offset_ms, duration_ms …
        [typeof(TurnsAnswer)] = (new TurnsAnswer([Turn()]), ["turns", "turns[]", .. TurnPaths("turns[].")]),
        [typeof(TurnRow)] = (Turn(), TurnPaths("")),
        // history.js: conversation[].key/role/text/at, processes[] with event_id and tool_calls[].
        [typeof(HistoryAnswer)] = (new HistoryAnswer([new HistoryLine("e1:in", "user", "hi", "2026-12-07T18:00:00Z", 1, "chat", null)],
                [new HistoryProcess("w-1", "wave", ["reachy-mini"], "pool", 1234, "done", "2026-12-07T18:00:00Z", "2026-12-07T18:00:05Z", "finished", 1,
                    [new HistoryToolCall("w-1:c1", "2026-12-07T18:00:01Z", "reachy-mini", "speak", "{}", "said it", false, 3.5, "done")])]),
            ["conversation", "conversation[]", "conversation[].key", "conversation[].role", "conversation[].text", "conversation[].at", "conversation[].event_id",
                "conversation[].source", "conversation[].worker_id", "processes", "processes[]", .. RowPaths("processes[]"), "processes[].event_id",
                "processes[].tool_calls", "processes[].tool_calls[]", "processes[].tool_calls[].key", "processes[].tool_calls[].at", "processes[].tool_calls[].server",
                "processes[].tool_calls[].tool", "processes[].tool_calls[].arguments", "processes[].tool_calls[].result", "processes[].tool_calls[].is_error",
                "processes[].tool_calls[].duration_ms", "processes[].tool_calls[].status"]),
        // watches.js: watches[] (the driver's own object), drivers[].driver/count/max/problem.
        [typeof(WatchesAnswer)] = (new WatchesAnswer([new JsonObject { ["id"] = "w1" }], [new WatchDriverRow("ros", 1, 8, null)]),
            ["watches", "watches[]", "watches[].id", "drivers", "drivers[]", "drivers[].driver", "drivers[].count", "drivers[].max", "drivers[].problem"]),
        [typeof(WatchCancelAnswer)] = (new WatchCancelAnswer(true, "ros", new JsonObject { ["id"] = "w1" }), ["ok", "driver", "watch", "watch.id"]),
        // The live events (app.js, history.js, leases.js, schedule.js … read them from /api/events; LiveEventJsonTests checks them on the wire).
        [typeof(LlmStatus)] = (new LlmStatus("groq", "llama-3.3-70b-versatile", "ok", true), ["provider", "model", "status", "available"]),
        [typeof(UserMessageEvent)] = (new UserMessageEvent("speech", "hi", 1, "e1:in"), ["source", "text", "event_id", "key"]),
        [typeof(KernelOutputEvent)] = (new KernelOutputEvent("model", "hi", "w-1", true, "2026-12-07T18:00:00.0000000+00:00", 1, "e1:out"),
            ["role", "content", "worker_id", "done", "at", "event_id", "key"]),
        [typeof(ChatOutputEvent)] = (new ChatOutputEvent("model", "hi", 1, "e1:out"), ["role", "content", "event_id", "key"]),
        [typeof(EventExpiredEvent)] = (new EventExpiredEvent(1, "e1:expired", "stt", "[User said] hi", "2026-12-07T18:00:00.0000000+00:00", "not run: it waited 2 min"),
            ["event_id", "key", "kind", "text", "accepted_at", "reason"]),
        [typeof(ToolCallEvent)] = (new ToolCallEvent("manual", "reachy-mini", "speak", "{}", "said it", false, 3.5),
            ["worker_id", "server", "tool", "arguments", "result", "is_error", "duration_ms"]),
        [typeof(KernelReplyEvent)] = (new KernelReplyEvent("kernel", "reachy-mini", "reply", """{"text":"hi"}""", "said it", false, 3.5, 1, "e1:s2"),
            ["worker_id", "server", "tool", "arguments", "result", "is_error", "duration_ms", "event_id", "key"]),
        [typeof(ReplyArguments)] = (new ReplyArguments("hi"), ["text"]),
        [typeof(LeaseRevokedEvent)] = (new LeaseRevokedEvent("reachy-mini", "w-1", "a person took control"), ["robot", "worker_id", "reason"]),
        [typeof(LeaseRow)] = (new LeaseRow("reachy-mini", "w-1", "worker", "wave", s_at), ["robot", "holder", "kind", "note", "since"]),
        [typeof(ProcessRow)] = (Row(), ["worker_id", "system_prompt", "robots", "robots[]", "kind", "pid", "state", "started_at", "ended_at", "outcome"]),
        [typeof(TimerEvent)] = (new TimerEvent("fired", 7, Timer()), ["action", "event_id", "timer", .. TimerPaths("timer")]),
        [typeof(WatchEvent)] = (new WatchEvent("cancelled", "ros", "w1", "ui"), ["action", "driver", "watch_id", "by"]),
        [typeof(RobotNoticeEvent)] = (new RobotNoticeEvent(1, "ros", "w1", "the door opened"), ["event_id", "robot", "watch_id", "message"]),
        // /health's own fields of the kernel (rosa status and the UI's status line read llm, events, workers, drivers, estop).
        [typeof(KernelHealth)] = (new KernelHealth(new LlmStatus("groq", null, "ok", true), new HealthEvents(1, 2, 0, 0), new HealthWorkers(1, [42]),
                [new HealthDriver("reachy-mini", true, false, "refused")], new HealthEstop(false, null), "http://127.0.0.1:8001/mcp"),
            ["llm", "llm.provider", "llm.model", "llm.status", "llm.available", "events", "events.pending", "events.done", "events.expired", "events.queued",
                "workers", "workers.running", "workers.pool_pids", "workers.pool_pids[]", "drivers", "drivers[]", "drivers[].name", "drivers[].enabled",
                "drivers[].reachable", "drivers[].problem", "estop", "estop.engaged", "estop.refusal", "process_server"]),
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
        // /stt's empty text (200, the original's answer) is no HTTP error, so no problem document: only ok and error.
        Assert.Equal("""{"ok":false,"error":"missing or empty text"}""", JsonSerializer.Serialize(KernelError.Of("missing or empty text"), KernelJson.Default.KernelError));
        // A timer that was never cancelled shows no "error" (schedule.js shows one when present).
        Assert.DoesNotContain("\"error\"", JsonSerializer.Serialize(new TimerCancelAnswer(true, null, Timer()), KernelJson.Default.TimerCancelAnswer), StringComparison.Ordinal);
        // … while a free lease keeps its null holder (leases.js tests l.holder == null).
        Assert.Equal("""{"robot":"r","holder":null,"kind":null,"note":null,"since":null}""",
            JsonSerializer.Serialize(new LeaseRow("r", null, null, null, null), KernelJson.Default.LeaseRow));
        // /updates' messages go live without event_id and key; only a turn's answer has them.
        Assert.Equal("""{"role":"model","content":"hi","worker_id":null,"done":null,"at":"t"}""",
            JsonSerializer.Serialize(new KernelOutputEvent("model", "hi", null, null, "t"), KernelJson.Default.KernelOutputEvent));
        // Only a fired timer has event_id; a cancel of an unknown timer keeps "timer": null.
        Assert.Equal("""{"action":"cancelled","timer":null}""", JsonSerializer.Serialize(new TimerEvent("cancelled", null, null), KernelJson.Default.TimerEvent));
        // The original's clients post {"worker_id", "message", "done"} and {"text"}: the kernel reads these names.
        var callback = JsonSerializer.Deserialize("""{"worker_id":"w-9","message":"m","done":true}""", KernelJson.Default.EventRequest)!;
        Assert.Equal(new EventRequest("w-9", "m", true), callback);
    }

    private static TimerView Timer() => new("timer-1", "water the plants", "kernel", "2026-12-07T18:00:00.0000000+00:00", 60, "active",
        "2026-12-07T17:00:00.0000000+00:00", 2, "2026-12-07T17:59:00.0000000+00:00", null);

    private static string[] TimerPaths(string prefix) =>
        [.. new[] { "timer_id", "text", "owner", "due_at", "repeat_seconds", "status", "created_at", "fired", "last_fired_at", "end_reason" }.Select(n => $"{prefix}.{n}")];

    private static TurnRow Turn() => new("0af7651916cd43dd8448eb211c80319c", 7, s_at, 812.5, 1,
        [new TurnSpanRow("stt", "speech", "b7ad6b7169203331", null, 0, 120.25, new Dictionary<string, string> { ["model"] = "whisper" })]);

    private static string[] TurnPaths(string prefix) =>
        [.. new[] { "trace_id", "event_id", "started_at", "first_audio_ms", "serial_llm_calls", "spans", "spans[]", "spans[].name", "spans[].process",
            "spans[].span_id", "spans[].parent_id", "spans[].offset_ms", "spans[].duration_ms", "spans[].attributes", "spans[].attributes.model" }.Select(n => prefix + n)];

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

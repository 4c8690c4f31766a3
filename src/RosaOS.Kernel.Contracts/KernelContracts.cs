using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace RosaOS.Kernel.Contracts;

// The kernel's HTTP requests and answers. Names on the wire are snake_case (the context's policy) and are what the
// original's clients, the browser UI (src/RosaOS.Ui/wwwroot) and the tests read: renaming a property changes the API.

/// <summary><c>{"ok": true}</c>: the answer of a POST that only accepts.</summary>
public sealed record KernelAck(bool Ok = true);

/// <summary>
/// Every refusal: an RFC 9457 problem document (<c>application/problem+json</c>: <c>type</c>, <c>title</c>, <c>status</c>,
/// <c>detail</c>) that also keeps the original's members <c>"ok": false</c> and <c>"error": "…"</c>, because the browser UI
/// and the original's clients read <c>error</c>. <c>detail</c> and <c>error</c> carry the same reason, which names the
/// argument, what it got and what it expects. /stt's empty-text answer (200, as the original's) is not a problem: it has
/// only <c>ok</c> and <c>error</c> (see <see cref="Of"/>).
/// </summary>
/// <param name="Type">"about:blank": the status says all (RFC 9457 §4.2.1).</param>
/// <param name="Title">The status's reason phrase ("Bad Request").</param>
/// <param name="Status">The HTTP status, repeated in the body.</param>
/// <param name="Detail">The reason, as <paramref name="Error"/>.</param>
/// <param name="Ok">Always false.</param>
/// <param name="Error">The reason the original's clients and the UI read.</param>
public sealed record KernelError(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Title,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail,
    bool Ok,
    string Error)
{
    /// <summary>The media type of a problem document (RFC 9457 §3).</summary>
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>The original's bare <c>{"ok": false, "error": "…"}</c>, for an answer that is not an HTTP error.</summary>
    public static KernelError Of(string error) => new(null, null, null, null, false, error);

    /// <summary>A refusal with <paramref name="status"/> (4xx/5xx) and its reason phrase <paramref name="title"/>.</summary>
    public static KernelError Problem(string error, int status, string title) => new("about:blank", title, status, error, false, error);
}

/// <summary>A worker's callback, <c>POST /event</c> (the original's).</summary>
public sealed record EventRequest(string WorkerId, string Message, bool Done);

/// <summary>What the speech loop heard, <c>POST /stt</c> (the original's).</summary>
public sealed record SttRequest(string Text);

/// <summary>A chat turn, <c>POST /chat</c> (the original's).</summary>
public sealed record ChatRequest(string Prompt);

/// <summary>The kernel's reply to <c>POST /chat</c>; a refusal carries <c>error</c> too (and <c>output</c> = "Error: …", the original's).</summary>
public sealed record ChatAnswer(string Output, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

/// <summary>One queued outgoing message of <c>GET /updates</c> (the original's shape).</summary>
public sealed record UpdateMessage(string Role, string Content, string? WorkerId, bool? Done, string At);

/// <summary><c>GET /updates</c>: the messages queued since the last call.</summary>
public sealed record UpdatesAnswer(IReadOnlyList<UpdateMessage> Messages);

/// <summary>One task as <c>GET /api/processes</c> and get_processes show it.</summary>
public sealed record ProcessRow(string WorkerId, string SystemPrompt, IReadOnlyList<string> Robots, string Kind, int? Pid, string State,
    string StartedAt, string? EndedAt, string? Outcome);

/// <summary><c>GET /api/processes</c>.</summary>
public sealed record ProcessesAnswer(IReadOnlyList<ProcessRow> Running, IReadOnlyList<ProcessRow> All, IReadOnlyList<int> PoolPids);

/// <summary><c>POST /api/processes/{id}/terminate</c>: optional body.</summary>
public sealed record TerminateRequest(bool Force);

/// <summary>The answer of a terminate (404 when no such task runs).</summary>
public sealed record TerminateAnswer(bool Ok, string Result);

/// <summary><c>POST /api/estop</c>: who pressed and why (both optional).</summary>
public sealed record EstopRequest(string? Source, string? Reason);

/// <summary><c>POST /api/estop/release</c>: a person (<c>ui</c> or <c>cli</c>) confirms it is safe.</summary>
public sealed record EstopReleaseRequest(string By, bool Confirm, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null);

/// <summary><c>POST /api/approvals/{driver}/{id}/approve|deny</c>.</summary>
public sealed record ApprovalDecisionBody(string By,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Digest = null);

/// <summary>One robot's mover in <c>GET /api/leases</c>.</summary>
public sealed record LeaseRow(string Robot, string? Holder, string? Kind, string? Note, DateTimeOffset? Since);

/// <summary><c>GET /api/leases</c>.</summary>
public sealed record LeasesAnswer(IReadOnlyList<LeaseRow> Leases);

/// <summary>A person took or returned control of a robot.</summary>
public sealed record LeaseChangeAnswer(bool Ok, string Robot, string? Holder, string? Kind, string? Previous);

/// <summary><c>POST /api/drivers/{name}/tools/{tool}</c>: a person's tool call; 422 with ok false when the tool reported an error.</summary>
public sealed record ToolCallAnswer(bool Ok, string Result);

/// <summary>One journaled event in <c>GET /api/journal</c>.</summary>
public sealed record JournalEntry(long Id, string Kind, string Text, string Status, string AcceptedAt, string? DoneAt, string? Output);

/// <summary><c>GET /api/journal</c>, newest first.</summary>
public sealed record JournalAnswer(IReadOnlyList<JournalEntry> Events);

/// <summary><c>POST /api/conversation/reset</c>.</summary>
public sealed record ResetAnswer(bool Ok, long ClearedMessages);

/// <summary><c>POST /api/turns/spans</c>.</summary>
public sealed record SpansAnswer(bool Ok, int Stored);

/// <summary><c>POST /api/robot-events</c>: a watch's condition held.</summary>
public sealed record RobotEventRequest(string Robot, string WatchId, string Message);

/// <summary>The answer of a robot event; <c>duplicate</c> when its idempotency key was seen.</summary>
public sealed record RobotEventAnswer(bool Ok, bool Duplicate);

/// <summary><c>POST /api/listening</c>: whether the robot takes speech as a request (reason wake_word or follow_up, until when).</summary>
public sealed record ListeningRequest(bool Listening, string? Reason, DateTimeOffset? Until);

/// <summary>What <c>GET /api/listening</c> and the <c>listening</c> event carry.</summary>
/// <param name="Listening">True while the robot takes speech as a request.</param>
/// <param name="Reason">wake_word (after the wake word) or follow_up (the window after it spoke), while listening.</param>
/// <param name="Until">When the follow-up window closes, if known.</param>
/// <param name="ChangedAt">When the kernel learned it (null before the first report).</param>
public sealed record ListeningState(bool Listening, string? Reason, DateTimeOffset? Until, DateTimeOffset? ChangedAt);

/// <summary>
/// A tool call a worker reports to the kernel, <c>POST /api/worker-tool-calls</c> (the kernel is the single writer of the
/// audit log). Beyond the original's fields: <c>call_id</c> names the call within its task, and <c>phase</c> is "started"
/// (sent before the call runs, so a call cut short by a crash is known to have an unknown outcome) or "done".
/// </summary>
public sealed record ToolCallReport(
    [property: JsonPropertyName("worker_id")] string WorkerId,
    [property: JsonPropertyName("server")] string Server,
    [property: JsonPropertyName("tool")] string Tool,
    [property: JsonPropertyName("arguments")] string Arguments,
    [property: JsonPropertyName("result")] string Result,
    [property: JsonPropertyName("is_error")] bool IsError,
    [property: JsonPropertyName("duration_ms")] double DurationMs,
    [property: JsonPropertyName("call_id")] string? CallId = null,
    [property: JsonPropertyName("phase")] string? Phase = null);

/// <summary>
/// One row of <c>GET /api/audit</c> (a JSON array, newest first): a tool call as the audit log keeps it; <c>status</c> is
/// started (the call's outcome is unknown: its worker ended during it) or done.
/// </summary>
public sealed record AuditRow(string At, string WorkerId, string Server, string Tool, string Arguments, string Outcome, bool IsError,
    double DurationMs, string Status);

/// <summary>One tool of a driver in <c>GET /api/drivers</c>, as its MCP server lists it.</summary>
public sealed record DriverTool(string Name, string? Description, JsonElement InputSchema);

/// <summary>One drivers.json entry in <c>GET /api/drivers</c>: whether it is switched on and answers, and its tools.</summary>
public sealed record DriverRow(string Name, string Url, string Description, bool Enabled, bool Reachable, string? Problem, IReadOnlyList<DriverTool> Tools);

/// <summary><c>GET /api/drivers</c>.</summary>
public sealed record DriversAnswer(IReadOnlyList<DriverRow> Drivers);

/// <summary>
/// A timer as <c>GET /api/timers</c>, the list_timers tool and the <c>timers</c> event show it. Names are fixed here rather than
/// by the context's policy because the event and the tool serialize it without the context.
/// </summary>
public sealed record TimerView(
    [property: JsonPropertyName("timer_id")] string TimerId,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("owner")] string Owner,
    [property: JsonPropertyName("due_at")] string? DueAt,
    [property: JsonPropertyName("repeat_seconds")] double? RepeatSeconds,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("created_at")] string CreatedAt,
    [property: JsonPropertyName("fired")] int Fired,
    [property: JsonPropertyName("last_fired_at")] string? LastFiredAt,
    [property: JsonPropertyName("end_reason")] string? EndReason);

/// <summary><c>GET /api/timers</c>: active first, then the latest ended.</summary>
public sealed record TimersAnswer(IReadOnlyList<TimerView> Timers, int MaxActive);

/// <summary>
/// <c>POST /api/timers/{id}/cancel</c>: <c>{"ok": true, "timer"}</c>, or with 409 <c>{"ok": false, "error", "timer"}</c> when the
/// timer had already ended (the timer is shown either way, so it is not a bare problem document).
/// </summary>
public sealed record TimerCancelAnswer(bool Ok, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error, TimerView Timer);

/// <summary>One step of a turn in <c>GET /api/turns</c>: offsets and durations in ms from the turn's start.</summary>
public sealed record TurnSpanRow(string Name, string Process, string SpanId, string? ParentId, double OffsetMs, double DurationMs,
    IReadOnlyDictionary<string, string>? Attributes);

/// <summary>One turn in <c>GET /api/turns</c> and <c>GET /api/turns/{trace_id}</c>: the total to first audio and each step.</summary>
public sealed record TurnRow(string TraceId, long? EventId, DateTimeOffset StartedAt, double? FirstAudioMs, int? SerialLlmCalls, IReadOnlyList<TurnSpanRow> Spans);

/// <summary><c>GET /api/turns</c>, newest first.</summary>
public sealed record TurnsAnswer(IReadOnlyList<TurnRow> Turns);

/// <summary>One line of the conversation in <c>GET /api/history</c>, with the key its live event carries.</summary>
public sealed record HistoryLine(string Key, string Role, string Text, string At, long? EventId, string? Source, string? WorkerId);

/// <summary>One audited tool call of a task in <c>GET /api/history</c>.</summary>
public sealed record HistoryToolCall(string Key, string At, string Server, string Tool, string Arguments, string Result, bool IsError, double DurationMs, string Status);

/// <summary>One task in <c>GET /api/history</c>: the fields of <see cref="ProcessRow"/>, the event that launched it, and its tool calls.</summary>
public sealed record HistoryProcess(string WorkerId, string SystemPrompt, IReadOnlyList<string> Robots, string Kind, int? Pid, string State,
    string StartedAt, string? EndedAt, string? Outcome, long? EventId, IReadOnlyList<HistoryToolCall> ToolCalls);

/// <summary><c>GET /api/history</c>: what a page draws before the live stream goes on.</summary>
public sealed record HistoryAnswer(IReadOnlyList<HistoryLine> Conversation, IReadOnlyList<HistoryProcess> Processes);

/// <summary>One driver's state in <c>GET /api/watches</c>.</summary>
public sealed record WatchDriverRow(string Driver, int Count, int? Max, string? Problem);

/// <summary><c>GET /api/watches</c>: every driver's watches (each as its driver reports it, with the common fields added).</summary>
public sealed record WatchesAnswer(IReadOnlyList<JsonObject> Watches, IReadOnlyList<WatchDriverRow> Drivers);

/// <summary><c>POST /api/watches/{driver}/{id}/cancel</c>.</summary>
public sealed record WatchCancelAnswer(bool Ok, string Driver, JsonObject? Watch);

/// <summary>The one source-generated JSON context of the kernel's contract (snake_case, as the original's API).</summary>
/// <summary>The kernel's own fields of <c>GET /health</c>, after the common ones of every service (RosaOS.Hosting.HealthAnswer).</summary>
public sealed record KernelHealth(LlmStatus Llm, HealthEvents Events, HealthWorkers Workers, IReadOnlyList<HealthDriver> Drivers, HealthEstop Estop,
    string ProcessServer);

/// <summary>The journal's events by state, and how many wait in the kernel's queue.</summary>
public sealed record HealthEvents(long Pending, long Done, long Expired, int Queued);

/// <summary>Running tasks and the pool's warm worker processes.</summary>
public sealed record HealthWorkers(int Running, IReadOnlyList<int> PoolPids);

/// <summary>One drivers.json entry as the kernel sees it.</summary>
public sealed record HealthDriver(string Name, bool Enabled, bool Reachable, string? Problem);

/// <summary>The kernel's stop latch, and why launch_process refuses while it holds.</summary>
public sealed record HealthEstop(bool Engaged, string? Refusal);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KernelAck))]
[JsonSerializable(typeof(KernelError))]
[JsonSerializable(typeof(EventRequest))]
[JsonSerializable(typeof(SttRequest))]
[JsonSerializable(typeof(ChatRequest))]
[JsonSerializable(typeof(ChatAnswer))]
[JsonSerializable(typeof(UpdatesAnswer))]
[JsonSerializable(typeof(ProcessesAnswer))]
[JsonSerializable(typeof(TerminateRequest))]
[JsonSerializable(typeof(TerminateAnswer))]
[JsonSerializable(typeof(EstopRequest))]
[JsonSerializable(typeof(EstopReleaseRequest))]
[JsonSerializable(typeof(ApprovalDecisionBody))]
[JsonSerializable(typeof(LeasesAnswer))]
[JsonSerializable(typeof(LeaseChangeAnswer))]
[JsonSerializable(typeof(ToolCallAnswer))]
[JsonSerializable(typeof(JournalAnswer))]
[JsonSerializable(typeof(ResetAnswer))]
[JsonSerializable(typeof(SpansAnswer))]
[JsonSerializable(typeof(RobotEventRequest))]
[JsonSerializable(typeof(RobotEventAnswer))]
[JsonSerializable(typeof(ListeningRequest))]
[JsonSerializable(typeof(ListeningState))]
[JsonSerializable(typeof(ToolCallReport))]
[JsonSerializable(typeof(IReadOnlyList<AuditRow>))]
[JsonSerializable(typeof(DriversAnswer))]
[JsonSerializable(typeof(TimersAnswer))]
[JsonSerializable(typeof(TimerCancelAnswer))]
[JsonSerializable(typeof(TurnsAnswer))]
[JsonSerializable(typeof(TurnRow))]
[JsonSerializable(typeof(HistoryAnswer))]
[JsonSerializable(typeof(WatchesAnswer))]
[JsonSerializable(typeof(WatchCancelAnswer))]
[JsonSerializable(typeof(LlmStatus))]
[JsonSerializable(typeof(UserMessageEvent))]
[JsonSerializable(typeof(KernelOutputEvent))]
[JsonSerializable(typeof(ChatOutputEvent))]
[JsonSerializable(typeof(EventExpiredEvent))]
[JsonSerializable(typeof(ToolCallEvent))]
[JsonSerializable(typeof(KernelReplyEvent))]
[JsonSerializable(typeof(ReplyArguments))]
[JsonSerializable(typeof(LeaseRevokedEvent))]
[JsonSerializable(typeof(LeaseRow))]
[JsonSerializable(typeof(ProcessRow))]
[JsonSerializable(typeof(TimerEvent))]
[JsonSerializable(typeof(WatchEvent))]
[JsonSerializable(typeof(RobotNoticeEvent))]
[JsonSerializable(typeof(KernelHealth))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class KernelJson : JsonSerializerContext
{
    /// <summary>
    /// The contract with the escaping ASP.NET Core's own JSON results use (only what JSON requires), which is what the
    /// kernel answered before the records: quotes and non-ASCII letters in an error or a reply stay as they are.
    /// </summary>
    public static KernelJson Relaxed { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, // as [JsonSourceGenerationOptions] above
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

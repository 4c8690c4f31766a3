using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosaOS.Kernel.Contracts;

// The kernel's HTTP requests and answers. Names on the wire are snake_case (the context's policy) and are what the
// original's clients, the browser UI (src/RosaOS.Ui/wwwroot) and the tests read: renaming a property changes the API.

/// <summary><c>{"ok": true}</c>: the answer of a POST that only accepts.</summary>
public sealed record KernelAck(bool Ok = true);

/// <summary>
/// Every refusal: <c>{"ok": false, "error": "…"}</c> with a 4xx/5xx status (and /stt's empty-text answer, 200 as the
/// original's). Kept in this shape rather than RFC 7807 problem details because the UI and the original's clients read
/// <c>error</c>; the reason names the argument, what it got and what it expects.
/// </summary>
public sealed record KernelError(bool Ok, string Error)
{
    public static KernelError Of(string error) => new(false, error);
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

/// <summary>The one source-generated JSON context of the kernel's contract (snake_case, as the original's API).</summary>
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

using System.Text.Json.Serialization;

namespace RosaOS.Kernel.Contracts;

// The data of the kernel's live events (/api/events, server-sent): the browser UI (src/RosaOS.Ui/wwwroot) and the original's
// clients read these names, in this order, with these nulls. They go out through KernelJson.Default, the default encoder the
// events had before they were records (non-ASCII and HTML-sensitive characters escaped); the stop and approval events are
// the drivers' records (KernelHostJson in RosaOS.Kernel), and the process and lease events reuse ProcessRow and LeaseRow.

/// <summary><c>provider_status</c> (the first event of every stream) and /health's <c>llm</c>: the LLM the kernel runs on.</summary>
public sealed record LlmStatus(string Provider, string? Model, string Status, bool Available);

/// <summary><c>user_message</c>: what a person said (source speech) or typed (source chat); <c>key</c> is e{event_id}:in.</summary>
public sealed record UserMessageEvent(string Source, string Text, long EventId, string Key);

/// <summary>
/// <c>kernel_output</c> of a message queued for /updates (the original's fields); a turn's answer also carries its event id and
/// key (e{event_id}:out), which a reloaded page's history gives the same line, and is the only one that has them.
/// </summary>
public sealed record KernelOutputEvent(string Role, string Content, string? WorkerId, bool? Done, string At,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? EventId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key = null);

/// <summary><c>kernel_output</c> of an answer its /chat caller received (so not queued for /updates).</summary>
public sealed record ChatOutputEvent(string Role, string Content, long EventId, string Key);

/// <summary><c>event_expired</c>: a request that waited longer than its kind may and was not run; <c>key</c> is e{event_id}:expired.</summary>
public sealed record EventExpiredEvent(long EventId, string Key, string Kind, string Text, string AcceptedAt, string Reason);

/// <summary><c>tool_call</c> of a call a person made from the UI (<c>worker_id</c> "manual").</summary>
public sealed record ToolCallEvent(string WorkerId, string Server, string Tool, string Arguments, string Result, bool IsError, double DurationMs);

/// <summary><c>tool_call</c> of the kernel's reply (what the robot said), keyed e{event_id}:s{step} as the journaled step.</summary>
public sealed record KernelReplyEvent(string WorkerId, string Server, string Tool, string Arguments, string Result, bool IsError, double DurationMs,
    long? EventId, string? Key);

/// <summary>The arguments of the kernel's reply as <see cref="KernelReplyEvent.Arguments"/> shows them.</summary>
public sealed record ReplyArguments(string Text);

/// <summary><c>lease_revoked</c>: a person took a robot from the worker that held it.</summary>
public sealed record LeaseRevokedEvent(string Robot, string WorkerId, string Reason);

/// <summary>
/// <c>timers</c>: a timer scheduled, cancelled (<c>timer</c> null when it was unknown) or fired (with the event it queued;
/// only fired has <c>event_id</c>).
/// </summary>
public sealed record TimerEvent(string Action,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? EventId,
    TimerView? Timer);

/// <summary><c>watches</c>: a person cancelled a driver's watch.</summary>
public sealed record WatchEvent(string Action, string Driver, string WatchId, string By);

/// <summary><c>robot_event</c>: a driver's watch reported something; queued as the journal event <c>event_id</c>.</summary>
public sealed record RobotNoticeEvent(long EventId, string Robot, string WatchId, string Message);

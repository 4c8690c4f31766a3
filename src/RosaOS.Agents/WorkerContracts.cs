namespace RosaOS.Agents;

/// <summary>A task line written to a pooled worker's stdin (the original's contract).</summary>
public sealed record WorkerTask(
    [property: System.Text.Json.Serialization.JsonPropertyName("worker_id")] string WorkerId,
    [property: System.Text.Json.Serialization.JsonPropertyName("system_prompt")] string SystemPrompt,
    [property: System.Text.Json.Serialization.JsonPropertyName("mcp_servers")] IReadOnlyList<string> McpServers,
    [property: System.Text.Json.Serialization.JsonPropertyName("traceparent")] string? TraceParent = null);

/// <summary>Environment variables shared by the kernel and its workers (beyond the original's WORKER_* and CALLBACK_URL).</summary>
public static class WorkerEnvironment
{
    public const string MaxTurns = "ROSA_WORKER_MAX_TURNS";
    public const string MaxToolCalls = "ROSA_WORKER_MAX_TOOL_CALLS";
    public const string MaxPromptChars = "ROSA_WORKER_MAX_PROMPT_CHARS";

    /// <summary>Where workers report tool calls; defaults to CALLBACK_URL's origin + /api/worker-tool-calls.</summary>
    public const string ToolCallUrl = "ROSA_TOOL_CALL_URL";

    /// <summary>The kernel's pid; with <see cref="KernelStart"/>, how a worker knows its kernel is still the same process.</summary>
    public const string KernelPid = "ROSA_KERNEL_PID";

    /// <summary>The kernel's start time in clock ticks since boot (field 22 of /proc/PID/stat).</summary>
    public const string KernelStart = "ROSA_KERNEL_START";

    /// <summary>Milliseconds between the blank heartbeat lines the kernel writes to a worker's stdin; set only when it does.</summary>
    public const string HeartbeatMs = "ROSA_KERNEL_HEARTBEAT_MS";

    /// <summary>A one-off worker's trace context (W3C traceparent of the launching turn); pooled workers get it in the task line.</summary>
    public const string TraceParent = "TRACEPARENT";

    /// <summary>The idempotency key of a task's one callback (the worker's own and the kernel's failure report share it).</summary>
    public static string CallbackKey(string workerId) => $"task:{workerId}:callback";

    /// <summary>The idempotency key of one report about a tool call of a task.</summary>
    public static string ToolCallKey(string workerId, string callId, string phase) => $"task:{workerId}:call:{callId}:{phase}";

    /// <summary>The first user message of every worker (the original's).</summary>
    public const string FirstMessage =
        "Complete the assigned task to the best of your ability. "
        + "If the task cannot be completed, be absolutely sure to have thought really hard and exhausted all possibilities before reporting to the user. "
        + "Begin your task.";

    /// <summary>The callback message of the original: success or failure, system prompt preview, output or error.</summary>
    public static string CallbackMessage(bool success, string systemPrompt, string output)
    {
        ArgumentNullException.ThrowIfNull(systemPrompt);
        var preview = systemPrompt.Length > 200 ? systemPrompt[..200] + "…" : systemPrompt;
        return success
            ? $"Task was successful. System prompt: {preview}. Agent output: {output}"
            : $"Task was not successful. System prompt: {preview}. Error: {output}";
    }
}

namespace RosaOS.Agents;

/// <summary>
/// The one task line the kernel writes to a worker's stdin, pooled (many, one per line) or one-off (one): the original's
/// pool contract plus <c>drivers</c>, the task's robots resolved from drivers.json by the kernel, so a worker never reads
/// the file. A worker started by hand gets its task from the original's environment variables instead (WORKER_ID, …).
/// </summary>
public sealed record WorkerTask(
    [property: System.Text.Json.Serialization.JsonPropertyName("worker_id")] string WorkerId,
    [property: System.Text.Json.Serialization.JsonPropertyName("system_prompt")] string SystemPrompt,
    [property: System.Text.Json.Serialization.JsonPropertyName("mcp_servers")] IReadOnlyList<string> McpServers,
    [property: System.Text.Json.Serialization.JsonPropertyName("traceparent")] string? TraceParent = null,
    [property: System.Text.Json.Serialization.JsonPropertyName("drivers")] IReadOnlyList<WorkerDriver>? Drivers = null);

/// <summary>One robot of a task as its worker needs it: where its MCP server is, the headers to send (a remote driver's
/// token, already substituted), the robot's prompt, and why it is switched off (null when it is not).</summary>
public sealed record WorkerDriver(
    [property: System.Text.Json.Serialization.JsonPropertyName("name")] string Name,
    [property: System.Text.Json.Serialization.JsonPropertyName("url")] Uri Url,
    [property: System.Text.Json.Serialization.JsonPropertyName("headers")] IReadOnlyDictionary<string, string> Headers,
    [property: System.Text.Json.Serialization.JsonPropertyName("prompt")] string Prompt,
    [property: System.Text.Json.Serialization.JsonPropertyName("disabled")] string? Disabled = null)
{
    /// <summary>The entries of <paramref name="names"/> that <paramref name="config"/> has (a name it lacks is left out).</summary>
    public static IReadOnlyList<WorkerDriver> For(IEnumerable<string> names, RosaOS.Configuration.DriversConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return [.. names.Distinct(StringComparer.Ordinal).Select(config.Find).OfType<RosaOS.Configuration.DriverEntry>()
            .Select(d => new WorkerDriver(d.Name, d.Url, d.Headers, d.Prompt, d.Enabled ? null : config.DisabledReason(d)))];
    }

    /// <summary>A request to the driver's own HTTP routes (<c>/lease</c>) carrying <see cref="Headers"/>.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null)
        => RosaOS.Configuration.DriverEntry.RequestTo(Url, Headers, method, path, content);
}

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

    /// <summary>The trace context (W3C traceparent) of a task of a worker started by hand; the kernel's workers get it in the task line.</summary>
    public const string TraceParent = "TRACEPARENT";

    /// <summary>The original's variables of a worker started by hand (its one task and pool switch). The kernel clears them
    /// for its own workers, which get their task on stdin, so a value in the kernel's environment cannot become a task.</summary>
    public static readonly IReadOnlyList<string> HandStarted = ["WORKER_ID", "WORKER_SYSTEM_PROMPT", "WORKER_MCP_SERVERS", "WORKER_POOL", TraceParent];

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

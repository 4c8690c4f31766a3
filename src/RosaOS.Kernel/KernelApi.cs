using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using RosaOS.Agents;
using RosaOS.EmergencyStop;
using RosaOS.Kernel.Contracts;

using RosaOS.Ui;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel's HTTP API: the original's /event, /stt, /chat, /updates and /, plus /api/events (SSE),
/// /api/processes, terminate, the emergency stop (engage, state, release), drivers with their tools, a driver tool-call proxy, the
/// audit log, and the worker tool-call reports. Bad input gets a 400 with a reason and queues nothing.
/// </summary>
public static class KernelApi
{
    private const int MaxBodyBytes = 1 << 20;

    /// <summary>Maps every kernel endpoint.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost("/event", PostEventAsync);
        app.MapPost("/stt", PostSttAsync);
        app.MapPost("/chat", PostChatAsync);
        app.MapGet("/updates", (EventHub hub) => TypedResults.Json(new UpdatesAnswer(hub.DrainUpdates()), KernelJson.Relaxed.UpdatesAnswer));
        app.MapRosaUi();
        app.MapGet("/api/events", StreamEventsAsync);
        app.MapGet("/api/processes", (ProcessManager pm) => TypedResults.Json(
            new ProcessesAnswer([.. pm.RunningProcesses().Select(p => p.ToRow())], [.. pm.AllProcesses().Select(p => p.ToRow())], pm.PoolPids()),
            KernelJson.Relaxed.ProcessesAnswer));
        app.MapPost("/api/processes/{workerId}/terminate", TerminateAsync);
        app.MapPost("/api/estop", EmergencyStopAsync);
        app.MapGet("/api/estop", (EmergencyStopCoordinator estop) => TypedResults.Json(estop.Status, KernelHostJson.Relaxed.EstopStatus));
        app.MapPost("/api/estop/release", ReleaseEmergencyStopAsync);
        app.MapGet("/api/leases", ListLeases);
        app.MapPost("/api/leases/{robot}/take", (HttpContext context, string robot, LeaseCoordinator leases, DriverRegistry drivers, KernelDatabase database) =>
            ChangeLeaseAsync(context, robot, take: true, leases, drivers, database));
        app.MapPost("/api/leases/{robot}/return", (HttpContext context, string robot, LeaseCoordinator leases, DriverRegistry drivers, KernelDatabase database) =>
            ChangeLeaseAsync(context, robot, take: false, leases, drivers, database));
        app.MapGet("/api/approvals", ListApprovalsAsync);
        app.MapPost("/api/approvals/{driver}/{id}/approve", (HttpContext context, string driver, string id, ApprovalCoordinator approvals, DriverRegistry drivers) =>
            DecideApprovalAsync(context, driver, id, approve: true, approvals, drivers));
        app.MapPost("/api/approvals/{driver}/{id}/deny", (HttpContext context, string driver, string id, ApprovalCoordinator approvals, DriverRegistry drivers) =>
            DecideApprovalAsync(context, driver, id, approve: false, approvals, drivers));
        app.MapGet("/api/drivers", ListDriversAsync);
        app.MapPost("/api/drivers/{name}/tools/{tool}", CallDriverToolAsync);
        DriverViewApi.Map(app);
        app.MapGet("/api/audit", (KernelDatabase db, int? limit) =>
            TypedResults.Json(db.RecentAudit(Math.Clamp(limit ?? 100, 1, 1000)), KernelJson.Relaxed.IReadOnlyListAuditRow));
        app.MapPost("/api/worker-tool-calls", PostToolCallAsync);
        app.MapGet("/api/journal", ListJournal);
        KernelTurnApi.Map(app);
        KernelHistoryApi.Map(app);
        KernelListeningApi.Map(app);
        app.MapPost("/api/conversation/reset", ResetConversationAsync);
        ScheduleApi.Map(app);
        WatchesApi.Map(app);
    }

    /// <summary>Starts the kernel's conversation over; the body is a JSON object (may be empty: <c>{}</c>).</summary>
    private static async Task<IResult> ResetConversationAsync(HttpContext context, KernelLoop loop)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        body.Dispose();
        var cleared = loop.ResetConversation();
        return TypedResults.Json(new ResetAnswer(true, cleared), KernelJson.Relaxed.ResetAnswer);
    }

    /// <summary>The latest journal entries (optionally one status: pending, done, expired), newest first.</summary>
    private static IResult ListJournal(KernelDatabase database, int? limit, string? status)
    {
        if (status is not (null or "pending" or "done" or "expired" or "corrupt"))
        {
            return Bad($"\"status\" must be pending, done, expired or corrupt, not \"{status}\"");
        }
        var events = database.RecentEvents(Math.Clamp(limit ?? 100, 1, 1000), status)
            .Select(e => new JournalEntry(e.Id, e.Kind, e.Text, e.Status, e.AcceptedAt, e.DoneAt, e.Output));
        return TypedResults.Json(new JournalAnswer([.. events]), KernelJson.Relaxed.JournalAnswer);
    }

    /// <summary>
    /// The idempotency key of a POST: the Idempotency-Key header, or an "idempotency_key" body field for
    /// clients that cannot set headers. Optional: the original's clients send neither.
    /// </summary>
    internal static bool TryIdempotencyKey(HttpContext context, JsonElement body, out string? key, out string? error)
    {
        key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        error = null;
        if (key is null && !TryString(body, "idempotency_key", required: false, out key, out error))
        {
            return false;
        }
        if (key is not null && (key.Length is 0 or > 200))
        {
            error = $"the idempotency key must be 1 to 200 characters, not {key.Length}";
            return false;
        }
        return true;
    }

    private static async Task<IResult> PostEventAsync(HttpContext context, EventIntake intake, ProcessManager processes, KernelOptions options)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        var root = body.RootElement;
        if (!TryString(root, "worker_id", required: true, out var workerId, out error)
            || !TryString(root, "message", required: true, out var message, out error))
        {
            return Bad(error!);
        }
        var done = false;
        if (root.TryGetProperty("done", out var d))
        {
            if (d.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Bad("\"done\" must be a boolean");
            }
            done = d.GetBoolean();
        }
        if (string.IsNullOrWhiteSpace(workerId))
        {
            return Bad("\"worker_id\" must not be empty");
        }
        if (message!.Length > options.MaxEventChars)
        {
            return Bad($"\"message\" is {message.Length} characters, over the limit of {options.MaxEventChars}");
        }
        if (!TryIdempotencyKey(context, root, out var key, out error))
        {
            return Bad(error!);
        }
        // Journaled first, then the task is freed: a crash in between leaves a task the next kernel finds already answered.
        intake.AcceptCallback(workerId!, message, done, key);
        processes.MarkFinished(workerId!, done);
        return Ack();
    }

    private static async Task<IResult> PostSttAsync(HttpContext context, EventIntake intake, KernelOptions options)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        if (!TryString(body.RootElement, "text", required: false, out var text, out error))
        {
            return Bad(error!);
        }
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            // The original's answer, kept for its speech loop.
            return Error("missing or empty text", StatusCodes.Status200OK);
        }
        if (text.Length > options.MaxEventChars)
        {
            return Bad($"\"text\" is {text.Length} characters, over the limit of {options.MaxEventChars}");
        }
        if (!TryIdempotencyKey(context, body.RootElement, out var key, out error))
        {
            return Bad(error!);
        }
        // A repeated key (a retry whose first answer was lost) is answered as the first, and journals nothing.
        intake.AcceptSpeech(text, key, KernelTurnApi.TraceParentOf(context));
        return Ack();
    }

    private static async Task<IResult> PostChatAsync(HttpContext context, EventIntake intake, KernelOptions options)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return TypedResults.Json(new ChatAnswer("Error: " + error, error), KernelJson.Relaxed.ChatAnswer, statusCode: 400);
        }
        if (!TryString(body.RootElement, "prompt", required: true, out var prompt, out error) || string.IsNullOrWhiteSpace(prompt))
        {
            error ??= "\"prompt\" must not be empty";
            return TypedResults.Json(new ChatAnswer("Error: " + error, error), KernelJson.Relaxed.ChatAnswer, statusCode: 400);
        }
        if (prompt!.Length > options.MaxEventChars)
        {
            error = $"\"prompt\" is {prompt.Length} characters, over the limit of {options.MaxEventChars}";
            return TypedResults.Json(new ChatAnswer("Error: " + error, error), KernelJson.Relaxed.ChatAnswer, statusCode: 400);
        }
        var (id, output) = intake.AcceptChat(prompt, KernelTurnApi.TraceParentOf(context));
        try
        {
            return TypedResults.Json(new ChatAnswer(await output.WaitAsync(context.RequestAborted)), KernelJson.Relaxed.ChatAnswer);
        }
        catch (OperationCanceledException)
        {
            // The caller went away: the turn still runs (it is journaled) and its output goes to /updates.
            intake.AbandonChat(id);
            throw;
        }
    }

    private static async Task StreamEventsAsync(HttpContext context, EventHub hub, KernelLlm llm)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        long? lastId = long.TryParse(context.Request.Headers["Last-Event-ID"], out var last) ? last : null;
        var reader = hub.Subscribe(lastId, out var unsubscribe);
        try
        {
            var status = JsonSerializer.Serialize(
                new LlmStatus(llm.Selection.Provider, llm.Selection.Model, llm.Selection.Status, llm.Selection.IsAvailable), KernelJson.Default.LlmStatus);
            await context.Response.WriteAsync($"event: provider_status\ndata: {status}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (var e in reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync($"id: {e.Id}\nevent: {e.Type}\ndata: {e.Json}\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            unsubscribe();
        }
    }

    private static async Task<IResult> TerminateAsync(HttpContext context, string workerId, ProcessManager processes)
    {
        var force = false;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, error) = await ReadObjectAsync(context);
            if (body is null)
            {
                return Bad(error!);
            }
            if (body.RootElement.TryGetProperty("force", out var f))
            {
                if (f.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    return Bad("\"force\" must be a boolean");
                }
                force = f.GetBoolean();
            }
        }
        var running = processes.RunningProcesses().Any(p => p.WorkerId == workerId);
        var result = processes.Terminate(workerId, force);
        var terminated = running && !processes.RunningProcesses().Any(p => p.WorkerId == workerId);
        return TypedResults.Json(new TerminateAnswer(terminated, result), KernelJson.Relaxed.TerminateAnswer, statusCode: running ? 200 : 404);
    }

    private static async Task<IResult> EmergencyStopAsync(HttpContext context, EmergencyStopCoordinator estop)
    {
        // Anyone may stop; an empty body is a stop too (the oldest clients send none).
        string? source = EstopContract.Sources.Api, reason = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, error) = await ReadObjectAsync(context);
            if (body is null)
            {
                return Bad(error!);
            }
            if (!TryString(body.RootElement, "source", required: false, out var s, out error)
                || !TryString(body.RootElement, "reason", required: false, out reason, out error))
            {
                return Bad(error!);
            }
            if (s is { Length: 0 or > 64 })
            {
                return Bad($"\"source\" must be 1 to 64 characters (ui, cli, api, voice, …), got {s.Length}");
            }
            if (reason is { Length: > EstopContract.MaxTextLength })
            {
                return Bad($"\"reason\" is {reason.Length} characters; at most {EstopContract.MaxTextLength}");
            }
            source = s ?? source;
        }
        // The stop runs on the kernel's lifetime: a caller that disconnects (a reloaded tab) does not abandon it.
        var outcome = await estop.EngageAsync(source, reason, context.RequestAborted);
        return TypedResults.Json(outcome, KernelHostJson.Relaxed.EstopOutcome);
    }

    private static async Task<IResult> ReleaseEmergencyStopAsync(HttpContext context, EmergencyStopCoordinator estop)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        var root = body.RootElement;
        if (!TryString(root, "by", required: true, out var by, out error) || !TryString(root, "note", required: false, out var note, out error))
        {
            return Bad(error!);
        }
        if (!EstopContract.Sources.Releasers.Contains(by))
        {
            return Error($"only a person releases the emergency stop: \"by\" must be \"ui\" or \"cli\", got \"{by}\"", 403);
        }
        if (!root.TryGetProperty("confirm", out var confirm) || confirm.ValueKind != JsonValueKind.True)
        {
            return Bad("\"confirm\" must be true: the person releasing confirms that the robots and the people near them are safe");
        }
        if (note is { Length: > EstopContract.MaxTextLength })
        {
            return Bad($"\"note\" is {note.Length} characters; at most {EstopContract.MaxTextLength}");
        }
        return TypedResults.Json(await estop.ReleaseAsync(by!, note, context.RequestAborted), KernelHostJson.Relaxed.EstopOutcome);
    }

    private static async Task<IResult> ListDriversAsync(HttpContext context, DriverRegistry drivers)
    {
        await drivers.ProbeAsync(context.RequestAborted);
        var list = new List<DriverRow>();
        foreach (var status in drivers.Statuses)
        {
            IReadOnlyList<DriverTool> tools = [];
            string? problem = status.Problem;
            if (status.Reachable)
            {
                try
                {
                    tools = await drivers.ListToolsAsync(status.Name, context.RequestAborted);
                }
                catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
                {
                    problem = "listing tools failed: " + e.Message;
                }
            }
            list.Add(new DriverRow(status.Name, status.Url, status.Description, status.Enabled, status.Reachable, problem, tools));
        }
        return TypedResults.Json(new DriversAnswer(list), KernelJson.Relaxed.DriversAnswer);
    }

    /// <summary>The calls waiting for a person's approval on every driver with an approval policy, and their recent outcomes.</summary>
    private static async Task<IResult> ListApprovalsAsync(HttpContext context, ApprovalCoordinator approvals)
    {
        var answers = await approvals.ListAsync(context.RequestAborted);
        return TypedResults.Json(new ApprovalsAnswer(
            [.. answers.SelectMany(a => a.List?.Pending ?? []).OrderBy(p => p.RequestedAt)],
            [.. answers.SelectMany(a => a.List?.Recent ?? []).OrderByDescending(r => r.At).Take(50)],
            [.. answers.Select(a => new ApprovalDriverRow(a.Driver, a.List?.TimeoutSeconds, a.Problem))]), KernelHostJson.Relaxed.ApprovalsAnswer);
    }

    /// <summary>A person approves or denies one waiting call: JSON {"by": "ui"|"cli", "note", "digest"}; forwarded to its driver and audited.</summary>
    private static async Task<IResult> DecideApprovalAsync(HttpContext context, string driver, string id, bool approve, ApprovalCoordinator approvals, DriverRegistry drivers)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        using (body)
        {
            var root = body.RootElement;
            if (!TryString(root, "by", required: true, out var by, out error) || !TryString(root, "note", required: false, out var note, out error)
                || !TryString(root, "digest", required: false, out var digest, out error))
            {
                return Bad(error!);
            }
            if (!ApprovalContract.Deciders.Contains(by))
            {
                return Error($"only a person decides an approval: \"by\" must be \"ui\" or \"cli\", got \"{by}\"", 403);
            }
            if (note is { Length: > ApprovalContract.MaxTextLength })
            {
                return Bad($"\"note\" is {note.Length} characters; at most {ApprovalContract.MaxTextLength}");
            }
            if (id.Length is 0 or > 64 || !id.All(char.IsAsciiLetterOrDigit))
            {
                return Bad($"the approval id must be 1 to 64 ASCII letters or digits, got '{(id.Length > 64 ? id[..64] + "…" : id)}'");
            }
            if (approvals.Gated.FirstOrDefault(d => d.Name == driver) is not { } entry)
            {
                return Error($"no enabled driver named '{driver}' has an approval policy; with one: {(approvals.Gated.Count == 0 ? "none" : string.Join(", ", approvals.Gated.Select(d => d.Name)))}", 404);
            }
            try
            {
                var (status, answer) = await approvals.DecideAsync(entry, id, approve, new ApprovalDecisionRequest { By = by, Note = note, Digest = digest }, context.RequestAborted);
                // The driver's own answer (its outcome, or its refusal with the reason) passes through as it is.
                return TypedResults.Json(answer, KernelHostJson.Relaxed.JsonElement, statusCode: status);
            }
            catch (HttpRequestException e)
            {
                return Error($"{driver} is unreachable: {e.Message}", 502);
            }
        }
    }

    /// <summary>Who may move each robot now (one mover per robot): a worker, a person (manual control), or nobody.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<LeasesAnswer> ListLeases(LeaseCoordinator leases, DriverRegistry drivers)
    {
        var holders = leases.Holders;
        return TypedResults.Json(new LeasesAnswer([.. drivers.All.Where(d => d.Enabled).Select(d => holders.TryGetValue(d.Name, out var h)
            ? new LeaseRow(d.Name, h.Id, h.Kind, h.Note, h.Since)
            : new LeaseRow(d.Name, null, null, null, null))]), KernelJson.Relaxed.LeasesAnswer);
    }

    /// <summary>A person takes control of a robot (its worker loses the lease and waits) or gives it back; audited.</summary>
    private static async Task<IResult> ChangeLeaseAsync(HttpContext context, string robot, bool take, LeaseCoordinator leases, DriverRegistry drivers, KernelDatabase database)
    {
        // State-changing: a JSON body (may be {}), never a form post.
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        using (body)
        {
            if (drivers.Config.Find(robot) is not { Enabled: true })
            {
                return Error($"no enabled robot named '{robot}'; enabled: {string.Join(", ", drivers.All.Where(d => d.Enabled).Select(d => d.Name))}", 404);
            }
            var before = leases.HolderOf(robot);
            var after = take ? leases.TakeControl(robot) : leases.ReturnControl(robot);
            var text = $"{(take ? "took control" : "returned control")}: holder was {before?.Id ?? "nobody"}, now {after?.Id ?? "nobody"}";
            database.Audit("person", robot, take ? "take_control" : "return_control", body.RootElement.GetRawText(), text, false, 0);
            return TypedResults.Json(new LeaseChangeAnswer(true, robot, after?.Id, after?.Kind, before?.Id), KernelJson.Relaxed.LeaseChangeAnswer);
        }
    }

    private static async Task<IResult> CallDriverToolAsync(HttpContext context, string name, string tool, DriverRegistry drivers, KernelDatabase database, EventHub hub)
    {
        var (body, error) = context.Request.ContentLength is 0 ? (JsonDocument.Parse("{}"), null) : await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        if (drivers.Config.Find(name) is not { } entry)
        {
            return Error($"no driver named '{name}'; configured: {string.Join(", ", drivers.All.Select(d => d.Name))}", 404);
        }
        if (!entry.Enabled)
        {
            return Error($"driver '{name}' is disabled ({drivers.Config.DisabledReason(entry)}); set \"enabled\": true to use it", 409);
        }
        if (tool.Length is 0 or > 128 || !tool.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/'))
        {
            return Error($"tool name must be 1 to 128 ASCII letters, digits, '_', '-', '.' or '/' (got '{tool}')", 400);
        }
        if (FirstInvalidText(body.RootElement) is { } invalid)
        {
            return Error($"argument {invalid} holds text that is not valid Unicode (a lone UTF-16 surrogate)", 400);
        }
        var arguments = body.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone());
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var (text, isError) = await drivers.CallToolAsync(name, tool, arguments, context.RequestAborted);
            var ms = watch.Elapsed.TotalMilliseconds;
            var args = body.RootElement.GetRawText();
            database.Audit("manual", name, tool, args, text, isError, ms);
            hub.Publish("tool_call", new ToolCallEvent("manual", name, tool, args, text, isError, ms), KernelJson.Default.ToolCallEvent);
            return TypedResults.Json(new ToolCallAnswer(!isError, text), KernelJson.Relaxed.ToolCallAnswer, statusCode: isError ? 422 : 200);
        }
        catch (ModelContextProtocol.McpException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The driver answered and refused the call (an unknown tool, arguments its schema rejects): the caller's error.
            return Error($"calling {tool} on {name} was refused: {e.Message}", 400);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            return Error($"calling {tool} on {name} failed: {e.Message}", 502);
        }
    }

    /// <summary>The JSON path of the first string (or property name) that cannot be read as valid UTF-16, or null when all can.</summary>
    private static string? FirstInvalidText(JsonElement element, string path = "$")
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    return null;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        var childPath = path + "." + property.Name;
                        if (FirstInvalidText(property.Value, childPath) is { } found)
                        {
                            return found;
                        }
                    }
                    return null;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        if (FirstInvalidText(item, $"{path}[{i++}]") is { } found)
                        {
                            return found;
                        }
                    }
                    return null;
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            return path == "$" ? "$" : path.Length > 80 ? path[..80] + "…" : path;
        }
    }

    private static async Task<IResult> PostToolCallAsync(HttpContext context, KernelDatabase database, EventHub hub)
    {
        var (body, error) = await ReadObjectAsync(context);
        if (body is null)
        {
            return Bad(error!);
        }
        ToolCallReport? report;
        try
        {
            report = body.RootElement.Deserialize(KernelJson.Relaxed.ToolCallReport);
        }
        catch (JsonException e)
        {
            return Bad("not a tool-call report: " + e.Message);
        }
        if (report is null || string.IsNullOrEmpty(report.WorkerId) || string.IsNullOrEmpty(report.Tool))
        {
            return Bad("a tool-call report needs worker_id and tool");
        }
        if (!TryIdempotencyKey(context, body.RootElement, out var key, out error))
        {
            return Bad(error!);
        }
        if (report.Phase is not (null or "started" or "done"))
        {
            return Bad($"\"phase\" must be \"started\" or \"done\", not \"{report.Phase}\"");
        }
        var started = report.Phase == "started";
        if (database.Audit(report.WorkerId, report.Server ?? "?", report.Tool, report.Arguments ?? "{}", report.Result ?? "", report.IsError, report.DurationMs,
            report.CallId, started, key) && !started)
        {
            hub.Publish("tool_call", report, KernelJson.Default.ToolCallReport);
        }
        return Ack();
    }

    /// <summary>Reads a JSON object body (at most 1 MiB); returns the error to show otherwise.</summary>
    internal static async Task<(JsonDocument? Body, string? Error)> ReadObjectAsync(HttpContext context)
    {
        var buffer = await RosaOS.Hosting.RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (buffer is null)
        {
            return (null, $"the body is larger than {MaxBodyBytes} bytes");
        }
        if (buffer.Length == 0)
        {
            return (null, "the body is empty; send a JSON object");
        }
        try
        {
            var doc = JsonDocument.Parse(buffer);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                doc.Dispose();
                return (null, "the body must be a JSON object");
            }
            return (doc, null);
        }
        catch (JsonException e)
        {
            return (null, "the body is not valid JSON: " + e.Message);
        }
    }

    internal static bool TryString(JsonElement root, string name, bool required, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error = $"\"{name}\" is missing";
                return false;
            }
            return true;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            error = $"\"{name}\" must be a string, not {element.ValueKind.ToString().ToLowerInvariant()}";
            return false;
        }
        value = element.GetString();
        return true;
    }

    private static IResult Bad(string error) => Error(error, StatusCodes.Status400BadRequest);

    /// <summary>
    /// A refusal in the API's one error shape: a problem document (application/problem+json) that keeps the original's
    /// <c>"ok": false</c> and <c>"error"</c> (see <see cref="KernelError"/>). A status below 400 (/stt's empty text, 200 as the
    /// original's) is no HTTP error: it answers the original's bare <c>{"ok": false, "error": "…"}</c>.
    /// </summary>
    internal static IResult Error(string error, int statusCode) => statusCode >= 400
        ? TypedResults.Json(KernelError.Problem(error, statusCode, ReasonPhrases.GetReasonPhrase(statusCode)), KernelJson.Relaxed.KernelError,
            KernelError.ProblemMediaType, statusCode)
        : TypedResults.Json(KernelError.Of(error), KernelJson.Relaxed.KernelError, statusCode: statusCode);

    /// <summary><c>{"ok": true}</c>.</summary>
    internal static IResult Ack() => TypedResults.Json(new KernelAck(), KernelJson.Relaxed.KernelAck);
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel: one consumer over the event queue. Each event becomes one kernel-agent turn with the
/// process tools. Every step of the turn is journaled (<see cref="TurnJournal"/>), and the event is
/// marked done together with its history only after the turn, so a crash re-runs the turn without
/// repeating what it already did, and a finished event never runs twice. An event older than its
/// kind's time-to-live is not run: it is marked expired and the user is told, once.
/// </summary>
public sealed partial class KernelLoop : BackgroundService
{
    /// <summary>Most expired events gathered into one message to the user.</summary>
    private const int ExpiredReportBatch = 20;

    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly KernelLlm _llm;
    private readonly ProcessTools _tools;
    private readonly TimerTools _timerTools;
    private readonly DriverRegistry _drivers;
    private readonly TimeProvider _time;
    private readonly ILogger<KernelLoop> _logger;
    private readonly List<ChatMessage> _history = [];
    private readonly List<JournaledEvent> _expired = [];

    public KernelLoop(KernelOptions options, KernelDatabase database, EventIntake intake, EventHub hub, KernelLlm llm, ProcessTools tools,
        TimerTools timerTools, DriverRegistry drivers, TimeProvider time, ILogger<KernelLoop> logger)
    {
        _options = options;
        _database = database;
        _intake = intake;
        _hub = hub;
        _llm = llm;
        _tools = tools;
        _timerTools = timerTools;
        _drivers = drivers;
        _time = time;
        _logger = logger;
        foreach (var (id, json) in database.RecentHistory(options.HistoryWindow))
        {
            try
            {
                if (JsonSerializer.Deserialize<ChatMessage>(json, AIJsonUtilities.DefaultOptions) is { } message)
                {
                    _history.Add(message);
                    continue;
                }
                LogCorruptHistory(_logger, id, "it is null");
            }
            catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
            {
                LogCorruptHistory(_logger, id, e.Message);
            }
        }
        DropOrphanedToolMessages(_history);
        TrimHistory();
    }

    /// <summary>The event being run, if any (for /health).</summary>
    public long? Current { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var feeder = _intake.FeedAsync(stoppingToken);
        // Events a previous run marked expired but could not report (it stopped first) are reported now.
        _expired.AddRange(_database.UnreportedExpired());
        ReportExpired();
        try
        {
            await foreach (var id in _intake.Reader.ReadAllAsync(stoppingToken))
            {
                var e = _database.GetEvent(id);
                if (e is null)
                {
                    continue;
                }
                Current = id;
                try
                {
                    if (!ExpireIfStale(e))
                    {
                        await RunTurnAsync(e, stoppingToken);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The loop must outlive one bad turn; the event stays pending and runs again after a restart.
                    LogTurnCrashed(_logger, id, ex);
                    _intake.CompleteChat(id, "Error: the kernel turn failed: " + ex.Message);
                }
                Current = null;
                if (_expired.Count >= ExpiredReportBatch || (_expired.Count > 0 && _intake.Backlog == 0))
                {
                    ReportExpired();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await feeder;
    }

    /// <summary>Marks the event expired when it is older than its kind's time-to-live; true when it must not run.</summary>
    private bool ExpireIfStale(JournaledEvent e)
    {
        var ttl = _options.TtlOf(e.Kind);
        var age = _time.GetUtcNow() - e.AcceptedAt;
        if (age <= ttl)
        {
            return false;
        }
        var reason = $"not run: it waited {Duration(age)}, longer than the {Duration(ttl)} a {e.Kind} event may wait (the kernel was stopped or busy)";
        _database.ExpireEvent(e.Id, reason);
        LogExpired(_logger, e.Id, e.Kind, age.TotalSeconds, ttl.TotalSeconds);
        _hub.Publish("event_expired", new EventExpiredEvent(e.Id, $"e{e.Id}:expired", e.Kind, e.Text, e.AcceptedAt.ToString("O", CultureInfo.InvariantCulture), reason),
            KernelJson.Default.EventExpiredEvent);
        if (_intake.CompleteChat(e.Id, $"Error: {reason}. Ask again if you still want it."))
        {
            // Its sender was waiting and has been told.
            _database.MarkReported([e.Id]);
        }
        else
        {
            _expired.Add(e);
        }
        return true;
    }

    /// <summary>Tells the user, once, which requests were not acted on because they were too old.</summary>
    private void ReportExpired()
    {
        if (_expired.Count == 0)
        {
            return;
        }
        var now = _time.GetUtcNow();
        var items = _expired.Select(e => Describe(e, now - e.AcceptedAt)).ToList();
        var text = _expired.Count == 1
            ? $"I did not act on {items[0]} because it was too old by the time I could handle it (I was stopped or busy). Ask again if you still want it."
            : $"I did not act on {_expired.Count} requests because they were too old by the time I could handle them (I was stopped or busy): {string.Join("; ", items)}. Ask again if you still want them.";
        _hub.PushOutgoing("model", text);
        _database.MarkReported(_expired.Select(e => e.Id));
        _expired.Clear();
    }

    private static string Describe(JournaledEvent e, TimeSpan age)
    {
        var text = e.Text.Length > 120 ? e.Text[..120] + "…" : e.Text;
        return e.Kind switch
        {
            "speech" => $"\"{text.Replace("[User said] ", "", StringComparison.Ordinal)}\" (said {Duration(age)} ago)",
            "chat" => $"\"{text}\" (typed {Duration(age)} ago)",
            "timer" => $"a timer ({Duration(age)} ago: {text})",
            "robot_event" => $"a robot event ({Duration(age)} ago: {text})",
            _ => $"a worker's report ({Duration(age)} ago: {text})",
        };
    }

    private static string Duration(TimeSpan span) => span.TotalSeconds switch
    {
        < 90 => $"{span.TotalSeconds:0} s",
        < 5400 => $"{span.TotalMinutes:0} min",
        < 172_800 => $"{(int)span.TotalHours} h {span.Minutes} min",
        _ => $"{span.TotalDays:0} days",
    };

    private async Task RunTurnAsync(JournaledEvent e, CancellationToken cancellationToken)
    {
        ApplyPendingReset();
        LogTurn(_logger, e.Id, e.Kind);
        // A speech or chat turn continues the trace that began at the end of the user's speech (or the POST).
        using var span = TraceParentOf(e) is { } parent
            ? TurnTracing.Source.StartActivity(TurnTracing.Spans.KernelTurn, ActivityKind.Internal, parent)
            : null;
        span?.SetTag("event_id", e.Id.ToString(CultureInfo.InvariantCulture));
        span?.SetTag("kind", e.Kind);
        string output;
        bool success;
        IReadOnlyList<ChatMessage> newMessages = [];
        if (_llm.Selection.Client is null)
        {
            (success, output) = (false, _llm.Selection.Status);
        }
        else
        {
            var journal = new TurnJournal(_database, e.Id, _logger);
            if (journal.RecordedSteps > 0)
            {
                LogResuming(_logger, e.Id, journal.RecordedSteps);
            }
            var runner = new AgentRunner(journal.Wrap(_llm.Selection.Client), new AgentLimits { MaxTurns = 10, MaxToolCalls = 10 }, _logger);
            AgentRunResult result;
            try
            {
                result = await runner.RunAsync(KernelInstructions(), _history, e.Text, journal.Wrap([.. _tools.AsKernelTools(), .. _timerTools.AsKernelTools()]), null, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down mid-turn: the event stays pending and its turn resumes after restart.
                return;
            }
            (success, output) = (result.Success, result.Output.Trim());
            if (result.Success)
            {
                newMessages = result.NewMessages;
            }
        }

        var (workerId, done) = CallbackFields(e);
        var shown = success ? output : "Error: " + output;
        _database.FinishTurn(e.Id, shown, newMessages.Select(m => JsonSerializer.Serialize(m, AIJsonUtilities.DefaultOptions)));
        _history.AddRange(newMessages);
        TrimHistory();
        if (!_intake.CompleteChat(e.Id, shown))
        {
            // Not a waiting /chat (a callback, speech, or a chat whose caller went away): push it to /updates.
            _hub.PushOutgoing("model", shown, success ? null : workerId, success ? null : done, e.Id);
        }
        else
        {
            _hub.Publish("kernel_output", new ChatOutputEvent("model", shown, e.Id, $"e{e.Id}:out"), KernelJson.Default.ChatOutputEvent);
        }
        LogTurnDone(_logger, e.Id, success);
    }

    private static ActivityContext? TraceParentOf(JournaledEvent e)
    {
        if (e.Kind is not ("speech" or "chat"))
        {
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(e.Payload);
            return doc.RootElement.TryGetProperty(TurnTracing.TraceParent, out var value) && value.ValueKind == JsonValueKind.String
                && TurnTracing.Parse(value.GetString()) is { TraceId: var id } context && id != default ? context : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private string KernelInstructions()
    {
        var path = Path.Combine(_options.ConfigDirectory, "kernel.txt");
        var template = File.Exists(path)
            ? File.ReadAllText(path).Trim()
            : "You are the kernel of an agentic operating system integrated with robots.\nHere is a list of the available robots and their descriptions:\n{robot_list}";
        return template.Replace("{robot_list}", _drivers.RobotList(), StringComparison.Ordinal);
    }

    private int _resetPending;

    /// <summary>
    /// Starts the conversation over (UI button, POST /api/conversation/reset): the stored history goes now, the in-memory
    /// one before the next turn (a turn in flight finishes with what it had; its messages are dropped then too).
    /// </summary>
    public long ResetConversation()
    {
        Interlocked.Exchange(ref _resetPending, 1);
        return _database.StartConversationOver();
    }

    private void ApplyPendingReset()
    {
        if (Interlocked.Exchange(ref _resetPending, 0) == 1)
        {
            _history.Clear();
            _database.ClearHistory();
        }
    }

    /// <summary>Keeps the last HistoryWindow messages, starting at a user message so no tool result loses its call.</summary>
    private void TrimHistory()
    {
        if (_history.Count > _options.HistoryWindow)
        {
            _history.RemoveRange(0, _history.Count - _options.HistoryWindow);
        }
        var firstUser = _history.FindIndex(m => m.Role == ChatRole.User);
        _history.RemoveRange(0, firstUser < 0 ? _history.Count : firstUser);
    }

    /// <summary>After skipping corrupt rows, drops tool calls without results and results without calls (providers refuse both).</summary>
    private static void DropOrphanedToolMessages(List<ChatMessage> history)
    {
        var calls = history.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.CallId).ToHashSet(StringComparer.Ordinal);
        var results = history.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.CallId).ToHashSet(StringComparer.Ordinal);
        history.RemoveAll(m => m.Contents.OfType<FunctionResultContent>().Any(r => !calls.Contains(r.CallId))
            || m.Contents.OfType<FunctionCallContent>().Any(c => !results.Contains(c.CallId)));
    }

    private (string? WorkerId, bool? Done) CallbackFields(JournaledEvent e)
    {
        if (e.Kind != "callback")
        {
            return (null, null);
        }
        try
        {
            using var doc = JsonDocument.Parse(e.Payload);
            return (doc.RootElement.GetProperty("worker_id").GetString(), doc.RootElement.GetProperty("done").GetBoolean());
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogCorruptPayload(_logger, e.Id, ex.Message);
            return (null, null);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel turn for event {Id} ({Kind})")]
    private static partial void LogTurn(ILogger logger, long id, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming the turn of event {Id}: {Steps} steps recorded before the last stop are replayed, not repeated")]
    private static partial void LogResuming(ILogger logger, long id, int steps);

    [LoggerMessage(Level = LogLevel.Error, Message = "Kernel turn for event {Id} failed unexpectedly")]
    private static partial void LogTurnCrashed(ILogger logger, long id, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel turn for event {Id} finished (success={Success})")]
    private static partial void LogTurnDone(ILogger logger, long id, bool success);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Id} ({Kind}) expired: it waited {AgeSeconds:0} s, its time-to-live is {TtlSeconds:0} s; not run")]
    private static partial void LogExpired(ILogger logger, long id, string kind, double ageSeconds, double ttlSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "History row {Id} is corrupt and was skipped: {Reason}")]
    private static partial void LogCorruptHistory(ILogger logger, long id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {Id} has a corrupt payload ({Reason}); its callback fields are ignored")]
    private static partial void LogCorruptPayload(ILogger logger, long id, string reason);
}

/// <summary>The kernel's LLM provider, chosen once at start.</summary>
public sealed class KernelLlm(LlmSelection selection)
{
    public LlmSelection Selection { get; } = selection;
}

using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel: one consumer over the event queue. Each event becomes one kernel-agent turn with the
/// process tools; its messages join the persisted conversation, and the event is marked done in the
/// journal only after the turn, so a crash re-runs it and a finished event never runs twice.
/// </summary>
public sealed partial class KernelLoop : BackgroundService
{
    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly KernelLlm _llm;
    private readonly ProcessTools _tools;
    private readonly DriverRegistry _drivers;
    private readonly ILogger<KernelLoop> _logger;
    private readonly List<ChatMessage> _history = [];

    public KernelLoop(KernelOptions options, KernelDatabase database, EventIntake intake, EventHub hub, KernelLlm llm, ProcessTools tools,
        DriverRegistry drivers, ILogger<KernelLoop> logger)
    {
        _options = options;
        _database = database;
        _intake = intake;
        _hub = hub;
        _llm = llm;
        _tools = tools;
        _drivers = drivers;
        _logger = logger;
        foreach (var json in database.RecentHistory(options.HistoryWindow))
        {
            if (JsonSerializer.Deserialize<ChatMessage>(json, AIJsonUtilities.DefaultOptions) is { } message)
            {
                _history.Add(message);
            }
        }
        TrimHistory();
    }

    /// <summary>The event being run, if any (for /health).</summary>
    public long? Current { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
                await RunTurnAsync(e, stoppingToken);
                Current = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunTurnAsync(JournaledEvent e, CancellationToken cancellationToken)
    {
        LogTurn(_logger, e.Id, e.Kind);
        string output;
        bool success;
        if (_llm.Selection.Client is null)
        {
            (success, output) = (false, _llm.Selection.Status);
        }
        else
        {
            var instructions = KernelInstructions();
            var runner = new AgentRunner(_llm.Selection.Client, new AgentLimits { MaxTurns = 10, MaxToolCalls = 10 }, _logger);
            AgentRunResult result;
            try
            {
                result = await runner.RunAsync(instructions, _history, e.Text, _tools.AsFunctions(), null, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Shutting down mid-turn: the event stays pending and runs again after restart.
                return;
            }
            (success, output) = (result.Success, result.Output.Trim());
            if (result.Success)
            {
                _history.AddRange(result.NewMessages);
                _database.AppendHistory(result.NewMessages.Select(m => JsonSerializer.Serialize(m, AIJsonUtilities.DefaultOptions)));
                TrimHistory();
            }
        }

        var (workerId, done) = CallbackFields(e);
        var shown = success ? output : "Error: " + output;
        _database.CompleteEvent(e.Id, shown);
        if (!_intake.CompleteChat(e.Id, shown))
        {
            // Not a waiting /chat (a callback, speech, or a chat whose caller went away): push it to /updates.
            _hub.PushOutgoing("model", shown, success ? null : workerId, success ? null : done);
        }
        else
        {
            _hub.Publish("kernel_output", new { role = "model", content = shown, event_id = e.Id });
        }
        LogTurnDone(_logger, e.Id, success);
    }

    private string KernelInstructions()
    {
        var path = Path.Combine(_options.ConfigDirectory, "kernel.txt");
        var template = File.Exists(path)
            ? File.ReadAllText(path).Trim()
            : "You are the kernel of an agentic operating system integrated with robots.\nHere is a list of the available robots and their descriptions:\n{robot_list}";
        return template.Replace("{robot_list}", _drivers.RobotList(), StringComparison.Ordinal);
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

    private static (string? WorkerId, bool? Done) CallbackFields(JournaledEvent e)
    {
        if (e.Kind != "callback")
        {
            return (null, null);
        }
        using var doc = JsonDocument.Parse(e.Payload);
        return (doc.RootElement.GetProperty("worker_id").GetString(), doc.RootElement.GetProperty("done").GetBoolean());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel turn for event {Id} ({Kind})")]
    private static partial void LogTurn(ILogger logger, long id, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kernel turn for event {Id} finished (success={Success})")]
    private static partial void LogTurnDone(ILogger logger, long id, bool success);
}

/// <summary>The kernel's LLM provider, chosen once at start.</summary>
public sealed class KernelLlm(LlmSelection selection)
{
    public LlmSelection Selection { get; } = selection;
}

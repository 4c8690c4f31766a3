using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace RosaOS.Kernel;

/// <summary>Where a kernel tool call sits in the journal: the event's turn and the step's position in it.</summary>
/// <param name="EventId">The journal event whose turn makes the call.</param>
/// <param name="Seq">The step's position in the turn.</param>
public sealed record KernelStep(long EventId, int Seq)
{
    private static readonly AsyncLocal<KernelStep?> s_current = new();

    /// <summary>The step whose tool call is running on this async flow (null outside a journaled call).</summary>
    public static KernelStep? Current
    {
        get => s_current.Value;
        internal set => s_current.Value = value;
    }

    /// <summary>
    /// The task id a launch at this step gets: derived from the step, so a re-run of the turn finds the
    /// task it already launched instead of launching a second one.
    /// </summary>
    public string TaskId => new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"rosa-task/{EventId}/{Seq}"))[..16]).ToString();
}

/// <summary>What a re-run does with a tool call that was journaled as started but has no recorded result.</summary>
public enum StepRecovery
{
    /// <summary>Run it again: it reads state or repeating it changes nothing.</summary>
    RunAgain,

    /// <summary>Ask <see cref="KernelTool.LookUp"/> whether it took effect; run it if that says it did not.</summary>
    LookUp,

    /// <summary>Do not repeat it: the model is told that its outcome is unknown.</summary>
    Unknown,
}

/// <summary>A tool of the kernel agent with what to do when its call was interrupted by a crash.</summary>
/// <param name="Function">The tool.</param>
/// <param name="WhenInterrupted">Recovery of a call journaled as started without a result.</param>
/// <param name="LookUp">For <see cref="StepRecovery.LookUp"/>: the call's result if it took effect, else null.</param>
public sealed record KernelTool(AIFunction Function, StepRecovery WhenInterrupted, Func<KernelStep, string?>? LookUp = null);

/// <summary>
/// The journal of one kernel turn. Every LLM response is recorded when it arrives and every tool call
/// before it runs (started) and after (with its result, before the model sees it). A re-run of the turn
/// after a crash gets the recorded responses and results back without asking the model or running the
/// tool again; the first step that was not recorded runs for real.
/// </summary>
internal sealed partial class TurnJournal
{
    private readonly KernelDatabase _database;
    private readonly long _eventId;
    private readonly ILogger _logger;
    private readonly Dictionary<int, TurnStep> _recorded;
    private int _next;

    public TurnJournal(KernelDatabase database, long eventId, ILogger logger)
    {
        _database = database;
        _eventId = eventId;
        _logger = logger;
        _recorded = database.Steps(eventId).ToDictionary(s => s.Seq);
    }

    /// <summary>Steps recorded by an earlier, interrupted run of this turn.</summary>
    public int RecordedSteps => _recorded.Count;

    /// <summary>The model, with recorded responses replayed.</summary>
    public IChatClient Wrap(IChatClient client) => new JournaledChatClient(client, this);

    /// <summary>The tools, with recorded results replayed and new calls journaled.</summary>
    public IReadOnlyList<AIFunction> Wrap(IReadOnlyList<KernelTool> tools) => [.. tools.Select(t => (AIFunction)new JournaledFunction(t, this))];

    private KernelStep Next() => new(_eventId, _next++);

    private TurnStep? Recorded(int seq, string kind, string? name)
    {
        if (!_recorded.TryGetValue(seq, out var step))
        {
            return null;
        }
        if (step.Kind == kind && step.Name == name)
        {
            return step;
        }
        // The re-run took another path than the recording (e.g. the code changed between runs): from here on, run live.
        LogDiverged(_logger, _eventId, seq, $"{step.Kind} {step.Name}", $"{kind} {name}");
        foreach (var later in _recorded.Keys.Where(k => k >= seq).ToList())
        {
            _recorded.Remove(later);
        }
        return null;
    }

    private void Save(TurnStep step) => _database.SaveStep(_eventId, step);

    private static string Serialize(object? value) => JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions);

    private sealed class JournaledChatClient(IChatClient inner, TurnJournal journal) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var step = journal.Next();
            if (journal.Recorded(step.Seq, "llm", null) is { Result: { } recorded }
                && JsonSerializer.Deserialize<List<ChatMessage>>(recorded, AIJsonUtilities.DefaultOptions) is { } replayed)
            {
                return new ChatResponse(replayed);
            }
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            journal.Save(new TurnStep(step.Seq, "llm", null, null, Serialize(response.Messages)));
            return response;
        }
    }

    private sealed class JournaledFunction(KernelTool tool, TurnJournal journal) : DelegatingAIFunction(tool.Function)
    {
        protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            var step = journal.Next();
            var recorded = journal.Recorded(step.Seq, "tool", Name);
            if (recorded is { Result: { } result })
            {
                return JsonSerializer.Deserialize<JsonElement>(result);
            }
            var json = Serialize(arguments);
            if (recorded is not null)
            {
                string? known = null;
                if (tool.WhenInterrupted == StepRecovery.LookUp)
                {
                    known = tool.LookUp?.Invoke(step);
                }
                else if (tool.WhenInterrupted == StepRecovery.Unknown)
                {
                    known = $"Error: the outcome of this {Name} call is unknown: the kernel stopped while it ran. Check the current state before trying again.";
                }
                if (known is not null)
                {
                    journal.Save(new TurnStep(step.Seq, "tool", Name, json, Serialize(known)));
                    return known;
                }
            }
            journal.Save(new TurnStep(step.Seq, "tool", Name, json, null));
            object? value;
            KernelStep.Current = step;
            try
            {
                value = await base.InvokeCoreAsync(arguments, cancellationToken);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // The agent loop would turn this into the same text; recording it keeps a re-run identical.
                value = $"Error: {Name} failed: {e.Message}";
            }
            finally
            {
                KernelStep.Current = null;
            }
            journal.Save(new TurnStep(step.Seq, "tool", Name, json, Serialize(value)));
            return value;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-run of event {EventId} left its recording at step {Seq} (recorded {Recorded}, now {Now}); the rest of the turn runs live")]
    private static partial void LogDiverged(ILogger logger, long eventId, int seq, string recorded, string now);
}

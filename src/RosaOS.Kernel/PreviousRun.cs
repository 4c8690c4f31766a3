using System.Text;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;

namespace RosaOS.Kernel;

/// <summary>
/// What a kernel does at start about the run before it: ends that run's workers that are still alive
/// (by pid and start time), and turns every task that was running into one failure callback saying the
/// worker was lost when the kernel stopped and what it had done according to the audit log, with each
/// effect whose outcome is unknown named as such. The task is never re-run silently: the kernel agent
/// (or the user) decides whether to try again.
/// </summary>
public sealed partial class PreviousRun(KernelDatabase database, EventIntake intake, WorkerSpawner spawner, ILogger<PreviousRun> logger)
{
    /// <summary>How long old workers get to stop their motion after SIGTERM before SIGKILL.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    /// <summary>Ends old workers, then reports lost tasks; returns how many tasks were lost.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        await spawner.EndPreviousRunAsync(Grace, cancellationToken);
        var lost = database.ProcessesLeftRunning();
        foreach (var task in lost)
        {
            var reason = LostReason(database.AuditOf(task.WorkerId));
            // The same key as the worker's own callback: if it got through before the crash, this adds nothing.
            intake.AcceptCallback(task.WorkerId, WorkerEnvironment.CallbackMessage(false, task.SystemPrompt, reason), false,
                WorkerEnvironment.CallbackKey(task.WorkerId));
            task.State = "lost";
            task.Outcome = "the kernel stopped while it ran";
            task.EndedAt = DateTimeOffset.UtcNow;
            database.SaveProcess(task);
            LogLost(logger, task.WorkerId);
        }
        return lost.Count;
    }

    /// <summary>The failure reason of a lost task, from its audited tool calls.</summary>
    public static string LostReason(IReadOnlyList<AuditedCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var text = new StringBuilder("the worker was lost when the kernel stopped (workers stop the robot motion they started and exit when that happens). ");
        if (calls.Count == 0)
        {
            text.Append("According to the audit log it had not called any tool yet.");
            return text.ToString();
        }
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"According to the audit log it had made {calls.Count} tool call{(calls.Count == 1 ? "" : "s")}: ");
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            var outcome = !call.Finished
                ? "outcome unknown (it was running when the worker was lost; check the robot before trying again)"
                : call.IsError ? $"failed ({Short(call.Outcome)})" : $"done ({Short(call.Outcome)})";
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i + 1}. {call.Server}.{call.Tool} {Short(call.Arguments)}: {outcome}");
            text.Append(i < calls.Count - 1 ? "; " : ".");
        }
        text.Append(" Decide whether to try again.");
        return text.ToString();
    }

    private static string Short(string text) => text.Length > 160 ? text[..160] + "…" : text;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Task {WorkerId} was running when the previous kernel stopped; its worker is lost and a failure callback is queued")]
    private static partial void LogLost(ILogger logger, string workerId);
}

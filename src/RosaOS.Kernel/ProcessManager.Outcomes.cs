using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

// Outcomes: how a task ends (callback, failure, termination): its row, its leases, the event, the failure callback.
public sealed partial class ProcessManager
{
    /// <summary>A callback arrived (and is journaled): the task is over, its pool slot is free.</summary>
    public void MarkFinished(string workerId, bool done)
    {
        if (TakeRunning(workerId) is not { } running)
        {
            return;
        }
        running.Timeout.Dispose();
        End(running.Info, done ? "done" : "failed", done ? "reported success" : "reported failure");
    }

    private void End(ProcessInfo info, string state, string outcome)
    {
        info.State = state;
        info.Outcome = outcome;
        info.EndedAt = DateTimeOffset.UtcNow;
        _database.SaveProcess(info);
        // Done, failed, terminated, timed out or killed: its robots pass to the next in line.
        _leases.Release(info.WorkerId);
        _hub.Publish(state switch { "terminated" => "process_terminated", "failed" => "process_failed", _ => "process_finished" }, info.ToRow(), KernelJson.Default.ProcessRow);
    }

    private void Fail(ProcessInfo info, string reason)
    {
        End(info, "failed", reason);
        LogWorkerLost(_logger, info.WorkerId, reason);
        var message = WorkerEnvironment.CallbackMessage(false, info.SystemPrompt, reason);
        if (!_stopping.IsCancellationRequested)
        {
            _intake.AcceptCallback(info.WorkerId, message, false, WorkerEnvironment.CallbackKey(info.WorkerId));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} failed: {Reason}")]
    private static partial void LogWorkerLost(ILogger logger, string workerId, string reason);

    /// <summary>Takes a running task out of the table and frees its pool slot; null when it already ended (once per task).</summary>
    private Running? TakeRunning(string workerId)
    {
        lock (_lock)
        {
            if (!_running.Remove(workerId, out var running))
            {
                return null;
            }
            foreach (var slot in _pool.Where(s => s.WorkerId == workerId))
            {
                slot.WorkerId = null;
            }
            return running;
        }
    }
}

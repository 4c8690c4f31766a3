using System.Text.Json;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

// launch_process: validation, the task line, and handing it to a pool worker or a new one-off worker.
public sealed partial class ProcessManager
{
    /// <summary>
    /// launch_process: validates, then hands the task to an idle pool worker or a new one-off process.
    /// <paramref name="workerId"/> (from a journaled kernel turn) makes the launch idempotent: a task with
    /// that id that already exists is not started again, its launch answer is returned.
    /// </summary>
    public string Launch(string systemPrompt, IReadOnlyList<string>? robots, string? workerId = null, long? eventId = null)
    {
        // A task the journal already launched keeps its answer even if the stop was engaged since: nothing runs twice.
        if (workerId is not null && _database.GetProcess(workerId) is { } existing)
        {
            LogAlreadyLaunched(_logger, workerId);
            return existing.LaunchAnswer();
        }
        if (_estop.Refusal is { } stopped)
        {
            return "Refused: no process can be launched: " + stopped;
        }
        if (string.IsNullOrWhiteSpace(systemPrompt))
        {
            return "Refused: system_prompt is empty; describe the task for the worker.";
        }
        if (systemPrompt.Length > _options.MaxSystemPromptChars)
        {
            return $"Refused: system_prompt is {systemPrompt.Length} characters, over the limit of {_options.MaxSystemPromptChars}. Shorten it.";
        }
        var enabled = _drivers.Enabled.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        var requested = robots is { Count: > 0 } ? robots : ["reachy-mini"];
        var valid = requested.Where(enabled.Contains).Distinct().ToList();
        var ignored = requested.Where(r => !enabled.Contains(r)).Distinct().ToList();
        var note = "";
        if (ignored.Count > 0)
        {
            note = $" Ignored unknown or unreachable robots: {string.Join(", ", ignored)} (available: {(enabled.Count > 0 ? string.Join(", ", enabled) : "none")}).";
            LogIgnoredRobots(_logger, string.Join(", ", ignored));
        }
        if (valid.Count == 0)
        {
            valid = ["reachy-mini"];
            note += " Falling back to reachy-mini.";
        }

        workerId ??= Guid.NewGuid().ToString();
        lock (_lock)
        {
            if (_running.Count >= _options.MaxWorkers)
            {
                return $"Refused: {_running.Count} workers are already running (limit {_options.MaxWorkers}). Wait for a callback or terminate one with terminate_process.";
            }
            // The launching turn's trace continues in the worker (its LLM requests and tool calls, then speak on the robot).
            var traceParent = TurnTracing.Format(System.Diagnostics.Activity.Current);
            // The task's robots as drivers.json gave them to the kernel: the worker does not read the file again.
            var task = JsonSerializer.Serialize(new WorkerTask(workerId, systemPrompt, valid, traceParent, WorkerDriver.For(valid, _drivers.Config)));
            foreach (var slot in IdlePoolSlots())
            {
                var info = new ProcessInfo
                {
                    WorkerId = workerId, Kind = "pool", SystemPrompt = systemPrompt, Robots = valid, EventId = eventId,
                    Pid = slot.Child!.Pid, PidStart = slot.Child.Identity?.StartTicks,
                };
                // The row exists before the worker can see the task: after a crash the task is found, never launched twice.
                _database.SaveProcess(info);
                if (!slot.Child.Send(task))
                {
                    LogPoolWriteFailed(_logger, slot.Index);
                    continue;
                }
                slot.WorkerId = workerId;
                Track(info, slot.Child);
                KeepWarm();
                return info.LaunchAnswer(note);
            }

            var oneOff = new ProcessInfo { WorkerId = workerId, Kind = "one-off", SystemPrompt = systemPrompt, Robots = valid, EventId = eventId };
            _database.SaveProcess(oneOff);
            WorkerChild child;
            try
            {
                child = _spawner.Start(pool: false);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                End(oneOff, "failed", "the worker process could not start: " + e.Message);
                return "Failed to launch worker: " + e.Message;
            }
            // The same task line as a pool worker's; a one-off worker runs it and exits. A pipe already closed means the
            // process died at start: its exit is noticed below and reported as the task's failure.
            if (!child.Send(task))
            {
                LogOneOffWriteFailed(_logger, workerId);
            }
            oneOff.Pid = child.Pid;
            oneOff.PidStart = child.Identity?.StartTicks;
            Track(oneOff, child);
            _ = WatchOneOffAsync(workerId, child);
            return oneOff.LaunchAnswer(note);
        }
    }

    /// <summary>The launch answer of a task that exists (any run), or null: what a re-run's interrupted launch_process looks up.</summary>
    public string? LaunchedAnswer(string workerId) => _database.GetProcess(workerId)?.LaunchAnswer();

    private void Track(ProcessInfo info, WorkerChild child)
    {
        var timeout = new Timer(_ => OnTimeout(info.WorkerId), null, _options.TaskTimeout, Timeout.InfiniteTimeSpan);
        _running[info.WorkerId] = new Running(info, child, timeout);
        _table[info.WorkerId] = info;
        _database.SaveProcess(info);
        _leases.Grant(info.WorkerId, info.Robots, info.SystemPrompt);
        _hub.Publish("process_launched", info.ToRow(), KernelJson.Default.ProcessRow);
        LogLaunched(_logger, info.WorkerId, info.Kind, info.Pid ?? 0);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} launched ({Kind}, pid {Pid})")]
    private static partial void LogLaunched(ILogger logger, string workerId, string kind, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {WorkerId} was already launched before the kernel restarted; not launching it again")]
    private static partial void LogAlreadyLaunched(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring robots that are not enabled: {Robots}")]
    private static partial void LogIgnoredRobots(ILogger logger, string robots);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to pool worker {Slot} failed (its stdin is closed)")]
    private static partial void LogPoolWriteFailed(ILogger logger, int slot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the task line of {WorkerId} to its one-off worker failed (its stdin is closed)")]
    private static partial void LogOneOffWriteFailed(ILogger logger, string workerId);
}

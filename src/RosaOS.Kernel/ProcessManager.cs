using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Hosting;

namespace RosaOS.Kernel;

/// <summary>
/// Runs tasks in worker processes (`rosa worker`): a pool of long-lived workers fed JSON task lines on
/// stdin, and one-off workers configured through the environment when the pool is busy. A task has one
/// identity (its worker_id) from launch to callback; its row is written before any process gets it, so a
/// task is never started twice, and a worker that exits or overruns its time limit without calling back
/// produces exactly one failure callback (it shares the task's callback idempotency key).
/// </summary>
public sealed partial class ProcessManager : IHostedService, IDisposable
{
    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly DriverRegistry _drivers;
    private readonly RosaOS.EmergencyStop.EmergencyStopLatch _estop;
    private readonly WorkerSpawner _spawner;
    private readonly LeaseCoordinator _leases;
    private readonly ILogger<ProcessManager> _logger;
    private readonly Lock _lock = new();
    private readonly List<Slot> _pool = [];
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProcessInfo> _table = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public ProcessManager(KernelOptions options, KernelDatabase database, EventIntake intake, EventHub hub, DriverRegistry drivers,
        RosaOS.EmergencyStop.EmergencyStopLatch estop, WorkerSpawner spawner, LeaseCoordinator leases, ILogger<ProcessManager> logger)
    {
        _leases = leases;
        _estop = estop;
        _options = options;
        _database = database;
        _intake = intake;
        _hub = hub;
        _drivers = drivers;
        _spawner = spawner;
        _logger = logger;
    }

    /// <summary>Tasks running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Sets the callback URL once the API port is known.</summary>
    public void SetCallbackUrl(string url) => _spawner.CallbackUrl = url;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Starts the pool (after the API listens, so workers can call back).</summary>
    public void StartPool()
    {
        lock (_lock)
        {
            for (var i = 0; i < _options.PoolSize; i++)
            {
                var slot = new Slot(i);
                _pool.Add(slot);
                if (i < _options.EffectivePoolWarm)
                {
                    StartPoolProcess(slot);
                }
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        // SIGTERM first: each worker stops the motion it started before it exits.
        await _spawner.StopAllAsync(TimeSpan.FromSeconds(2));
    }

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
            var task = JsonSerializer.Serialize(new WorkerTask(workerId, systemPrompt, valid, traceParent));
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
                child = _spawner.Start(pool: false, new Dictionary<string, string>
                {
                    ["WORKER_ID"] = workerId,
                    ["WORKER_SYSTEM_PROMPT"] = systemPrompt,
                    ["WORKER_MCP_SERVERS"] = string.Join(",", valid),
                    [WorkerEnvironment.TraceParent] = traceParent ?? "",
                });
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                End(oneOff, "failed", "the worker process could not start: " + e.Message);
                return "Failed to launch worker: " + e.Message;
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

    /// <summary>A callback arrived (and is journaled): the task is over, its pool slot is free.</summary>
    public void MarkFinished(string workerId, bool done)
    {
        Running? running;
        lock (_lock)
        {
            if (!_running.Remove(workerId, out running))
            {
                return;
            }
            foreach (var slot in _pool.Where(s => s.WorkerId == workerId))
            {
                slot.WorkerId = null;
            }
        }
        running.Timeout.Dispose();
        End(running.Info, done ? "done" : "failed", done ? "reported success" : "reported failure");
    }

    /// <summary>terminate_process: kills the worker (tree) and frees its slot; pool workers need force, as in the original.</summary>
    public string Terminate(string workerId, bool force)
    {
        Running? running;
        Slot? slot;
        lock (_lock)
        {
            if (!_running.TryGetValue(workerId, out running))
            {
                var old = _table.GetValueOrDefault(workerId) ?? _database.GetProcess(workerId);
                return old is not null ? $"Process {workerId} is not running (it is {old.State})." : "Process not found.";
            }
            slot = _pool.FirstOrDefault(s => s.WorkerId == workerId);
            if (slot is not null && !force)
            {
                return "This task is running in a pool worker (long-lived process). Terminating the task would be inefficient. Use force=True to terminate the task anyway.";
            }
            _running.Remove(workerId);
            if (slot is not null)
            {
                // The slot's process is replaced by a fresh one when its exit is noticed.
                slot.WorkerId = null;
            }
        }
        running.Timeout.Dispose();
        _spawner.Kill(running.Child);
        End(running.Info, "terminated", "terminated on request");
        var preview = Preview(running.Info.SystemPrompt);
        return slot is not null
            ? $"Process in pool worker with the task '{preview}' terminated successfully."
            : $"Process with the task '{preview}' terminated successfully.";
    }

    /// <summary>Terminates every running task (emergency stop); returns their ids.</summary>
    public IReadOnlyList<string> TerminateAll()
    {
        List<string> ids;
        lock (_lock)
        {
            ids = [.. _running.Keys];
        }
        foreach (var id in ids)
        {
            Terminate(id, force: true);
        }
        return ids;
    }

    /// <summary>Running tasks (get_processes).</summary>
    public IReadOnlyList<ProcessInfo> RunningProcesses()
    {
        lock (_lock)
        {
            return [.. _running.Values.Select(r => r.Info)];
        }
    }

    /// <summary>Every task this kernel run has seen, newest first.</summary>
    public IReadOnlyList<ProcessInfo> AllProcesses()
    {
        lock (_lock)
        {
            return [.. _table.Values.OrderByDescending(p => p.StartedAt)];
        }
    }

    /// <summary>Pids of the pool processes (for tests and /health).</summary>
    public IReadOnlyList<int> PoolPids()
    {
        lock (_lock)
        {
            return [.. _pool.Select(s => s.Child).OfType<WorkerChild>().Where(c => !c.HasExited).Select(c => c.Pid)];
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
    }

    private void Track(ProcessInfo info, WorkerChild child)
    {
        var timeout = new Timer(_ => OnTimeout(info.WorkerId), null, _options.TaskTimeout, Timeout.InfiniteTimeSpan);
        _running[info.WorkerId] = new Running(info, child, timeout);
        _table[info.WorkerId] = info;
        _database.SaveProcess(info);
        _leases.Grant(info.WorkerId, info.Robots, info.SystemPrompt);
        _hub.Publish("process_launched", info.ToJson());
        LogLaunched(_logger, info.WorkerId, info.Kind, info.Pid ?? 0);
    }

    private void End(ProcessInfo info, string state, string outcome)
    {
        info.State = state;
        info.Outcome = outcome;
        info.EndedAt = DateTimeOffset.UtcNow;
        _database.SaveProcess(info);
        // Done, failed, terminated, timed out or killed: its robots pass to the next in line.
        _leases.Release(info.WorkerId);
        _hub.Publish(state switch { "terminated" => "process_terminated", "failed" => "process_failed", _ => "process_finished" }, info.ToJson());
    }

    private void OnTimeout(string workerId)
    {
        Running? running;
        lock (_lock)
        {
            if (!_running.Remove(workerId, out running))
            {
                return;
            }
            foreach (var slot in _pool.Where(s => s.WorkerId == workerId))
            {
                slot.WorkerId = null;
            }
        }
        running.Timeout.Dispose();
        _spawner.Kill(running.Child);
        var seconds = _options.TaskTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        Fail(running.Info, $"the worker exceeded the time limit of {seconds} s and was killed");
    }

    /// <summary>A worker process ended; if its task had not called back, that is a failure the kernel must hear about.</summary>
    private void OnProcessExit(WorkerChild child, string? workerId)
    {
        if (workerId is null)
        {
            return;
        }
        Running? running;
        lock (_lock)
        {
            if (!_running.TryGetValue(workerId, out running) || running.Child != child)
            {
                return;
            }
            _running.Remove(workerId);
        }
        running.Timeout.Dispose();
        var code = child.HasExited ? child.Process.ExitCode : -1;
        var how = code > 128 ? $"was killed by signal {code - 128}" : $"exited with code {code}";
        Fail(running.Info, $"the worker process {how} before reporting back");
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

    private async Task WatchOneOffAsync(string workerId, WorkerChild child)
    {
        try
        {
            await child.Process.WaitForExitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // A one-off worker exits only after its callback was answered, and /event journals it and frees
        // the task before answering: a task still running here did not call back.
        _spawner.Forget(child);
        OnProcessExit(child, workerId);
    }

    /// <summary>
    /// The pool slots a task can go to (lock held): idle running ones, then a slot that never ran, started now (its
    /// stdin holds the task until it is ready, which takes no longer than a one-off worker's start).
    /// </summary>
    private IEnumerable<Slot> IdlePoolSlots()
    {
        foreach (var slot in _pool.Where(s => s.WorkerId is null && s.Child is { HasExited: false }).ToList())
        {
            yield return slot;
        }
        if (_pool.FirstOrDefault(s => !s.Started) is { } cold)
        {
            StartPoolProcess(cold);
            if (cold.Child is { HasExited: false })
            {
                yield return cold;
            }
        }
    }

    /// <summary>
    /// Starts a slot that never ran when fewer than the warm count are idle (lock held): the next task still finds a
    /// pool worker, already starting. A slot once started stays started (it is restarted when its process exits).
    /// </summary>
    private void KeepWarm()
    {
        var idle = _pool.Count(s => s.WorkerId is null && s.Child is { HasExited: false });
        if (idle >= _options.EffectivePoolWarm)
        {
            return;
        }
        if (_pool.FirstOrDefault(s => !s.Started) is { } cold)
        {
            StartPoolProcess(cold);
        }
    }

    private void StartPoolProcess(Slot slot)
    {
        slot.Started = true;
        try
        {
            slot.Child = _spawner.Start(pool: true, new Dictionary<string, string> { ["WORKER_POOL"] = "1" });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            LogPoolStartFailed(_logger, slot.Index, e.Message);
            return;
        }
        _ = WatchPoolAsync(slot, slot.Child);
    }

    private async Task WatchPoolAsync(Slot slot, WorkerChild child)
    {
        try
        {
            await child.Process.WaitForExitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        string? workerId;
        lock (_lock)
        {
            workerId = slot.WorkerId;
            slot.WorkerId = null;
            slot.Child = null;
        }
        _spawner.Forget(child);
        OnProcessExit(child, workerId);
        LogPoolExited(_logger, slot.Index, child.Process.ExitCode);
        child.Process.Dispose();
        // Back off a little so a worker that dies at start does not spin the CPU.
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), _stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        lock (_lock)
        {
            if (!_stopping.IsCancellationRequested && slot.Child is null)
            {
                StartPoolProcess(slot);
            }
        }
    }

    private static string Preview(string prompt) => prompt.Length > 200 ? prompt[..200] + "…" : prompt;

    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public WorkerChild? Child { get; set; }

        public string? WorkerId { get; set; }

        /// <summary>The slot's process was started once (it is kept, and restarted when it exits).</summary>
        public bool Started { get; set; }
    }

    private sealed record Running(ProcessInfo Info, WorkerChild Child, Timer Timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} launched ({Kind}, pid {Pid})")]
    private static partial void LogLaunched(ILogger logger, string workerId, string kind, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {WorkerId} was already launched before the kernel restarted; not launching it again")]
    private static partial void LogAlreadyLaunched(ILogger logger, string workerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} failed: {Reason}")]
    private static partial void LogWorkerLost(ILogger logger, string workerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring robots that are not enabled: {Robots}")]
    private static partial void LogIgnoredRobots(ILogger logger, string robots);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to pool worker {Slot} failed (its stdin is closed)")]
    private static partial void LogPoolWriteFailed(ILogger logger, int slot);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pool worker {Slot} could not start: {Reason}")]
    private static partial void LogPoolStartFailed(ILogger logger, int slot, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool worker {Slot} exited with code {Code}; restarting it")]
    private static partial void LogPoolExited(ILogger logger, int slot, int code);
}

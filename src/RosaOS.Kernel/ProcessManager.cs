using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;

namespace RosaOS.Kernel;

/// <summary>A row of the process table.</summary>
public sealed class ProcessInfo
{
    public required string WorkerId { get; init; }

    /// <summary>"pool" or "one-off".</summary>
    public required string Kind { get; init; }

    public int? Pid { get; set; }

    public required string SystemPrompt { get; init; }

    public required IReadOnlyList<string> Robots { get; init; }

    /// <summary>running, done, failed, terminated, lost.</summary>
    public string State { get; set; } = "running";

    public DateTimeOffset StartedAt { get; init; } = DateTimeOffset.UtcNow;

    public DateTimeOffset? EndedAt { get; set; }

    public string? Outcome { get; set; }

    /// <summary>The JSON shape of GET /api/processes and get_processes.</summary>
    public Dictionary<string, object?> ToJson() => new()
    {
        ["worker_id"] = WorkerId,
        ["system_prompt"] = SystemPrompt,
        ["robots"] = Robots,
        ["kind"] = Kind,
        ["pid"] = Pid,
        ["state"] = State,
        ["started_at"] = StartedAt.ToString("O"),
        ["ended_at"] = EndedAt?.ToString("O"),
        ["outcome"] = Outcome,
    };
}

/// <summary>
/// Launches and supervises worker processes (`rosa worker`): a pool of long-lived workers fed JSON task
/// lines on stdin, and one-off workers configured through the environment when the pool is busy.
/// A worker that exits or overruns its time limit without calling back produces a failure callback,
/// so no task is ever silently lost.
/// </summary>
public sealed partial class ProcessManager : IHostedService, IDisposable
{
    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly DriverRegistry _drivers;
    private readonly RosaOS.EmergencyStop.EmergencyStopLatch _estop;
    private readonly ILogger<ProcessManager> _logger;
    private readonly Lock _lock = new();
    private readonly List<Slot> _pool = [];
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProcessInfo> _table = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private string _callbackUrl = "";

    public ProcessManager(KernelOptions options, KernelDatabase database, EventIntake intake, EventHub hub, DriverRegistry drivers,
        RosaOS.EmergencyStop.EmergencyStopLatch estop, ILogger<ProcessManager> logger)
    {
        _estop = estop;
        _options = options;
        _database = database;
        _intake = intake;
        _hub = hub;
        _drivers = drivers;
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
    public void SetCallbackUrl(string url) => _callbackUrl = url;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var lost = _database.MarkOrphanedProcesses();
        if (lost > 0)
        {
            LogOrphans(_logger, lost);
        }
        return Task.CompletedTask;
    }

    /// <summary>Starts the pool (after the API listens, so workers can call back).</summary>
    public void StartPool()
    {
        lock (_lock)
        {
            for (var i = 0; i < _options.PoolSize; i++)
            {
                var slot = new Slot(i);
                _pool.Add(slot);
                StartPoolProcess(slot);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        List<Process> processes;
        lock (_lock)
        {
            processes = [.. _pool.Select(s => s.Process).OfType<Process>(), .. _running.Values.Select(r => r.Process).OfType<Process>()];
        }
        foreach (var process in processes.Distinct())
        {
            Kill(process);
        }
    }

    /// <summary>launch_process: validates, then hands the task to an idle pool worker or a new one-off process.</summary>
    public string Launch(string systemPrompt, IReadOnlyList<string>? robots)
    {
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

        var workerId = Guid.NewGuid().ToString();
        lock (_lock)
        {
            if (_running.Count >= _options.MaxWorkers)
            {
                return $"Refused: {_running.Count} workers are already running (limit {_options.MaxWorkers}). Wait for a callback or terminate one with terminate_process.";
            }
            var info = new ProcessInfo { WorkerId = workerId, Kind = "pool", SystemPrompt = systemPrompt, Robots = valid };
            var task = JsonSerializer.Serialize(new WorkerTask(workerId, systemPrompt, valid));
            foreach (var slot in _pool.Where(s => s.WorkerId is null && s.Process is { HasExited: false }))
            {
                try
                {
                    slot.Process!.StandardInput.WriteLine(task);
                    slot.Process.StandardInput.Flush();
                }
                catch (IOException e)
                {
                    LogPoolWriteFailed(_logger, slot.Index, e.Message);
                    continue;
                }
                slot.WorkerId = workerId;
                info.Pid = slot.Process.Id;
                Track(info, slot.Process);
                return "Worker launched successfully (pool). Worker ID: " + workerId + note;
            }

            var oneOff = new ProcessInfo { WorkerId = workerId, Kind = "one-off", SystemPrompt = systemPrompt, Robots = valid };
            Process process;
            try
            {
                process = StartWorkerProcess(pool: false, new Dictionary<string, string>
                {
                    ["WORKER_ID"] = workerId,
                    ["WORKER_SYSTEM_PROMPT"] = systemPrompt,
                    ["WORKER_MCP_SERVERS"] = string.Join(",", valid),
                });
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
            {
                return "Failed to launch worker: " + e.Message;
            }
            oneOff.Pid = process.Id;
            Track(oneOff, process);
            _ = WatchOneOffAsync(workerId, process);
            return "Worker launched successfully. Worker ID: " + workerId + note;
        }
    }

    /// <summary>A callback arrived: the task is over, its pool slot is free.</summary>
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
                return _table.TryGetValue(workerId, out var old)
                    ? $"Process {workerId} is not running (it is {old.State})."
                    : "Process not found.";
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
        Kill(running.Process);
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
            return [.. _pool.Select(s => s.Process).OfType<Process>().Where(p => !p.HasExited).Select(p => p.Id)];
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
    }

    private void Track(ProcessInfo info, Process process)
    {
        var timeout = new Timer(_ => OnTimeout(info.WorkerId), null, _options.TaskTimeout, Timeout.InfiniteTimeSpan);
        _running[info.WorkerId] = new Running(info, process, timeout);
        _table[info.WorkerId] = info;
        _database.SaveProcess(info);
        _hub.Publish("process_launched", info.ToJson());
        LogLaunched(_logger, info.WorkerId, info.Kind, info.Pid ?? 0);
    }

    private void End(ProcessInfo info, string state, string outcome)
    {
        info.State = state;
        info.Outcome = outcome;
        info.EndedAt = DateTimeOffset.UtcNow;
        _database.SaveProcess(info);
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
        Kill(running.Process);
        var seconds = _options.TaskTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);
        Fail(running.Info, $"the worker exceeded the time limit of {seconds} s and was killed");
    }

    /// <summary>A worker process ended; if its task had not called back, that is a failure the kernel must hear about.</summary>
    private void OnProcessExit(Process process, string? workerId)
    {
        if (workerId is null)
        {
            return;
        }
        Running? running;
        lock (_lock)
        {
            if (!_running.TryGetValue(workerId, out running) || running.Process != process)
            {
                return;
            }
            _running.Remove(workerId);
        }
        running.Timeout.Dispose();
        var code = process.HasExited ? process.ExitCode : -1;
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
            _ = _intake.AcceptCallbackAsync(info.WorkerId, message, false, _stopping.Token);
        }
    }

    private async Task WatchOneOffAsync(string workerId, Process process)
    {
        try
        {
            await process.WaitForExitAsync(_stopping.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        // A one-off worker posts its callback before exiting; give that request a moment to be handled.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        OnProcessExit(process, workerId);
    }

    private void StartPoolProcess(Slot slot)
    {
        try
        {
            slot.Process = StartWorkerProcess(pool: true, new Dictionary<string, string> { ["WORKER_POOL"] = "1" });
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            LogPoolStartFailed(_logger, slot.Index, e.Message);
            return;
        }
        var process = slot.Process;
        _ = WatchPoolAsync(slot, process);
    }

    private async Task WatchPoolAsync(Slot slot, Process process)
    {
        try
        {
            await process.WaitForExitAsync(_stopping.Token);
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
            slot.Process = null;
        }
        OnProcessExit(process, workerId);
        LogPoolExited(_logger, slot.Index, process.ExitCode);
        process.Dispose();
        // Back off a little so a worker that dies at start does not spin the CPU.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        lock (_lock)
        {
            if (!_stopping.IsCancellationRequested && slot.Process is null)
            {
                StartPoolProcess(slot);
            }
        }
    }

    private Process StartWorkerProcess(bool pool, Dictionary<string, string> environment)
    {
        var rosa = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the rosa program to start workers");
        var psi = new ProcessStartInfo(rosa) { UseShellExecute = false, RedirectStandardInput = pool };
        psi.ArgumentList.Add("worker");
        if (pool)
        {
            psi.ArgumentList.Add("--pool");
        }
        psi.Environment["CALLBACK_URL"] = _callbackUrl;
        psi.Environment["ROSAOS_CONFIG_DIR"] = Path.GetFullPath(_options.ConfigDirectory);
        psi.Environment[WorkerEnvironment.MaxTurns] = _options.WorkerMaxTurns.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.MaxToolCalls] = _options.WorkerMaxToolCalls.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.MaxPromptChars] = _options.WorkerMaxPromptChars.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        return Process.Start(psi) ?? throw new InvalidOperationException("the worker process did not start");
    }

    private void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            LogKillFailed(_logger, e.Message);
        }
    }

    private static string Preview(string prompt) => prompt.Length > 200 ? prompt[..200] + "…" : prompt;

    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public Process? Process { get; set; }

        public string? WorkerId { get; set; }
    }

    private sealed record Running(ProcessInfo Info, Process Process, Timer Timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {WorkerId} launched ({Kind}, pid {Pid})")]
    private static partial void LogLaunched(ILogger logger, string workerId, string kind, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} failed: {Reason}")]
    private static partial void LogWorkerLost(ILogger logger, string workerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring robots that are not enabled: {Robots}")]
    private static partial void LogIgnoredRobots(ILogger logger, string robots);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing to pool worker {Slot} failed: {Reason}")]
    private static partial void LogPoolWriteFailed(ILogger logger, int slot, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Pool worker {Slot} could not start: {Reason}")]
    private static partial void LogPoolStartFailed(ILogger logger, int slot, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool worker {Slot} exited with code {Code}; restarting it")]
    private static partial void LogPoolExited(ILogger logger, int slot, int code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing a worker failed: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} processes of a previous kernel run were still marked running; marked lost")]
    private static partial void LogOrphans(ILogger logger, int count);
}

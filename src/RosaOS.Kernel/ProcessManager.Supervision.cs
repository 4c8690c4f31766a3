using System.Globalization;

namespace RosaOS.Kernel;

// Supervision: termination on request, the time limit, and the exit of a worker that did not call back.
public sealed partial class ProcessManager
{
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

    private void OnTimeout(string workerId)
    {
        if (TakeRunning(workerId) is not { } running)
        {
            return;
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

    private static string Preview(string prompt) => prompt.Length > 200 ? prompt[..200] + "…" : prompt;
}

using Microsoft.Extensions.Logging;

namespace RosaOS.Kernel;

// The pool: long-lived workers started at start-up or on demand, kept warm, restarted when they exit.
public sealed partial class ProcessManager
{
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

    /// <summary>Pids of the pool processes (for tests and /health).</summary>
    public IReadOnlyList<int> PoolPids()
    {
        lock (_lock)
        {
            return [.. _pool.Select(s => s.Child).OfType<WorkerChild>().Where(c => !c.HasExited).Select(c => c.Pid)];
        }
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
            slot.Child = _spawner.Start(pool: true);
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

    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public WorkerChild? Child { get; set; }

        public string? WorkerId { get; set; }

        /// <summary>The slot's process was started once (it is kept, and restarted when it exits).</summary>
        public bool Started { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Pool worker {Slot} could not start: {Reason}")]
    private static partial void LogPoolStartFailed(ILogger logger, int slot, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pool worker {Slot} exited with code {Code}; restarting it")]
    private static partial void LogPoolExited(ILogger logger, int slot, int code);
}

using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Hosting;

namespace RosaOS.Kernel;

/// <summary>
/// One `rosa worker` OS process of this kernel. Its stdin is the kernel's line to it: task lines (many for a pool
/// worker, one for a one-off worker) and a blank heartbeat line every half second. When the kernel dies the pipe closes and the
/// worker sees end-of-file at once; when the kernel hangs the heartbeats stop. Either way the worker
/// stops the motion it started and exits.
/// </summary>
public sealed class WorkerChild
{
    private readonly Lock _stdin = new();

    internal WorkerChild(Process process, ProcessIdentity? identity, bool pool)
    {
        Process = process;
        Identity = identity;
        Pool = pool;
    }

    public Process Process { get; }

    /// <summary>Pid and start time; null if the process was gone before they could be read.</summary>
    public ProcessIdentity? Identity { get; }

    public bool Pool { get; }

    public int Pid => Process.Id;

    public bool HasExited
    {
        get
        {
            try
            {
                return Process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    /// <summary>Writes one line to the worker's stdin; false when the pipe is closed (the worker exited).</summary>
    public bool Send(string line)
    {
        lock (_stdin)
        {
            try
            {
                Process.StandardInput.WriteLine(line);
                Process.StandardInput.Flush();
                return true;
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                return false;
            }
        }
    }
}

/// <summary>
/// Starts worker processes, records each one (pid and start time) in the database so that the next
/// kernel can end it if it outlives this one, sends the heartbeats, and stops them all in an orderly way:
/// SIGTERM first so each worker stops its robot motion, SIGKILL after a grace period.
/// </summary>
public sealed partial class WorkerSpawner : IDisposable
{
    /// <summary>How often every worker gets a heartbeat line.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(500);

    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly ILogger<WorkerSpawner> _logger;
    private readonly List<WorkerChild> _children = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _heartbeat;

    public WorkerSpawner(KernelOptions options, KernelDatabase database, ILogger<WorkerSpawner> logger)
    {
        _options = options;
        _database = database;
        _logger = logger;
    }

    /// <summary>Where workers post callbacks (set once the API port is known).</summary>
    public string CallbackUrl { get; set; } = "";

    /// <summary>Starts a worker; it gets its task lines on stdin (<see cref="WorkerChild.Send"/>): a pooled one many, a one-off one one.</summary>
    public WorkerChild Start(bool pool)
    {
        var rosa = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the rosa program to start workers");
        var psi = new ProcessStartInfo(rosa) { UseShellExecute = false, RedirectStandardInput = true };
        psi.ArgumentList.Add("worker");
        if (pool)
        {
            psi.ArgumentList.Add("--pool");
        }
        foreach (var name in WorkerEnvironment.HandStarted)
        {
            psi.Environment.Remove(name);
        }
        psi.Environment["CALLBACK_URL"] = CallbackUrl;
        psi.Environment["ROSAOS_CONFIG_DIR"] = Path.GetFullPath(_options.ConfigDirectory);
        psi.Environment[WorkerEnvironment.MaxTurns] = _options.WorkerMaxTurns.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.MaxToolCalls] = _options.WorkerMaxToolCalls.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.MaxPromptChars] = _options.WorkerMaxPromptChars.ToString(CultureInfo.InvariantCulture);
        var kernel = ProcessIdentity.Current;
        psi.Environment[WorkerEnvironment.KernelPid] = kernel.Pid.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.KernelStart] = kernel.StartTicks.ToString(CultureInfo.InvariantCulture);
        psi.Environment[WorkerEnvironment.HeartbeatMs] = ((int)HeartbeatInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("the worker process did not start");
        var child = new WorkerChild(process, ProcessIdentity.Of(process.Id), pool);
        if (child.Identity is { } identity)
        {
            _database.AddChild(identity, pool ? "pool" : "one-off");
        }
        lock (_lock)
        {
            _children.Add(child);
            if (_heartbeat is null)
            {
                // A dedicated thread: a busy thread pool must not starve the heartbeats and make workers think the kernel is gone.
                _heartbeat = new Thread(BeatLoop) { IsBackground = true, Name = "worker heartbeat" };
                _heartbeat.Start();
            }
        }
        return child;
    }

    /// <summary>A worker exited: no more heartbeats, and the next kernel need not look for it.</summary>
    public void Forget(WorkerChild child)
    {
        ArgumentNullException.ThrowIfNull(child);
        lock (_lock)
        {
            _children.Remove(child);
        }
        if (child.Identity is { } identity)
        {
            _database.RemoveChild(identity);
        }
    }

    /// <summary>Kills a worker and its process tree at once (terminate_process, time limit).</summary>
    public void Kill(WorkerChild child)
    {
        ArgumentNullException.ThrowIfNull(child);
        try
        {
            child.Process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            LogKillFailed(_logger, child.Pid, e.Message);
        }
    }

    /// <summary>Orderly stop of every worker: SIGTERM (each stops its motion and exits), then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAllAsync(TimeSpan grace)
    {
        await _stopping.CancelAsync();
        List<WorkerChild> children;
        lock (_lock)
        {
            children = [.. _children];
        }
        foreach (var child in children)
        {
            child.Identity?.Signal(ProcessIdentity.SigTerm);
        }
        using var deadline = new CancellationTokenSource(grace);
        try
        {
            await Task.WhenAll(children.Select(c => c.Process.WaitForExitAsync(deadline.Token)));
        }
        catch (OperationCanceledException)
        {
        }
        foreach (var child in children.Where(c => !c.HasExited))
        {
            Kill(child);
        }
        foreach (var child in children)
        {
            Forget(child);
        }
    }

    /// <summary>
    /// Ends the workers an earlier kernel run left alive (a hung or stopped worker cannot notice that its
    /// kernel died). Each is identified by pid AND start time, never by pid alone: SIGTERM, then SIGKILL
    /// after <paramref name="grace"/>. Returns the ones that were still alive.
    /// </summary>
    public async Task<IReadOnlyList<ProcessIdentity>> EndPreviousRunAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var recorded = _database.Children();
        var alive = recorded.Where(i => i.IsAlive()).ToList();
        foreach (var identity in alive)
        {
            identity.Signal(ProcessIdentity.SigTerm);
        }
        var watch = Stopwatch.StartNew();
        while (alive.Any(i => i.IsAlive()) && watch.Elapsed < grace)
        {
            // Not our children (they were reparented), so there is no exit event to wait on; /proc is the only witness.
            await Task.Delay(50, cancellationToken);
        }
        foreach (var identity in alive.Where(i => i.IsAlive()))
        {
            identity.Signal(ProcessIdentity.SigKill);
        }
        foreach (var identity in recorded)
        {
            _database.RemoveChild(identity);
        }
        if (alive.Count > 0)
        {
            LogEndedPreviousRun(_logger, alive.Count, string.Join(", ", alive.Select(i => i.Pid)));
        }
        return alive;
    }

    public void Dispose() => _stopping.Dispose();

    private void BeatLoop()
    {
        while (!_stopping.IsCancellationRequested)
        {
            List<WorkerChild> children;
            lock (_lock)
            {
                children = [.. _children];
            }
            foreach (var child in children)
            {
                child.Send("");
            }
            _stopping.Token.WaitHandle.WaitOne(HeartbeatInterval);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Killing worker process {Pid} failed: {Reason}")]
    private static partial void LogKillFailed(ILogger logger, int pid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ended {Count} worker processes left alive by the previous kernel run (pids {Pids})")]
    private static partial void LogEndedPreviousRun(ILogger logger, int count, string pids);
}

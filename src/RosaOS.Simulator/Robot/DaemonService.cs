using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>A background job of the daemon (start, stop, restart), as <c>GET /api/apps/job-status/{id}</c> reports it.</summary>
public sealed record JobInfo(string Command, string Status, IReadOnlyList<string> Logs);

/// <summary>
/// The daemon's lifecycle around the robot backend: starting → running → stopping → stopped, jobs for
/// start/stop/restart (one at a time: a second gets 409 "Daemon is busy."), and the status model.
/// </summary>
public sealed partial class DaemonService(RobotCore robot, SimOptions options, ILogger<DaemonService> logger)
{
    /// <summary>Version reported as the daemon's (the reachy_mini release this simulator follows).</summary>
    public const string DaemonVersion = "1.10.0.dev0";

    private const int JobCapacity = 100;

    private readonly Lock _lock = new();
    private readonly Dictionary<Guid, JobInfo> _jobs = [];
    private readonly Queue<Guid> _jobOrder = new();
    private DaemonState _state = DaemonState.NotInitialized;
    private bool _busy;
    private string _robotName = options.RobotName;
    private string? _error;

    /// <summary>Current lifecycle state.</summary>
    public DaemonState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>True when the REST gate lets robot routes through (backend built and ticking).</summary>
    public bool BackendRunning => robot.IsReady;

    /// <summary>The robot name (renamable at run time).</summary>
    public string RobotName
    {
        get
        {
            lock (_lock)
            {
                return _robotName;
            }
        }
        set
        {
            lock (_lock)
            {
                _robotName = value;
            }
        }
    }

    /// <summary>The daemon status model of a mockup-sim daemon.</summary>
    public DaemonStatus Status()
    {
        DaemonState state;
        string? error;
        lock (_lock)
        {
            state = _state;
            error = _error;
        }
        var backendUp = robot.IsReady && state is DaemonState.Running or DaemonState.Starting or DaemonState.Stopping;
        return new DaemonStatus
        {
            RobotName = RobotName,
            State = state,
            WirelessVersion = false,
            DesktopAppDaemon = false,
            SimulationEnabled = false,
            MockupSimEnabled = true,
            // Always true: the sim serves neither WebRTC (port 8443) nor the IPC camera socket, and the SDK's
            // ReachyMini() picks its media transport from this flag (false made it dial 8443 and hang).
            // The simulated camera is a rosaOS route (/sim/camera/frame.jpg), not SDK media.
            NoMedia = true,
            MediaReleased = false,
            CameraSpecsName = options.NoMedia ? "" : "generic",
            BackendStatus = backendUp ? new BackendStatus { MotorControlMode = robot.MotorMode } : null,
            Error = error,
            Version = DaemonVersion,
        };
    }

    /// <summary>A job's status, or null when unknown.</summary>
    public JobInfo? Job(Guid id)
    {
        lock (_lock)
        {
            return _jobs.GetValueOrDefault(id);
        }
    }

    /// <summary>Starts the backend (optionally waking up); null when busy.</summary>
    public Guid? Start(bool wakeUp) => RunJob("daemon-start", async (log, ct) => await StartCoreAsync(wakeUp, log, ct));

    /// <summary>Stops the backend (optionally going to sleep first); null when busy.</summary>
    public Guid? Stop(bool gotoSleep) => RunJob("daemon-stop", async (log, ct) => await StopCoreAsync(gotoSleep, log, ct));

    /// <summary>Stop without sleeping, then start without waking; null when busy.</summary>
    public Guid? Restart() => RunJob("daemon-restart", async (log, ct) =>
    {
        await StopCoreAsync(false, log, ct);
        await StartCoreAsync(false, log, ct);
    });

    /// <summary>Stops for process shutdown, waiting for the sleep sequence when asked.</summary>
    public async Task ShutdownAsync(bool gotoSleep, CancellationToken cancellationToken)
    {
        if (State is DaemonState.Running or DaemonState.Starting)
        {
            await StopCoreAsync(gotoSleep, _ => { }, cancellationToken);
        }
    }

    private Guid? RunJob(string command, Func<Action<string>, CancellationToken, Task> body)
    {
        var id = Guid.NewGuid();
        var logs = new List<string>();
        lock (_lock)
        {
            if (_busy)
            {
                return null;
            }
            _busy = true;
            _jobs[id] = new JobInfo(command, "in_progress", []);
            _jobOrder.Enqueue(id);
            while (_jobOrder.Count > JobCapacity)
            {
                _jobs.Remove(_jobOrder.Dequeue());
            }
        }
        void Log(string line)
        {
            lock (_lock)
            {
                logs.Add(line);
                if (_jobs.TryGetValue(id, out var job))
                {
                    _jobs[id] = job with { Logs = [.. logs] };
                }
            }
        }
        _ = Task.Run(async () =>
        {
            var status = "done";
            try
            {
                await body(Log, CancellationToken.None);
            }
            catch (Exception ex)
            {
                status = "failed";
                Log(ex.Message);
                LogJobFailed(command, ex);
            }
            finally
            {
                lock (_lock)
                {
                    _busy = false;
                    if (_jobs.TryGetValue(id, out var job))
                    {
                        _jobs[id] = job with { Status = status };
                    }
                }
            }
        });
        return id;
    }

    private async Task StartCoreAsync(bool wakeUp, Action<string> log, CancellationToken cancellationToken)
    {
        SetState(DaemonState.Starting);
        log("Starting the mockup-sim backend.");
        robot.StartBackend();
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (!robot.IsReady)
        {
            if (DateTime.UtcNow > deadline)
            {
                lock (_lock)
                {
                    _error = "Backend did not become ready within 2 s.";
                }
                SetState(DaemonState.Error);
                return;
            }
            await Task.Delay(5, cancellationToken);
        }
        if (wakeUp)
        {
            robot.MotorMode = MotorControlMode.Enabled;
            log("Waking up.");
            var handle = robot.Play("wake_up", null, Behaviours.WakeUpNominalS, Behaviours.WakeUp());
            await handle.Completion.WaitAsync(cancellationToken);
        }
        SetState(DaemonState.Running);
        log("Daemon running.");
        LogStarted(RobotName);
    }

    private async Task StopCoreAsync(bool gotoSleep, Action<string> log, CancellationToken cancellationToken)
    {
        SetState(DaemonState.Stopping);
        robot.CancelAll();
        if (gotoSleep && robot.IsReady)
        {
            log("Going to sleep.");
            var handle = robot.Play("goto_sleep", null, Behaviours.GotoSleepNominalS, Behaviours.ResetToSleep());
            await handle.Completion.WaitAsync(cancellationToken);
        }
        robot.StopBackend();
        SetState(DaemonState.Stopped);
        log("Daemon stopped.");
        LogStopped();
    }

    private void SetState(DaemonState state)
    {
        lock (_lock)
        {
            _state = state;
            if (state is DaemonState.Starting)
            {
                _error = null;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Simulated Reachy Mini '{Name}' running (mockup-sim).")]
    private partial void LogStarted(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backend stopped.")]
    private partial void LogStopped();

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {Command} failed.")]
    private partial void LogJobFailed(string command, Exception ex);
}

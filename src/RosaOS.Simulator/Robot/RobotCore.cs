using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Kinematics;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>Plays the sounds the daemon plays by itself (wake-up, sleep, a recorded move's sidecar).</summary>
public interface ISoundPlayer
{
    /// <summary>Queues a sound file by name or path; a missing file is logged, not an error (as the daemon does).</summary>
    void PlayFile(string file);
}

/// <summary>A move handed to the player; <see cref="Completion"/> ends when it completes, is cancelled or is dropped.</summary>
public sealed class MoveHandle
{
    internal MoveHandle(Guid id, string kind, string? name)
    {
        Id = id;
        Kind = kind;
        Name = name;
    }

    public Guid Id { get; }
    public string Kind { get; }
    public string? Name { get; }

    internal TaskCompletionSource<MoveOutcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The outcome, once the move has ended.</summary>
    public Task<MoveOutcome> Completion => Done.Task;
}

/// <summary>
/// The mockup-sim backend: a 100 Hz realtime thread that samples the running move every tick and runs the
/// 50 Hz control step every other tick (present := target, FK, IK of the Cartesian target), publishing an
/// immutable <see cref="RobotSnapshot"/>. One move at a time; streaming targets are ignored while one runs.
/// </summary>
public sealed partial class RobotCore : IDisposable
{
    /// <summary>The daemon's <c>INIT_ANTENNAS_JOINT_POSITIONS</c>.</summary>
    public static readonly double[] InitAntennas = [-0.1745, 0.1745];

    /// <summary>The daemon's <c>SLEEP_ANTENNAS_JOINT_POSITIONS</c>.</summary>
    public static readonly double[] SleepAntennas = [-3.05, 3.05];

    /// <summary>Antenna joint limits (URDF): ±π.</summary>
    public const double AntennaLimit = Math.PI;

    private const int MoveLogCapacity = 1000;
    private const int PeriodWindow = 1500;

    private readonly Lock _gate = new();
    private readonly HeadKinematics _kinematics = new();
    private readonly ILogger<RobotCore> _logger;
    private readonly RealtimeLoop _loop;
    private readonly List<MoveLogEntry> _moveLog = [];
    private readonly double[] _periods = new double[PeriodWindow];
    private int _periodCount;
    private long _lastControlTimestamp;
    private bool _moved;

    // State below is guarded by _gate and mutated on the loop thread or by short setters.
    private double[] _presentJoints = [.. HeadKinematics.SleepHeadJoints];
    private double[] _presentAntennas = [.. SleepAntennas];
    private double[] _presentPose = [.. HeadKinematics.SleepHeadPose];
    private double[]? _targetJoints;
    private double[]? _targetJointsPose;
    private bool _reseed;
    private double[]? _targetAntennas;
    private double[]? _targetPose;
    private double? _targetBodyYaw;
    private bool _ikRequired;
    private MotorControlMode _mode = MotorControlMode.Enabled;
    private ActiveMove? _active;
    private long _controlTicks;
    private long _ikFailures;
    private double[]? _hand;
    private double _handZ;
    private long _handUntil;
    private volatile RobotSnapshot _snapshot;
    private volatile bool _ready;

    public RobotCore(ILogger<RobotCore> logger, ISoundPlayer sound)
    {
        _logger = logger;
        Sound = sound;
        ResetToSleep();
        _snapshot = BuildSnapshot(DateTimeOffset.UtcNow);
        _loop = new RealtimeLoop("sim-control", TimeSpan.FromMilliseconds(10), OnTick);
    }

    /// <summary>Raised on the control thread after every 50 Hz control step, with the new snapshot. Handlers must not block.</summary>
    public event Action<RobotSnapshot>? ControlTick;

    /// <summary>Sounds the robot plays itself.</summary>
    public ISoundPlayer Sound { get; }

    /// <summary>The latest measured state.</summary>
    public RobotSnapshot Snapshot => _snapshot;

    /// <summary>True once the backend has run a control tick and until it is stopped (the daemon's <c>backend.ready</c>).</summary>
    public bool IsReady => _ready;

    /// <summary>True while a move runs.</summary>
    public bool IsMoveRunning
    {
        get
        {
            lock (_gate)
            {
                return _active is not null;
            }
        }
    }

    /// <summary>Ticks whose IK failed (unreachable pose) since start.</summary>
    public long IkFailures => Interlocked.Read(ref _ikFailures);

    /// <summary>Automatic body yaw (clamped relative to the head yaw); the SDK turns it on at connect.</summary>
    public bool AutomaticBodyYaw
    {
        get
        {
            lock (_gate)
            {
                return _kinematics.AutomaticBodyYaw;
            }
        }
        set
        {
            lock (_gate)
            {
                _kinematics.AutomaticBodyYaw = value;
                _ikRequired = _targetPose is not null || _targetBodyYaw is not null;
            }
            _loop.Wake();
        }
    }

    /// <summary>Starts the control thread.</summary>
    public void Start() => _loop.Start();

    /// <summary>Starts (or restarts) the backend from the sleep pose with motors enabled; the next tick makes it ready.</summary>
    public void StartBackend()
    {
        lock (_gate)
        {
            ResetToSleep();
            _started = true;
        }
        _loop.Wake();
    }

    private bool _started;
    private bool _unreachableWarned;

    /// <summary>Tears the backend down (the daemon's <c>backend = None</c>): cancels any move, stops publishing.</summary>
    public void StopBackend()
    {
        lock (_gate)
        {
            if (_active is { } active)
            {
                Finish(active, MoveOutcome.Cancelled);
            }
            _started = false;
            _ready = false;
        }
    }

    /// <summary>Motor control mode (stored only, as the mockup-sim does).</summary>
    public MotorControlMode MotorMode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }
        set
        {
            lock (_gate)
            {
                _mode = value;
            }
        }
    }

    /// <summary>
    /// Sets targets for the non-null parts (the daemon's <c>set_target</c>); false when ignored because a move runs.
    /// Antennas are clamped to ±π (the URDF limit); the clamp is logged.
    /// </summary>
    public bool TrySetTarget(double[]? head, double[]? antennas, double? bodyYaw)
    {
        lock (_gate)
        {
            if (_active is not null)
            {
                LogIgnoredWhileMoving();
                return false;
            }
            ApplyTargets(head, antennas, bodyYaw);
        }
        _loop.Wake();
        return true;
    }

    /// <summary>
    /// Simulation only: a hand moves the head. For <paramref name="hold"/> the measured head pose (what /api/state reports
    /// and the camera sees) is displaced by the rotation (in the head's frame) and the height change, while the targets,
    /// joints and moves are untouched, as a real head pushed against its servos reads back; then the hand lets go and the
    /// head is back at its target.
    /// </summary>
    public void MoveHeadByHand(double roll, double pitch, double yaw, double z, TimeSpan hold)
    {
        lock (_gate)
        {
            _hand = Transform.FromXyzRpy(0, 0, 0, roll, pitch, yaw);
            _handZ = z;
            _handUntil = Stopwatch.GetTimestamp() + (long)(hold.TotalSeconds * Stopwatch.Frequency);
        }
        _loop.Wake();
    }

    /// <summary>Clamps antenna angles to ±π; returns true when something changed.</summary>
    public static bool ClampAntennas(double[] antennas)
    {
        var clamped = false;
        for (var i = 0; i < antennas.Length; i++)
        {
            var v = Math.Clamp(antennas[i], -AntennaLimit, AntennaLimit);
            clamped |= v != antennas[i];
            antennas[i] = v;
        }
        return clamped;
    }

    /// <summary>
    /// Starts a move program unless one runs (then the handle completes at once as <see cref="MoveOutcome.Dropped"/>,
    /// as <c>play_move</c> does when its lock is taken).
    /// </summary>
    internal MoveHandle Play(string kind, string? name, double nominalDuration, IReadOnlyList<MoveStep> steps, Guid? id = null)
    {
        var handle = new MoveHandle(id ?? Guid.NewGuid(), kind, name);
        var entry = new MoveLogEntry
        {
            Uuid = handle.Id,
            Kind = kind,
            Name = name,
            DurationS = nominalDuration,
            StartedAt = DateTimeOffset.UtcNow,
            Outcome = "running",
        };
        lock (_gate)
        {
            if (_active is not null || !_ready && !_started)
            {
                LogMoveDropped(kind, name ?? "");
                AddLog(entry with { Outcome = "dropped", FinishedAt = entry.StartedAt });
                handle.Done.TrySetResult(MoveOutcome.Dropped);
                return handle;
            }
            AddLog(entry);
            _active = new ActiveMove(handle, [.. steps]);
        }
        _loop.Wake();
        LogMoveStarted(kind, name ?? "", handle.Id);
        return handle;
    }

    /// <summary>Cancels the move with this id if it is the running one; the head stays where it is.</summary>
    public bool Cancel(Guid id)
    {
        lock (_gate)
        {
            if (_active is { } active && active.Handle.Id == id)
            {
                Finish(active, MoveOutcome.Cancelled);
                return true;
            }
            return false;
        }
    }

    /// <summary>Cancels whatever move runs.</summary>
    public void CancelAll()
    {
        lock (_gate)
        {
            if (_active is { } active)
            {
                Finish(active, MoveOutcome.Cancelled);
            }
        }
    }

    /// <summary>The move log, oldest first.</summary>
    public IReadOnlyList<MoveLogEntry> MoveLog()
    {
        lock (_gate)
        {
            return [.. _moveLog];
        }
    }

    /// <summary>Control-period statistics over the last 30 s: count, period p50/p99/max and |period − 20 ms| p50/p99 (ms).</summary>
    public (int Count, double P50, double P99, double Max, double JitterP50, double JitterP99) ControlPeriodStats()
    {
        double[] copy;
        lock (_gate)
        {
            copy = _periods.AsSpan(0, Math.Min(_periodCount, PeriodWindow)).ToArray();
        }
        if (copy.Length == 0)
        {
            return (0, 0, 0, 0, 0, 0);
        }
        var jitter = copy.Select(p => Math.Abs(p - 20.0)).Order().ToArray();
        Array.Sort(copy);
        static double At(double[] sorted, double q) => sorted[(int)Math.Round(q * (sorted.Length - 1))];
        return (copy.Length, At(copy, 0.5), At(copy, 0.99), copy[^1], At(jitter, 0.5), At(jitter, 0.99));
    }

    /// <summary>Builds a goto from the measured state (called on the control thread by <see cref="GotoStep"/>).</summary>
    internal IMove CreateGoto(GotoPlan plan)
        => new GotoMove([.. _presentPose], [.. _presentAntennas], _presentJoints[0], plan.Head, plan.Antennas, plan.BodyYaw, plan.Duration, plan.Method);

    /// <summary>The measured head pose (control thread).</summary>
    internal double[] PresentPose => _presentPose;

    /// <summary>The Cartesian head target (control thread).</summary>
    internal double[]? TargetPose => _targetPose;

    /// <summary>The antenna targets (control thread).</summary>
    internal double[]? TargetAntennasInternal => _targetAntennas;

    /// <summary>The motor mode read on the control thread (lock held).</summary>
    internal MotorControlMode MotorModeUnlocked => _mode;

    /// <summary>Sets the motor mode from inside a move program (control thread, lock held).</summary>
    internal void SetModeFromMove(MotorControlMode mode) => _mode = mode;

    public void Dispose()
    {
        _loop.Dispose();
    }

    private void ResetToSleep()
    {
        _presentJoints = [.. HeadKinematics.SleepHeadJoints];
        _presentAntennas = [.. SleepAntennas];
        _targetJoints = [.. _presentJoints];
        _targetJointsPose = null;
        _reseed = false;
        _targetAntennas = [.. _presentAntennas];
        _targetPose = null;
        _targetBodyYaw = null;
        _ikRequired = false;
        _mode = MotorControlMode.Enabled;
        _kinematics.ResetForwardKinematics([.. HeadKinematics.SleepHeadPose]);
        _presentPose = _kinematics.ForwardKinematics(_presentJoints, 20);
    }

    private void ApplyTargets(double[]? head, double[]? antennas, double? bodyYaw)
    {
        if (head is not null)
        {
            _targetPose = head;
            _ikRequired = true;
        }
        if (bodyYaw is { } yaw && !(_targetBodyYaw is { } current && Math.Abs(current - yaw) <= 1e-9))
        {
            _targetBodyYaw = yaw;
            _ikRequired = true;
        }
        if (antennas is not null)
        {
            var copy = (double[])antennas.Clone();
            if (ClampAntennas(copy))
            {
                LogAntennasClamped(antennas[0], antennas[1], copy[0], copy[1]);
            }
            _targetAntennas = copy;
        }
    }

    /// <summary>
    /// One 100 Hz tick. While something moves (a move runs or the last control step changed the pose) the loop keeps
    /// exact time; otherwise it waits for the next control step (50 Hz: the state is still published and timestamped
    /// as the daemon does) and is woken early by a move or a target.
    /// </summary>
    private LoopPlan OnTick(long n)
    {
        RobotSnapshot? published = null;
        var now = DateTimeOffset.UtcNow;
        bool moving;
        lock (_gate)
        {
            if (!_started)
            {
                return Idle(n);
            }
            if (_active is { } active)
            {
                StepMove(active);
            }
            if (n % 2 == 0)
            {
                _moved = ControlStep();
                published = BuildSnapshot(now);
                _snapshot = published;
                _ready = true;
                RecordPeriod();
            }
            moving = _active is not null || _moved;
        }
        if (published is not null)
        {
            try
            {
                ControlTick?.Invoke(published);
            }
            catch (Exception ex)
            {
                LogTickHandlerFailed(ex);
            }
        }
        return moving ? new LoopPlan(1, Precise: true) : Idle(n);
    }

    /// <summary>Idle: the next tick is the next control step (even tick).</summary>
    private static LoopPlan Idle(long n) => new(n % 2 == 0 ? 2 : 1, Precise: false);

    private void RecordPeriod()
    {
        var now = Stopwatch.GetTimestamp();
        if (_lastControlTimestamp != 0)
        {
            _periods[_periodCount % PeriodWindow] = (now - _lastControlTimestamp) * 1000.0 / Stopwatch.Frequency;
            _periodCount++;
        }
        _lastControlTimestamp = now;
    }

    private void StepMove(ActiveMove active)
    {
        var now = Stopwatch.GetTimestamp();
        while (true)
        {
            if (active.Current is { } current)
            {
                var elapsed = (now - active.SegmentStart) / (double)Stopwatch.Frequency;
                if (elapsed < current.Duration)
                {
                    var sample = current.Evaluate(elapsed);
                    ApplyTargets(sample.Head, sample.Antennas, sample.BodyYaw);
                    return;
                }
                active.Current = null;
            }
            if (active.Next >= active.Steps.Count)
            {
                Finish(active, MoveOutcome.Completed);
                return;
            }
            var step = active.Steps[active.Next++];
            if (step is BranchStep branch)
            {
                active.Steps.InsertRange(active.Next, branch.Expand(this));
                continue;
            }
            active.Current = step.Begin(this);
            active.SegmentStart = now;
            if (_active != active)
            {
                // An action ended the move (it cannot today, but a step must never run on a finished move).
                return;
            }
        }
    }

    private void Finish(ActiveMove active, MoveOutcome outcome)
    {
        if (_active == active)
        {
            _active = null;
        }
        for (var i = _moveLog.Count - 1; i >= 0; i--)
        {
            if (_moveLog[i].Uuid == active.Handle.Id)
            {
                _moveLog[i] = _moveLog[i] with
                {
                    Outcome = outcome == MoveOutcome.Completed ? "completed" : "cancelled",
                    FinishedAt = DateTimeOffset.UtcNow,
                };
                break;
            }
        }
        active.Handle.Done.TrySetResult(outcome);
        LogMoveEnded(active.Handle.Kind, active.Handle.Name ?? "", outcome);
    }

    private void AddLog(MoveLogEntry entry)
    {
        if (_moveLog.Count >= MoveLogCapacity)
        {
            _moveLog.RemoveAt(0);
        }
        _moveLog.Add(entry);
    }

    /// <summary>The 50 Hz control step; true when the present joints or antennas changed.</summary>
    private bool ControlStep()
    {
        var changed = false;
        if (_targetJoints is not null)
        {
            changed = !_presentJoints.AsSpan().SequenceEqual(_targetJoints);
            _presentJoints = [.. _targetJoints];
            if (_reseed && _targetJointsPose is not null)
            {
                // Beyond the daemon: seed FK with the pose these joints were solved for. Warm-started FK
                // alone loses track after a large jump (a set_target to the other side) and then reports
                // a wrong branch forever; the physical robot would measure the right pose.
                _kinematics.ResetForwardKinematics(_targetJointsPose, _presentJoints[0]);
                _reseed = false;
            }
        }
        if (_targetAntennas is not null)
        {
            changed |= !_presentAntennas.AsSpan().SequenceEqual(_targetAntennas);
            _presentAntennas = [.. _targetAntennas];
        }
        _presentPose = _kinematics.ForwardKinematics(_presentJoints, 3);
        if (_hand is not null)
        {
            if (Stopwatch.GetTimestamp() < _handUntil)
            {
                var pushed = Transform.Multiply(_presentPose, _hand);
                pushed[11] += _handZ;
                _presentPose = pushed;
            }
            else
            {
                _hand = null;
            }
        }
        _controlTicks++;
        if (_ikRequired)
        {
            var joints = _kinematics.InverseKinematics(_targetPose ?? Transform.Identity(), _targetBodyYaw ?? 0.0);
            if (joints is null)
            {
                // The daemon keeps the last valid joints when a pose is out of reach. Warn once per unreachable
                // stretch, not every tick (or second) while the target stands: the next reachable pose re-arms it.
                Interlocked.Increment(ref _ikFailures);
                if (!_unreachableWarned)
                {
                    _unreachableWarned = true;
                    LogUnreachable();
                }
            }
            else
            {
                changed |= _targetJoints is null || !joints.AsSpan().SequenceEqual(_targetJoints);
                _unreachableWarned = false;
                _targetJoints = joints;
                _targetJointsPose = _targetPose ?? Transform.Identity();
                _reseed = true;
            }
        }
        return changed;
    }

    private RobotSnapshot BuildSnapshot(DateTimeOffset now) => new(
        [.. _presentJoints], [.. _presentAntennas], [.. _presentPose], _mode,
        _targetPose is null ? null : [.. _targetPose],
        _targetJoints is null ? null : [.. _targetJoints],
        _targetAntennas is null ? null : [.. _targetAntennas],
        _targetBodyYaw, _active is not null, _controlTicks, now);

    private sealed class ActiveMove(MoveHandle handle, List<MoveStep> steps)
    {
        public MoveHandle Handle { get; } = handle;
        public List<MoveStep> Steps { get; } = steps;
        public int Next { get; set; }
        public IMove? Current { get; set; }
        public long SegmentStart { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring set_target request: a move is running.")]
    private partial void LogIgnoredWhileMoving();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring play_move request: another move is running (dropped {Kind} {Name}).")]
    private partial void LogMoveDropped(string kind, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Move {Kind} {Name} started ({Id}).")]
    private partial void LogMoveStarted(string kind, string name, Guid id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Move {Kind} {Name} {Outcome}.")]
    private partial void LogMoveEnded(string kind, string name, MoveOutcome outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Clamped antennas to ±π: [{R}, {L}] -> [{Rc}, {Lc}] rad.")]
    private partial void LogAntennasClamped(double r, double l, double rc, double lc);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collision detected or head pose not achievable: keeping the last valid joints.")]
    private partial void LogUnreachable();

    [LoggerMessage(Level = LogLevel.Error, Message = "A control-tick handler failed.")]
    private partial void LogTickHandlerFailed(Exception ex);
}

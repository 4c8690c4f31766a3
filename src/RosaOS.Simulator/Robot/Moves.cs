using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>Targets a move sets at one instant; null parts are left alone.</summary>
internal readonly record struct MoveSample(double[]? Head, double[]? Antennas, double? BodyYaw);

/// <summary>A trajectory the player samples at 100 Hz for t ∈ [0, Duration).</summary>
internal interface IMove
{
    double Duration { get; }

    MoveSample Evaluate(double t);
}

/// <summary>The daemon's <c>GotoMove</c>: time law, translation lerp + yaw-as-scalar SLERP, lerp of antennas and body yaw.</summary>
internal sealed class GotoMove(
    double[] startHead, double[] startAntennas, double startBodyYaw,
    double[]? head, double[]? antennas, double? bodyYaw, double duration, InterpolationMethod method) : IMove
{
    private readonly double[] _targetHead = head ?? startHead;
    private readonly double[] _targetAntennas = antennas ?? startAntennas;
    private readonly double _targetBodyYaw = bodyYaw ?? startBodyYaw;

    public double Duration => duration;

    public MoveSample Evaluate(double t)
    {
        var s = Interpolation.TimeLaw(method, Math.Clamp(t / duration, 0, 1));
        var pose = Interpolation.Pose(startHead, _targetHead, s, yawAsScalar: true);
        double[] a = [startAntennas[0] + ((_targetAntennas[0] - startAntennas[0]) * s), startAntennas[1] + ((_targetAntennas[1] - startAntennas[1]) * s)];
        return new MoveSample(pose, a, startBodyYaw + ((_targetBodyYaw - startBodyYaw) * s));
    }
}

/// <summary>Holds still: no targets for a while (the daemon's <c>sleep</c> inside wake-up and sleep sequences).</summary>
internal sealed class PauseMove(double duration) : IMove
{
    public double Duration => duration;

    public MoveSample Evaluate(double t) => default;
}

/// <summary>One step of a move program, started on the control thread when its turn comes.</summary>
internal abstract class MoveStep
{
    /// <summary>Starts the step from the robot's measured state; returns the trajectory to sample, or null for an instant action.</summary>
    public abstract IMove? Begin(RobotCore robot);
}

/// <summary>A goto whose start is read from the measured pose when the step begins.</summary>
internal sealed class GotoStep(Func<RobotCore, GotoPlan> plan) : MoveStep
{
    public GotoStep(double[]? head, double[]? antennas, double? bodyYaw, double duration, InterpolationMethod method)
        : this(_ => new GotoPlan(head, antennas, bodyYaw, duration, method))
    {
    }

    public override IMove? Begin(RobotCore robot)
    {
        var p = plan(robot);
        return p.Duration > 0 ? robot.CreateGoto(p) : null;
    }
}

/// <summary>What a goto aims for.</summary>
internal readonly record struct GotoPlan(double[]? Head, double[]? Antennas, double? BodyYaw, double Duration, InterpolationMethod Method);

/// <summary>Plays a ready trajectory (a recorded move, a pause).</summary>
internal sealed class PlayStep(IMove move) : MoveStep
{
    public override IMove? Begin(RobotCore robot) => move;
}

/// <summary>An instant action (play a sound, change the motor mode).</summary>
internal sealed class ActionStep(Action<RobotCore> action) : MoveStep
{
    public override IMove? Begin(RobotCore robot)
    {
        action(robot);
        return null;
    }
}

/// <summary>Decides the rest of a program from the state at that moment (wake-up's "already awake?").</summary>
internal sealed class BranchStep(Func<RobotCore, IReadOnlyList<MoveStep>> next) : MoveStep
{
    public IReadOnlyList<MoveStep> Expand(RobotCore robot) => next(robot);

    public override IMove? Begin(RobotCore robot) => null;
}

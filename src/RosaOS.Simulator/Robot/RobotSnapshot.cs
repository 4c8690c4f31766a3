using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>
/// The measured state of the simulated robot after one control tick (immutable; read without locks by
/// the HTTP routes, the WebSocket broadcasters and later the virtual camera and microphone).
/// </summary>
/// <param name="HeadJoints">[body_yaw, stewart_1..6], radians.</param>
/// <param name="Antennas">[right, left], radians.</param>
/// <param name="HeadPose">FK of the head joints, row-major 4×4, metres.</param>
/// <param name="MotorMode">Motor control mode.</param>
/// <param name="TargetHeadPose">Last Cartesian target, or null before the first one.</param>
/// <param name="TargetHeadJoints">Joint targets the next tick copies to the present.</param>
/// <param name="TargetAntennas">Antenna targets.</param>
/// <param name="TargetBodyYaw">Last body-yaw target, or null.</param>
/// <param name="MoveRunning">True while a goto, recorded move, wake-up or sleep runs.</param>
/// <param name="Tick">Control tick count since start.</param>
/// <param name="Timestamp">When the tick ran (UTC).</param>
public sealed record RobotSnapshot(
    IReadOnlyList<double> HeadJoints,
    IReadOnlyList<double> Antennas,
    IReadOnlyList<double> HeadPose,
    MotorControlMode MotorMode,
    IReadOnlyList<double>? TargetHeadPose,
    IReadOnlyList<double>? TargetHeadJoints,
    IReadOnlyList<double>? TargetAntennas,
    double? TargetBodyYaw,
    bool MoveRunning,
    long Tick,
    DateTimeOffset Timestamp)
{
    /// <summary>The measured body yaw (head_joints[0]).</summary>
    public double BodyYaw => HeadJoints[0];
}

/// <summary>How a move ended.</summary>
public enum MoveOutcome
{
    /// <summary>Still running.</summary>
    Running,

    /// <summary>Played to the end.</summary>
    Completed,

    /// <summary>Stopped by a client (or the daemon stopping).</summary>
    Cancelled,

    /// <summary>Refused because another move was running (the daemon's single-flight rule).</summary>
    Dropped,
}

namespace RosaOS.ReachyMini.Protocol;

// Server → client messages of /ws/sdk (reachy-mini-daemon.md §2.7). Client → server commands are
// small JSON objects with a "type" discriminator and are built where they are sent.

/// <summary><c>joint_positions</c>: 7 head joints [body_yaw, stewart_1..6] and 2 antennas [right, left], radians.</summary>
public sealed record JointPositionsMessage
{
    public string Type { get; init; } = "joint_positions";
    public IReadOnlyList<double> HeadJointPositions { get; init; } = [];
    public IReadOnlyList<double> AntennasJointPositions { get; init; } = [];
}

/// <summary><c>head_pose</c>: the 4×4 head pose (FK of the measured joints) as nested rows.</summary>
public sealed record HeadPoseMessage
{
    public string Type { get; init; } = "head_pose";
    public IReadOnlyList<IReadOnlyList<double>> HeadPose { get; init; } = [];
}

/// <summary><c>task_progress</c>: completion of a <c>task</c> goto.</summary>
public sealed record TaskProgressMessage
{
    public string Type { get; init; } = "task_progress";
    public Guid Uuid { get; init; }
    public bool Finished { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset Timestamp { get; init; }
}

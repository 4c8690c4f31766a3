using System.Text.Json.Serialization;

namespace RosaOS.ReachyMini.Protocol;

// Wire models of the Reachy Mini daemon's REST API (reachy-mini-daemon.md §2.2), field names as the
// daemon's Pydantic models. Units: metres and radians. Null optionals are written as null.

/// <summary>Motor control mode (<c>MotorControlMode</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MotorControlMode>))]
public enum MotorControlMode
{
    [JsonStringEnumMemberName("enabled")] Enabled,
    [JsonStringEnumMemberName("disabled")] Disabled,
    [JsonStringEnumMemberName("gravity_compensation")] GravityCompensation,
}

/// <summary>Daemon lifecycle state (<c>DaemonState</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DaemonState>))]
public enum DaemonState
{
    [JsonStringEnumMemberName("not_initialized")] NotInitialized,
    [JsonStringEnumMemberName("starting")] Starting,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("stopping")] Stopping,
    [JsonStringEnumMemberName("stopped")] Stopped,
    [JsonStringEnumMemberName("error")] Error,
}

/// <summary>Time law of a goto (<c>InterpolationTechnique</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InterpolationMethod>))]
public enum InterpolationMethod
{
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("minjerk")] MinJerk,
    [JsonStringEnumMemberName("ease_in_out")] EaseInOut,
    [JsonStringEnumMemberName("cartoon")] Cartoon,
}

/// <summary>Face-tracking target in the daemon status.</summary>
public sealed record FaceTarget
{
    public bool Detected { get; init; }
    public double? X { get; init; }
    public double? Y { get; init; }
    public double? Roll { get; init; }
    public double? Ts { get; init; }
}

/// <summary>Backend status; the mockup-sim backend carries only the mode and error.</summary>
public sealed record BackendStatus
{
    public MotorControlMode MotorControlMode { get; init; }

    public string? Error { get; init; }
}

/// <summary><c>GET /api/daemon/status</c> and the <c>daemon_status</c> WebSocket message.</summary>
public sealed record DaemonStatus
{
    public string Type { get; init; } = "daemon_status";
    public string RobotName { get; init; } = "reachy_mini";
    public DaemonState State { get; init; }
    public bool WirelessVersion { get; init; }
    public bool DesktopAppDaemon { get; init; }
    public bool? SimulationEnabled { get; init; }
    public bool? MockupSimEnabled { get; init; }
    public bool NoMedia { get; init; }
    public bool MediaReleased { get; init; }
    public string CameraSpecsName { get; init; } = "";
    public BackendStatus? BackendStatus { get; init; }
    public string? Error { get; init; }
    public string? WlanIp { get; init; }
    public string? Version { get; init; }
    public string? HardwareId { get; init; }
    public FaceTarget FaceTarget { get; init; } = new();
}

/// <summary>Direction of arrival: angle in radians (0 = left, π/2 = front, π = right) and whether speech is heard.</summary>
public sealed record DoaInfo
{
    public double Angle { get; init; }
    public bool SpeechDetected { get; init; }
}

/// <summary><c>GET /api/state/full</c> and the frames of <c>/api/state/ws/full</c>.</summary>
public sealed record FullState
{
    public MotorControlMode? ControlMode { get; init; }
    public AnyPose? HeadPose { get; init; }
    public IReadOnlyList<double>? HeadJoints { get; init; }
    public double? BodyYaw { get; init; }
    public IReadOnlyList<double>? AntennasPosition { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public IReadOnlyList<double>? PassiveJoints { get; init; }
    public DoaInfo? Doa { get; init; }
}

/// <summary><c>POST /api/move/set_target</c> body (and each frame of <c>/api/move/ws/set_target</c>). Null fields are left unchanged.</summary>
public sealed record FullBodyTarget
{
    public AnyPose? TargetHeadPose { get; init; }

    /// <summary>Antenna angles in radians, [right, left].</summary>
    public IReadOnlyList<double>? TargetAntennas { get; init; }

    public double? TargetBodyYaw { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary><c>POST /api/move/goto</c> body. The real daemon ignores <see cref="Interpolation"/> on this route (always minjerk).</summary>
public sealed record GotoRequest
{
    public AnyPose? HeadPose { get; init; }

    /// <summary>Antenna angles in radians, [right, left].</summary>
    public IReadOnlyList<double>? Antennas { get; init; }

    /// <summary>Body yaw in radians; null keeps the current yaw.</summary>
    public double? BodyYaw { get; init; }

    /// <summary>Duration in seconds (required by the daemon).</summary>
    public double Duration { get; init; }

    public InterpolationMethod Interpolation { get; init; } = InterpolationMethod.MinJerk;
}

/// <summary>A move's id (<c>MoveUUID</c>).</summary>
public sealed record MoveUuid
{
    public Guid Uuid { get; init; }
}

/// <summary>A message of <c>/api/move/ws/updates</c>: move_started, move_completed, move_failed or move_cancelled.</summary>
public sealed record MoveUpdate
{
    public string Type { get; init; } = "";
    public Guid Uuid { get; init; }
    public string Details { get; init; } = "";
}

/// <summary><c>GET /api/motors/status</c>.</summary>
public sealed record MotorStatus
{
    public MotorControlMode Mode { get; init; }
}

/// <summary><c>GET /api/volume/current</c> and <c>POST /api/volume/set</c> answer.</summary>
public sealed record VolumeResponse
{
    public int Volume { get; init; }
    public string Platform { get; init; } = "Linux";
    public string Device { get; init; } = "";
}

/// <summary><c>GET /api/media/status</c>.</summary>
public sealed record MediaStatus
{
    public bool Available { get; init; }
    public bool Released { get; init; }
    public bool NoMedia { get; init; }
}

/// <summary>One camera mode.</summary>
public sealed record ResolutionInfo
{
    public string Name { get; init; } = "";
    public int Width { get; init; }
    public int Height { get; init; }
    public int Fps { get; init; }
    public double CropFactor { get; init; }
}

/// <summary><c>GET /api/camera/specs</c>: modes, default mode, intrinsics K (3×3) and distortion D.</summary>
public sealed record CameraSpecs
{
    public string Name { get; init; } = "";
    public IReadOnlyList<ResolutionInfo> AvailableResolutions { get; init; } = [];
    public ResolutionInfo? DefaultResolution { get; init; }

    [JsonPropertyName("K")]
    public IReadOnlyList<IReadOnlyList<double>> K { get; init; } = [];

    [JsonPropertyName("D")]
    public IReadOnlyList<double> D { get; init; } = [];
}

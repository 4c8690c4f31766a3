using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Audio;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary><c>/api/state/*</c>: the measured pose, joints, antennas, body yaw and DoA.</summary>
internal static class StateEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/state/present_head_pose", (HttpContext context, DaemonService daemon, RobotCore robot) =>
        {
            var errors = new FieldErrors();
            var matrix = ApiJson.QueryBool(context.Request, "use_pose_matrix", errors) ?? false;
            if (errors.Any)
            {
                return errors.ToResult();
            }
            return daemon.BackendRunning ? ApiJson.Ok(ToPose(robot.Snapshot.HeadPose, matrix)) : ApiJson.BackendNotRunning();
        });
        app.MapGet("/api/state/present_body_yaw", (DaemonService daemon, RobotCore robot)
            => daemon.BackendRunning ? ApiJson.Ok(robot.Snapshot.BodyYaw) : ApiJson.BackendNotRunning());
        app.MapGet("/api/state/present_antenna_joint_positions", (DaemonService daemon, RobotCore robot)
            => daemon.BackendRunning ? ApiJson.Ok(robot.Snapshot.Antennas.ToList()) : ApiJson.BackendNotRunning());
        // The virtual microphone's direction while /sim/say speech sounds, else null (the daemon without a reading).
        app.MapGet("/api/state/doa", (DaemonService daemon, VirtualMicrophone microphone)
            => daemon.BackendRunning ? ApiJson.Ok(microphone.DirectionOfArrival()) : ApiJson.BackendNotRunning());
        // Daemon 1.11: the IMU reading, null on the Lite and in simulation (no IMU).
        app.MapGet("/api/state/imu", (DaemonService daemon)
            => daemon.BackendRunning ? ApiJson.Node(null) : ApiJson.BackendNotRunning());
        app.MapGet("/api/state/full", (HttpContext context, DaemonService daemon, RobotCore robot) =>
        {
            var errors = new FieldErrors();
            var flags = FullStateFlags.Read(context.Request, errors, includeControlMode: true);
            if (errors.Any)
            {
                return errors.ToResult();
            }
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            var snapshot = robot.Snapshot;
            if (flags.WithTargetHeadPose && snapshot.TargetHeadPose is null)
            {
                // The daemon asserts here (plain-text 500); we say why in JSON.
                return ApiJson.Detail(500, "No target head pose yet: with_target_head_pose needs a target (set one with set_target or goto).");
            }
            return ApiJson.Ok(flags.Build(snapshot));
        });
    }

    /// <summary>A pose as XYZ-RPY or the matrix form.</summary>
    public static AnyPose ToPose(IReadOnlyList<double> m, bool matrix)
    {
        if (matrix)
        {
            return AnyPose.FromMatrix(m);
        }
        var (x, y, z, roll, pitch, yaw) = Transform.ToXyzRpy(m.ToArray());
        return AnyPose.FromXyzRpy(x, y, z, roll, pitch, yaw);
    }
}

/// <summary>The <c>with_*</c> query flags of <c>/api/state/full</c> and <c>/api/state/ws/full</c>.</summary>
internal sealed record FullStateFlags(
    bool WithControlMode, bool WithHeadPose, bool WithTargetHeadPose, bool WithHeadJoints, bool WithBodyYaw,
    bool WithAntennaPositions, bool WithPassiveJoints, bool WithDoa, bool UsePoseMatrix)
{
    public static FullStateFlags Read(HttpRequest request, FieldErrors errors, bool includeControlMode)
    {
        bool Flag(string name, bool fallback) => ApiJson.QueryBool(request, name, errors) ?? fallback;
        var flags = new FullStateFlags(
            !includeControlMode || Flag("with_control_mode", true),
            Flag("with_head_pose", true),
            Flag("with_target_head_pose", false),
            Flag("with_head_joints", false),
            Flag("with_body_yaw", true),
            Flag("with_antenna_positions", true),
            Flag("with_passive_joints", false),
            Flag("with_doa", false),
            Flag("use_pose_matrix", false));
        // Accepted and dropped by the daemon's FullState model; validated for type only.
        _ = Flag("with_target_head_joints", false);
        _ = Flag("with_target_body_yaw", false);
        _ = Flag("with_target_antenna_positions", false);
        return flags;
    }

    public FullState Build(RobotSnapshot snapshot) => new()
    {
        ControlMode = WithControlMode ? snapshot.MotorMode : null,
        HeadPose = WithHeadPose ? StateEndpoints.ToPose(snapshot.HeadPose, UsePoseMatrix) : null,
        HeadJoints = WithHeadJoints ? snapshot.HeadJoints : null,
        BodyYaw = WithBodyYaw ? snapshot.BodyYaw : null,
        AntennasPosition = WithAntennaPositions ? snapshot.Antennas : null,
        Timestamp = snapshot.Timestamp,
        PassiveJoints = null,
        Doa = null,
    };
}

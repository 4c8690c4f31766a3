using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol.Server;
using RosaOS.EmergencyStop;
using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.ReachyMini.Protocol;

// Argument names are the snake_case MCP contract of the original server, not C# style.
#pragma warning disable CA1707

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>Head, antenna and body motion tools. Every move can be interrupted with stop_move.</summary>
[McpServerToolType]
public sealed class MotionTools(MotionController motion)
{
    /// <summary>Degrees per increment of move_head_left/right.</summary>
    public const double HeadStepDegrees = 30;

    /// <summary>Largest <c>multiple</c> accepted.</summary>
    public const int MaxMultiple = 3;

    [McpServerTool(Name = "move_head_left", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Turn Reachy Mini's head to the left (the robot's left) by 30-degree increments from where it looks now, levelling the head. " +
        "Returns when the head arrived. Head yaw is limited to ±180° and the body turns along to stay within 65° of the head.")]
    public Task<string> MoveHeadLeft(
        [Description("Number of 30-degree increments, 1 to 3 (larger values are capped at 3).")] int multiple = 1,
        CancellationToken cancellationToken = default)
        => TurnAsync(+1, multiple, cancellationToken);

    [McpServerTool(Name = "move_head_right", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Turn Reachy Mini's head to the right (the robot's right) by 30-degree increments from where it looks now, levelling the head. " +
        "Returns when the head arrived. Head yaw is limited to ±180° and the body turns along to stay within 65° of the head.")]
    public Task<string> MoveHeadRight(
        [Description("Number of 30-degree increments, 1 to 3 (larger values are capped at 3).")] int multiple = 1,
        CancellationToken cancellationToken = default)
        => TurnAsync(-1, multiple, cancellationToken);

    [McpServerTool(Name = "reset_head", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Stop every running move and bring the head, antennas and body back to the neutral pose (looking straight ahead). Returns when done.")]
    public Task<string> ResetHead(CancellationToken cancellationToken = default)
        => ToolErrors.RunAsync(async () =>
        {
            var stopped = await motion.StopAllAsync(cancellationToken);
            const double duration = 1.0;
            var uuid = await motion.StartGotoAsync(new GotoRequest
            {
                HeadPose = AnyPose.FromXyzRpy(0, 0, 0, 0, 0, 0),
                Antennas = [0, 0],
                BodyYaw = 0,
                Duration = duration,
            }, "reset_head", cancellationToken);
            var end = await motion.WaitAsync(uuid, duration, cancellationToken);
            var prefix = stopped.Count > 0 ? "Stopped: " + string.Join("; ", stopped) + ". " : "";
            return prefix + (end.Completed ? "Reset done: head, antennas and body are at the neutral pose." : "The reset was interrupted by stop_move before it finished.");
        });

    [McpServerTool(Name = "stop_move", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [McpMeta(EstopContract.MetaKey, EstopContract.Roles.Stop)]
    [Description("Stop every move the robot is running (head moves, goto_target, emotions). The robot stays where it stopped. Says what was stopped.")]
    public Task<string> StopMove(CancellationToken cancellationToken = default)
        => ToolErrors.RunAsync(async () =>
        {
            var stopped = await motion.StopAllAsync(cancellationToken);
            return stopped.Count == 0 ? "No moves running." : "Stopped " + stopped.Count + " move(s): " + string.Join("; ", stopped) + ".";
        });

    [McpServerTool(Name = "goto_target", Destructive = false, Idempotent = true, OpenWorld = false, ReadOnly = false)]
    [Description("Move Reachy Mini's head, antennas and body smoothly to an absolute target and return when it arrived. " +
        "Frame: x forward, y left, z up, from the neutral head position. Positive pitch looks down, positive yaw looks left, positive roll tilts toward the robot's right. " +
        "Limits (values beyond them are clamped and the answer says so): head x -46..50 mm, y -47..47 mm, z -50..23 mm; roll and pitch ±40°; yaw ±180°; " +
        "body yaw ±160° and within 65° of the head yaw; antennas ±180°; duration 0.1..60 s. Unspecified values go to neutral (0).")]
    public Task<string> GotoTarget(
        [Description("Head forward offset, millimetres.")] double head_x = 0,
        [Description("Head leftward offset, millimetres.")] double head_y = 0,
        [Description("Head upward offset, millimetres.")] double head_z = 0,
        [Description("Head roll, degrees (positive tilts toward the robot's right).")] double head_roll = 0,
        [Description("Head pitch, degrees (positive looks down).")] double head_pitch = 0,
        [Description("Head yaw, degrees (positive looks left).")] double head_yaw = 0,
        [Description("Right antenna angle, degrees.")] double antenna_x = 0,
        [Description("Left antenna angle, degrees.")] double antenna_y = 0,
        [Description("Body rotation, degrees (positive turns left).")] double body_yaw = 0,
        [Description("Time to reach the target, seconds.")] double duration = 0.5,
        [Description("Interpolation: minjerk (smooth, default), linear, ease_in_out or cartoon.")] string method = "minjerk",
        CancellationToken cancellationToken = default)
        => ToolErrors.RunAsync(async () =>
        {
            var interpolation = ParseMethod(method);
            var c = new Clamper();
            var x = c.Clamp("head_x", head_x, PoseLimits.HeadXMm.Min, PoseLimits.HeadXMm.Max, "mm");
            var y = c.Clamp("head_y", head_y, PoseLimits.HeadYMm.Min, PoseLimits.HeadYMm.Max, "mm");
            var z = c.Clamp("head_z", head_z, PoseLimits.HeadZMm.Min, PoseLimits.HeadZMm.Max, "mm");
            var roll = c.Clamp("head_roll", head_roll, -PoseLimits.HeadTiltDegrees, PoseLimits.HeadTiltDegrees, "degrees");
            var pitch = c.Clamp("head_pitch", head_pitch, -PoseLimits.HeadTiltDegrees, PoseLimits.HeadTiltDegrees, "degrees");
            var yaw = c.Clamp("head_yaw", head_yaw, -PoseLimits.HeadYawDegrees, PoseLimits.HeadYawDegrees, "degrees");
            var body = ClampBody(c, body_yaw, yaw);
            var right = c.Clamp("antenna_x", antenna_x, -PoseLimits.AntennaDegrees, PoseLimits.AntennaDegrees, "degrees");
            var left = c.Clamp("antenna_y", antenna_y, -PoseLimits.AntennaDegrees, PoseLimits.AntennaDegrees, "degrees");
            var seconds = c.Clamp("duration", duration, PoseLimits.DurationS.Min, PoseLimits.DurationS.Max, "s");
            var reach = Reach.Limit(x, y, z, roll, pitch, yaw, body);
            if (reach.Fraction < 1)
            {
                c.Note(string.Create(CultureInfo.InvariantCulture,
                    $"this combination is out of the head's reach, so its offset was scaled to {reach.Fraction:P0} (x={reach.X:0.#} y={reach.Y:0.#} z={reach.Z:0.#} mm, roll={reach.Roll:0.#}° pitch={reach.Pitch:0.#}°)"));
                (x, y, z, roll, pitch) = (reach.X, reach.Y, reach.Z, reach.Roll, reach.Pitch);
            }
            var request = new GotoRequest
            {
                HeadPose = AnyPose.FromXyzRpy(x / 1000, y / 1000, z / 1000, Rad(roll), Rad(pitch), Rad(yaw)),
                Antennas = [Rad(right), Rad(left)],
                BodyYaw = Rad(body),
                Duration = seconds,
                Interpolation = interpolation,
            };
            var uuid = await motion.StartGotoAsync(request, "goto_target", cancellationToken);
            var end = await motion.WaitAsync(uuid, seconds, cancellationToken);
            var target = string.Create(CultureInfo.InvariantCulture,
                $"head x={x:0.#} y={y:0.#} z={z:0.#} mm, roll={roll:0.#}° pitch={pitch:0.#}° yaw={yaw:0.#}°, antennas right={right:0.#}° left={left:0.#}°, body yaw={body:0.#}°");
            return (end.Completed
                ? $"Reached the target in {seconds:0.##} s: {target}."
                : string.Create(CultureInfo.InvariantCulture, $"Stopped after {end.ElapsedS:0.##} s on the way to {target}; the robot stays where it stopped."))
                + c.Summary;
        });

    private Task<string> TurnAsync(int sign, int multiple, CancellationToken cancellationToken)
        => ToolErrors.RunAsync(async () =>
        {
            var c = new Clamper();
            var steps = multiple;
            if (multiple > MaxMultiple)
            {
                c.Note($"multiple {multiple} → {MaxMultiple}");
                steps = MaxMultiple;
            }
            if (steps < 1)
            {
                throw new ArgumentException($"multiple must be 1, 2 or 3 (got {multiple}).");
            }
            double fromYaw = 0, toYaw = 0, duration = 0.4 + (0.3 * steps);
            var direction = sign > 0 ? "left" : "right";
            var uuid = await motion.StartAsync(async ct =>
            {
                // Read after the previous move ended, so consecutive turns add up.
                var state = await motion.Daemon.GetFullStateAsync(ct);
                fromYaw = Deg(state.HeadPose?.Yaw ?? 0);
                toYaw = c.Clamp("head_yaw", fromYaw + (sign * HeadStepDegrees * steps), -PoseLimits.HeadYawDegrees, PoseLimits.HeadYawDegrees, "degrees");
                var body = ClampBody(c, Deg(state.BodyYaw ?? 0), toYaw, quiet: true);
                return await motion.Daemon.GotoAsync(new GotoRequest
                {
                    HeadPose = AnyPose.FromXyzRpy(0, 0, 0, 0, 0, Rad(toYaw)),
                    BodyYaw = Rad(body),
                    Duration = duration,
                }, ct);
            }, $"move_head_{direction}", cancellationToken);
            var end = await motion.WaitAsync(uuid, duration, cancellationToken);
            return (end.Completed
                ? string.Create(CultureInfo.InvariantCulture, $"Head turned {direction}: yaw {fromYaw:0.#}° → {toYaw:0.#}° (positive is left).")
                : string.Create(CultureInfo.InvariantCulture, $"The turn {direction} was stopped after {end.ElapsedS:0.##} s; the head stays where it stopped."))
                + c.Summary;
        });

    /// <summary>Body yaw within ±160° and within 65° of the head yaw (the robot's kinematic limits).</summary>
    private static double ClampBody(Clamper c, double body, double headYaw, bool quiet = false)
    {
        var limited = c.Clamp("body_yaw", body, -PoseLimits.BodyYawDegrees, PoseLimits.BodyYawDegrees, "degrees");
        var lo = Math.Max(-PoseLimits.BodyYawDegrees, headYaw - PoseLimits.RelativeYawDegrees);
        var hi = Math.Min(PoseLimits.BodyYawDegrees, headYaw + PoseLimits.RelativeYawDegrees);
        var relative = Math.Clamp(limited, lo, hi);
        if (relative != limited && !quiet)
        {
            c.Note(string.Create(CultureInfo.InvariantCulture, $"body_yaw {limited:0.#} → {relative:0.#} degrees to stay within 65° of the head yaw"));
        }
        return relative;
    }

    private static InterpolationMethod ParseMethod(string? method) => (method ?? "minjerk").Trim().ToLowerInvariant() switch
    {
        "" or "minjerk" or "min_jerk" => InterpolationMethod.MinJerk,
        "linear" => InterpolationMethod.Linear,
        "ease_in_out" or "easeinout" => InterpolationMethod.EaseInOut,
        "cartoon" => InterpolationMethod.Cartoon,
        _ => throw new ArgumentException($"Unknown method '{method}'. Use one of: minjerk, linear, ease_in_out, cartoon."),
    };

    private static double Rad(double degrees) => degrees * Math.PI / 180;

    private static double Deg(double radians) => radians * 180 / Math.PI;
}

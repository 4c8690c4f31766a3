using RosaOS.ReachyMini.Protocol;

namespace RosaOS.ReachyMini.Geometry;

/// <summary>The daemon's time laws and pose interpolation (<c>reachy_mini.utils.interpolation</c>).</summary>
public static class Interpolation
{
    private const double CartoonC1 = 1.70158;
    private const double CartoonC2 = CartoonC1 * 1.525;

    /// <summary>Remaps normalised time t ∈ [0, 1] by a time law; cartoon overshoots outside [0, 1].</summary>
    public static double TimeLaw(InterpolationMethod method, double t)
    {
        if (!(t >= 0 && t <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, "Normalised time must be within [0, 1].");
        }
        return method switch
        {
            InterpolationMethod.Linear => t,
            InterpolationMethod.MinJerk => (10 * t * t * t) - (15 * t * t * t * t) + (6 * t * t * t * t * t),
            InterpolationMethod.EaseInOut => t < 0.5 ? 2 * t * t : 1 - (Math.Pow((-2 * t) + 2, 2) / 2),
            InterpolationMethod.Cartoon => t < 0.5
                ? Math.Pow(2 * t, 2) * (((CartoonC2 + 1) * 2 * t) - CartoonC2) / 2
                : ((Math.Pow((2 * t) - 2, 2) * (((CartoonC2 + 1) * ((2 * t) - 2)) + CartoonC2)) + 2) / 2,
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown interpolation method."),
        };
    }

    /// <summary>
    /// <c>linear_pose_interpolation</c>: translation lerp and rotation SLERP. With <paramref name="yawAsScalar"/>
    /// (what goto uses) the "xyz" yaw is interpolated as a number and only the residual tilt is SLERPed, so
    /// +120° → −120° turns through 0° rather than through the back.
    /// </summary>
    public static double[] Pose(ReadOnlySpan<double> start, ReadOnlySpan<double> target, double s, bool yawAsScalar = false)
    {
        var x = start[3] + ((target[3] - start[3]) * s);
        var y = start[7] + ((target[7] - start[7]) * s);
        var z = start[11] + ((target[11] - start[11]) * s);
        var r0 = Transform.RotationPart(start);
        var r1 = Transform.RotationPart(target);
        double[] r;
        if (yawAsScalar)
        {
            var y0 = Rotation.ToEulerXyz(r0).Yaw;
            var y1 = Rotation.ToEulerXyz(r1).Yaw;
            var q0 = Rotation.Multiply(Rotation.AboutZ(-y0), r0);
            var q1 = Rotation.Multiply(Rotation.AboutZ(-y1), r1);
            r = Rotation.Multiply(Rotation.AboutZ(y0 + ((y1 - y0) * s)), Rotation.Slerp(q0, q1, s));
        }
        else
        {
            r = Rotation.Slerp(r0, r1, s);
        }
        return Transform.Compose(r, x, y, z);
    }
}

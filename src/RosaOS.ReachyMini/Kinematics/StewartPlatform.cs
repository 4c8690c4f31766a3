using RosaOS.ReachyMini.Geometry;

namespace RosaOS.ReachyMini.Kinematics;

/// <summary>One leg of the Stewart platform: rod attachment on the platform, motor frame, and IK branch sign.</summary>
/// <param name="BranchPosition">Rod attachment point in the platform frame (m).</param>
/// <param name="MotorWorld">T_motor_world (row-major 4×4) as kinematics_data.json gives it.</param>
/// <param name="Solution">0 or 1, the closed-form branch (sign −1 or +1).</param>
public sealed record StewartBranch(double[] BranchPosition, double[] MotorWorld, int Solution);

/// <summary>
/// The analytic IK and numeric FK of a 6-leg rotary Stewart platform, an independent port of the algorithm of
/// pollen-robotics/reachy_mini_rust_kinematics (closed form per leg; Newton steps with a 16-halving line
/// search). Poses are platform poses in the world frame including the head z offset. FK is stateful
/// (warm-started from the last solution), so an instance is not thread-safe.
/// </summary>
public sealed class StewartPlatform
{
    private const int LineSearchIterations = 16;

    private readonly double _rs;
    private readonly double _rp;
    private readonly Leg[] _legs;
    private double[] _platform = Transform.Identity();

    /// <summary>Creates the platform from its crank radius, rod length and six legs.</summary>
    public StewartPlatform(double motorArmLength, double rodLength, IReadOnlyList<StewartBranch> branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Count != 6)
        {
            throw new ArgumentException("A Stewart platform has six legs.", nameof(branches));
        }
        _rs = motorArmLength;
        _rp = rodLength;
        _legs = branches.Select(b => new Leg(b)).ToArray();
    }

    /// <summary>The current FK estimate (platform in the body frame, z offset included).</summary>
    public double[] Platform => (double[])_platform.Clone();

    /// <summary>Re-seeds the numeric FK.</summary>
    public void ResetForwardKinematics(ReadOnlySpan<double> platform) => _platform = platform.ToArray();

    /// <summary>
    /// The six motor angles reaching <paramref name="platform"/>, seen from a body turned by
    /// <paramref name="bodyYaw"/>; an unreachable leg gives NaN.
    /// </summary>
    public double[] InverseKinematics(ReadOnlySpan<double> platform, double? bodyYaw)
    {
        var target = bodyYaw is { } yaw ? Transform.Multiply(Transform.RotationZ(-yaw), platform) : platform.ToArray();
        var joints = new double[6];
        var rs = _rs;
        var rp = _rp;
        for (var k = 0; k < 6; k++)
        {
            var leg = _legs[k];
            var m = Transform.Multiply(Transform.Multiply(leg.MotorWorldForIk, target), leg.BranchTranslation);
            var px = m[3];
            var py = m[7];
            var pz = m[11];
            double px2 = px * px, py2 = py * py, pz2 = pz * pz, rp2 = rp * rp, rs2 = rs * rs;
            var x = px2 + (2 * px * rs) + py2 + pz2 - rp2 + rs2;
            var d = -(px2 * px2) - (2 * px2 * py2) - (2 * px2 * pz2) + (2 * px2 * rp2) + (2 * px2 * rs2)
                - (py2 * py2) - (2 * py2 * pz2) + (2 * py2 * rp2) + (2 * py2 * rs2)
                - (pz2 * pz2) + (2 * pz2 * rp2) - (2 * pz2 * rs2) - (rp2 * rp2) + (2 * rp2 * rs2) - (rs2 * rs2);
            var y = (2 * py * rs) + (leg.Sign * Math.Sqrt(d));
            joints[k] = WrapAngle(2 * Math.Atan2(y, x));
        }
        return joints;
    }

    /// <summary>
    /// <c>inverse_kinematics_safe</c>: clamps the body yaw to within <paramref name="maxRelativeYaw"/> of the
    /// head's yaw and to ±<paramref name="maxBodyYaw"/>, then solves; returns [body_yaw, q1..q6].
    /// </summary>
    public double[] InverseKinematicsSafe(ReadOnlySpan<double> platform, double bodyYaw, double? maxRelativeYaw, double? maxBodyYaw)
    {
        var body = ClampBodyYaw(platform, bodyYaw, maxRelativeYaw, maxBodyYaw);
        var result = new double[7];
        result[0] = body;
        InverseKinematics(platform, body).CopyTo(result, 1);
        return result;
    }

    /// <summary>The body-yaw clamp of <c>inverse_kinematics_safe</c> (no angle wrapping, as upstream).</summary>
    public static double ClampBodyYaw(ReadOnlySpan<double> platform, double bodyYaw, double? maxRelativeYaw, double? maxBodyYaw)
    {
        var target = -bodyYaw;
        if (maxRelativeYaw is { } rel)
        {
            var current = Math.Atan2(platform[1], platform[0]);
            target = current + Math.Clamp(target - current, -rel, rel);
        }
        if (maxBodyYaw is { } max)
        {
            target = Math.Clamp(target, -max, max);
        }
        return -target;
    }

    /// <summary>
    /// One Newton step of the numeric FK from the current estimate toward the pose matching
    /// <paramref name="joints"/> (six motor angles); returns the estimate, turned by
    /// <paramref name="bodyYaw"/> about the world z axis when given.
    /// </summary>
    public double[] ForwardKinematics(ReadOnlySpan<double> joints, double? bodyYaw, double headZOffset)
    {
        Span<double> jacobian = stackalloc double[36];
        Span<double> errors = stackalloc double[6];
        Span<double> arms = stackalloc double[18];
        var inverse = Transform.Inverse(_platform);
        for (var k = 0; k < 6; k++)
        {
            var leg = _legs[k];
            var (s, c) = Math.SinCos(joints[k]);
            arms[k * 3] = _rs * c;
            arms[(k * 3) + 1] = _rs * s;
            arms[(k * 3) + 2] = 0;
            var (ax, ay, az) = ArmInPlatform(inverse, leg, arms[k * 3], arms[(k * 3) + 1]);
            var bx = leg.Branch[0] - ax;
            var by = leg.Branch[1] - ay;
            var bz = leg.Branch[2] - az;
            var distance = Math.Sqrt((bx * bx) + (by * by) + (bz * bz));
            // Row = (bp − a)ᵀ · J_k, with J_k = [I | [−p]x-form], p = −bp.
            var px = -leg.Branch[0];
            var py = -leg.Branch[1];
            var pz = -leg.Branch[2];
            jacobian[k * 6] = bx;
            jacobian[(k * 6) + 1] = by;
            jacobian[(k * 6) + 2] = bz;
            jacobian[(k * 6) + 3] = (by * pz) - (bz * py);
            jacobian[(k * 6) + 4] = (-bx * pz) + (bz * px);
            jacobian[(k * 6) + 5] = (bx * py) - (by * px);
            errors[k] = _rp - distance;
        }

        var errorNorm = Norm(errors);
        if (errorNorm > 1e-6)
        {
            Span<double> v = stackalloc double[6];
            Span<double> newErrors = stackalloc double[6];
            if (Solve6(jacobian, errors, v))
            {
                for (var i = 0; i < LineSearchIterations; i++)
                {
                    var angle = Math.Sqrt((v[3] * v[3]) + (v[4] * v[4]) + (v[5] * v[5]));
                    var step = angle > 1e-6
                        ? Transform.Compose(Rotation.AxisAngle(v[3] / angle, v[4] / angle, v[5] / angle, angle), v[0], v[1], v[2])
                        : Transform.Translation(v[0], v[1], v[2]);
                    var candidate = Transform.Multiply(_platform, step);
                    var candidateInverse = Transform.Inverse(candidate);
                    for (var k = 0; k < 6; k++)
                    {
                        var leg = _legs[k];
                        var (ax, ay, az) = ArmInPlatform(candidateInverse, leg, arms[k * 3], arms[(k * 3) + 1]);
                        var bx = ax - leg.Branch[0];
                        var by = ay - leg.Branch[1];
                        var bz = az - leg.Branch[2];
                        newErrors[k] = _rp - Math.Sqrt((bx * bx) + (by * by) + (bz * bz));
                    }
                    if (Norm(newErrors) < errorNorm)
                    {
                        _platform = candidate;
                        break;
                    }
                    for (var j = 0; j < 6; j++)
                    {
                        v[j] *= 0.5;
                    }
                }
            }
        }

        var result = (double[])_platform.Clone();
        if (bodyYaw is { } yaw)
        {
            result[11] -= headZOffset;
            result = Transform.Multiply(Transform.RotationZ(yaw), result);
            result[11] += headZOffset;
        }
        return result;
    }

    private static (double X, double Y, double Z) ArmInPlatform(double[] platformInverse, Leg leg, double armX, double armY)
    {
        var (wx, wy, wz) = Transform.Apply(leg.WorldMotor, armX, armY, 0);
        return Transform.Apply(platformInverse, wx, wy, wz);
    }

    private static double WrapAngle(double angle) => angle - (2 * Math.PI * Math.Floor((angle + Math.PI) * (1 / (2 * Math.PI))));

    private static double Norm(ReadOnlySpan<double> v)
    {
        var sum = 0.0;
        foreach (var x in v)
        {
            sum += x * x;
        }
        return Math.Sqrt(sum);
    }

    // Gaussian elimination with partial pivoting; the 6×6 Jacobian is square, so this equals the pseudo-inverse
    // whenever it is well conditioned. A (near-)singular Jacobian skips the step, as a zeroed pinv would.
    private static bool Solve6(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> x)
    {
        Span<double> m = stackalloc double[42];
        for (var r = 0; r < 6; r++)
        {
            for (var c = 0; c < 6; c++)
            {
                m[(r * 7) + c] = a[(r * 6) + c];
            }
            m[(r * 7) + 6] = b[r];
        }
        for (var col = 0; col < 6; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < 6; r++)
            {
                if (Math.Abs(m[(r * 7) + col]) > Math.Abs(m[(pivot * 7) + col]))
                {
                    pivot = r;
                }
            }
            if (Math.Abs(m[(pivot * 7) + col]) < 1e-12)
            {
                return false;
            }
            if (pivot != col)
            {
                for (var c = 0; c < 7; c++)
                {
                    (m[(col * 7) + c], m[(pivot * 7) + c]) = (m[(pivot * 7) + c], m[(col * 7) + c]);
                }
            }
            for (var r = col + 1; r < 6; r++)
            {
                var f = m[(r * 7) + col] / m[(col * 7) + col];
                for (var c = col; c < 7; c++)
                {
                    m[(r * 7) + c] -= f * m[(col * 7) + c];
                }
            }
        }
        for (var r = 5; r >= 0; r--)
        {
            var sum = m[(r * 7) + 6];
            for (var c = r + 1; c < 6; c++)
            {
                sum -= m[(r * 7) + c] * x[c];
            }
            x[r] = sum / m[(r * 7) + r];
        }
        return true;
    }

    private sealed class Leg
    {
        public Leg(StewartBranch branch)
        {
            Branch = branch.BranchPosition;
            MotorWorld = branch.MotorWorld;
            WorldMotor = Transform.Inverse(branch.MotorWorld);
            // Upstream inverts twice (numpy, then nalgebra); IK uses the inverse of the stored inverse.
            MotorWorldForIk = Transform.Inverse(WorldMotor);
            BranchTranslation = Transform.Translation(Branch[0], Branch[1], Branch[2]);
            Sign = branch.Solution != 0 ? 1.0 : -1.0;
        }

        public double[] Branch { get; }
        public double[] MotorWorld { get; }
        public double[] WorldMotor { get; }
        public double[] MotorWorldForIk { get; }
        public double[] BranchTranslation { get; }
        public double Sign { get; }
    }
}

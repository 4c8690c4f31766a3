namespace RosaOS.ReachyMini.Geometry;

/// <summary>
/// Homogeneous 4×4 rigid transforms stored row-major in a 16-value array (the daemon's <c>{"m":[…]}</c>
/// layout), with scipy's extrinsic "xyz" Euler convention: R = Rz(yaw)·Ry(pitch)·Rx(roll).
/// Units are metres and radians. Every method allocates its result and never mutates its arguments.
/// </summary>
public static class Transform
{
    /// <summary>The identity transform.</summary>
    public static double[] Identity() => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

    /// <summary>A pure translation.</summary>
    public static double[] Translation(double x, double y, double z) => [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1];

    /// <summary>A rotation about z by <paramref name="angle"/> radians.</summary>
    public static double[] RotationZ(double angle)
    {
        var (s, c) = Math.SinCos(angle);
        return [c, -s, 0, 0, s, c, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    }

    /// <summary>The pose from a position and scipy "xyz" extrinsic roll/pitch/yaw.</summary>
    public static double[] FromXyzRpy(double x, double y, double z, double roll, double pitch, double yaw)
    {
        var r = Rotation.FromEulerXyz(roll, pitch, yaw);
        return Compose(r, x, y, z);
    }

    /// <summary>Position and scipy "xyz" extrinsic roll/pitch/yaw of a pose.</summary>
    public static (double X, double Y, double Z, double Roll, double Pitch, double Yaw) ToXyzRpy(ReadOnlySpan<double> m)
    {
        var (roll, pitch, yaw) = Rotation.ToEulerXyz(RotationPart(m));
        return (m[3], m[7], m[11], roll, pitch, yaw);
    }

    /// <summary>Builds a transform from a 3×3 row-major rotation and a translation.</summary>
    public static double[] Compose(ReadOnlySpan<double> r, double x, double y, double z)
        => [r[0], r[1], r[2], x, r[3], r[4], r[5], y, r[6], r[7], r[8], z, 0, 0, 0, 1];

    /// <summary>The 3×3 rotation block, row-major.</summary>
    public static double[] RotationPart(ReadOnlySpan<double> m) => [m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]];

    /// <summary>The product a·b.</summary>
    public static double[] Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var result = new double[16];
        for (var i = 0; i < 4; i++)
        {
            for (var j = 0; j < 4; j++)
            {
                result[(i * 4) + j] = (a[i * 4] * b[j]) + (a[(i * 4) + 1] * b[4 + j]) + (a[(i * 4) + 2] * b[8 + j]) + (a[(i * 4) + 3] * b[12 + j]);
            }
        }
        return result;
    }

    /// <summary>The inverse of a rigid transform (rotation transposed, translation rotated back).</summary>
    public static double[] InverseRigid(ReadOnlySpan<double> m)
    {
        var tx = m[3];
        var ty = m[7];
        var tz = m[11];
        return
        [
            m[0], m[4], m[8], -((m[0] * tx) + (m[4] * ty) + (m[8] * tz)),
            m[1], m[5], m[9], -((m[1] * tx) + (m[5] * ty) + (m[9] * tz)),
            m[2], m[6], m[10], -((m[2] * tx) + (m[6] * ty) + (m[10] * tz)),
            0, 0, 0, 1,
        ];
    }

    /// <summary>The general inverse of a 4×4 (Gauss-Jordan with partial pivoting); NaNs when singular.</summary>
    public static double[] Inverse(ReadOnlySpan<double> m)
    {
        var a = m.ToArray();
        var inv = Identity();
        for (var col = 0; col < 4; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < 4; r++)
            {
                if (Math.Abs(a[(r * 4) + col]) > Math.Abs(a[(pivot * 4) + col]))
                {
                    pivot = r;
                }
            }
            if (a[(pivot * 4) + col] == 0)
            {
                Array.Fill(inv, double.NaN);
                return inv;
            }
            if (pivot != col)
            {
                for (var c = 0; c < 4; c++)
                {
                    (a[(col * 4) + c], a[(pivot * 4) + c]) = (a[(pivot * 4) + c], a[(col * 4) + c]);
                    (inv[(col * 4) + c], inv[(pivot * 4) + c]) = (inv[(pivot * 4) + c], inv[(col * 4) + c]);
                }
            }
            var d = a[(col * 4) + col];
            for (var c = 0; c < 4; c++)
            {
                a[(col * 4) + c] /= d;
                inv[(col * 4) + c] /= d;
            }
            for (var r = 0; r < 4; r++)
            {
                if (r == col)
                {
                    continue;
                }
                var f = a[(r * 4) + col];
                if (f == 0)
                {
                    continue;
                }
                for (var c = 0; c < 4; c++)
                {
                    a[(r * 4) + c] -= f * a[(col * 4) + c];
                    inv[(r * 4) + c] -= f * inv[(col * 4) + c];
                }
            }
        }
        return inv;
    }

    /// <summary>Applies the transform to a point.</summary>
    public static (double X, double Y, double Z) Apply(ReadOnlySpan<double> m, double x, double y, double z)
        => ((m[0] * x) + (m[1] * y) + (m[2] * z) + m[3], (m[4] * x) + (m[5] * y) + (m[6] * z) + m[7], (m[8] * x) + (m[9] * y) + (m[10] * z) + m[11]);

    /// <summary>True when the 16 values are finite, the last row is [0,0,0,1] and the rotation block is orthonormal with determinant +1 (within <paramref name="tolerance"/>).</summary>
    public static bool IsRigid(ReadOnlySpan<double> m, double tolerance = 1e-2)
    {
        if (m.Length != 16)
        {
            return false;
        }
        foreach (var v in m)
        {
            if (!double.IsFinite(v))
            {
                return false;
            }
        }
        if (Math.Abs(m[12]) > tolerance || Math.Abs(m[13]) > tolerance || Math.Abs(m[14]) > tolerance || Math.Abs(m[15] - 1) > tolerance)
        {
            return false;
        }
        var r = RotationPart(m);
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                var dot = (r[i * 3] * r[j * 3]) + (r[(i * 3) + 1] * r[(j * 3) + 1]) + (r[(i * 3) + 2] * r[(j * 3) + 2]);
                if (Math.Abs(dot - (i == j ? 1 : 0)) > tolerance)
                {
                    return false;
                }
            }
        }
        return Rotation.Determinant(r) > 0;
    }

    /// <summary>The 4×4 as nested rows, the /ws/sdk <c>head_pose</c> layout.</summary>
    public static double[][] ToRows(ReadOnlySpan<double> m)
        => [[m[0], m[1], m[2], m[3]], [m[4], m[5], m[6], m[7]], [m[8], m[9], m[10], m[11]], [m[12], m[13], m[14], m[15]]];

    /// <summary>
    /// The daemon's <c>distance_between_poses</c>: translation distance (m), rotation angle (rad), and the
    /// "magic" distance = metres·1000 + degrees used to size wake-up and sleep gotos.
    /// </summary>
    public static (double Translation, double Angle, double Magic) Distance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var dx = a[3] - b[3];
        var dy = a[7] - b[7];
        var dz = a[11] - b[11];
        var translation = Math.Sqrt((dx * dx) + (dy * dy) + (dz * dz));
        var ra = RotationPart(a);
        var rb = RotationPart(b);
        // trace(Ra·Rbᵀ) = Σ Ra[i,j]·Rb[i,j]
        var trace = 0.0;
        for (var i = 0; i < 9; i++)
        {
            trace += ra[i] * rb[i];
        }
        var angle = Math.Acos(Math.Clamp((trace - 1) / 2, -1, 1));
        return (translation, angle, (translation * 1000) + (angle * 180 / Math.PI));
    }
}

namespace RosaOS.ReachyMini.Geometry;

/// <summary>3×3 rotations (row-major 9-value arrays): scipy "xyz" Euler angles, rotation vectors (log/exp).</summary>
public static class Rotation
{
    /// <summary>R = Rz(yaw)·Ry(pitch)·Rx(roll) (scipy <c>from_euler("xyz", [roll, pitch, yaw])</c>).</summary>
    public static double[] FromEulerXyz(double roll, double pitch, double yaw)
    {
        var (sr, cr) = Math.SinCos(roll);
        var (sp, cp) = Math.SinCos(pitch);
        var (sy, cy) = Math.SinCos(yaw);
        return
        [
            cy * cp, (cy * sp * sr) - (sy * cr), (cy * sp * cr) + (sy * sr),
            sy * cp, (sy * sp * sr) + (cy * cr), (sy * sp * cr) - (cy * sr),
            -sp, cp * sr, cp * cr,
        ];
    }

    /// <summary>
    /// scipy <c>as_euler("xyz")</c>: roll, pitch, yaw. At gimbal lock (|pitch| = 90°) scipy sets the third
    /// angle (yaw) to zero and puts the whole rotation about z into roll; this does the same.
    /// </summary>
    public static (double Roll, double Pitch, double Yaw) ToEulerXyz(ReadOnlySpan<double> r)
    {
        var sp = Math.Clamp(-r[6], -1, 1);
        var pitch = Math.Asin(sp);
        if (Math.Abs(Math.Abs(sp) - 1) < 1e-9)
        {
            // R = Rz(y)·Ry(±90°)·Rx(r) depends only on r ∓ y; with y = 0: r = atan2(±r01, r11).
            var roll = sp > 0 ? Math.Atan2(r[1], r[4]) : Math.Atan2(-r[1], r[4]);
            return (roll, pitch, 0.0);
        }
        return (Math.Atan2(r[7], r[8]), pitch, Math.Atan2(r[3], r[0]));
    }

    /// <summary>The product a·b.</summary>
    public static double[] Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var result = new double[9];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                result[(i * 3) + j] = (a[i * 3] * b[j]) + (a[(i * 3) + 1] * b[3 + j]) + (a[(i * 3) + 2] * b[6 + j]);
            }
        }
        return result;
    }

    /// <summary>The transpose (inverse) of a rotation.</summary>
    public static double[] Transpose(ReadOnlySpan<double> r) => [r[0], r[3], r[6], r[1], r[4], r[7], r[2], r[5], r[8]];

    /// <summary>Determinant of a 3×3.</summary>
    public static double Determinant(ReadOnlySpan<double> r)
        => (r[0] * ((r[4] * r[8]) - (r[5] * r[7]))) - (r[1] * ((r[3] * r[8]) - (r[5] * r[6]))) + (r[2] * ((r[3] * r[7]) - (r[4] * r[6])));

    /// <summary>Rotation about z.</summary>
    public static double[] AboutZ(double angle)
    {
        var (s, c) = Math.SinCos(angle);
        return [c, -s, 0, s, c, 0, 0, 0, 1];
    }

    /// <summary>Rodrigues: the rotation of angle ‖v‖ about v/‖v‖.</summary>
    public static double[] Exp(double vx, double vy, double vz)
    {
        var angle = Math.Sqrt((vx * vx) + (vy * vy) + (vz * vz));
        if (angle < 1e-12)
        {
            // First order: I + [v]x, exact enough below 1e-12 rad.
            return [1, -vz, vy, vz, 1, -vx, -vy, vx, 1];
        }
        return AxisAngle(vx / angle, vy / angle, vz / angle, angle);
    }

    /// <summary>The rotation of <paramref name="angle"/> radians about the unit axis (x, y, z).</summary>
    public static double[] AxisAngle(double x, double y, double z, double angle)
    {
        var (s, c) = Math.SinCos(angle);
        var t = 1 - c;
        return
        [
            (t * x * x) + c, (t * x * y) - (s * z), (t * x * z) + (s * y),
            (t * x * y) + (s * z), (t * y * y) + c, (t * y * z) - (s * x),
            (t * x * z) - (s * y), (t * y * z) + (s * x), (t * z * z) + c,
        ];
    }

    /// <summary>The rotation vector of R (axis·angle, angle in [0, π]), robust near 0 and π.</summary>
    public static (double X, double Y, double Z) Log(ReadOnlySpan<double> r)
    {
        // atan2 of the antisymmetric and symmetric parts keeps full precision at every angle (acos does not near 0 and π).
        var wx = (r[7] - r[5]) / 2;
        var wy = (r[2] - r[6]) / 2;
        var wz = (r[3] - r[1]) / 2;
        var sin = Math.Sqrt((wx * wx) + (wy * wy) + (wz * wz));
        var cos = (r[0] + r[4] + r[8] - 1) / 2;
        var angle = Math.Atan2(sin, cos);
        if (sin < 1e-12 && cos > 0)
        {
            return (wx, wy, wz);
        }
        if (cos > -0.9)
        {
            var k = angle / sin;
            return (wx * k, wy * k, wz * k);
        }
        // Near π the antisymmetric part vanishes; take the axis from R + I = 2·a·aᵀ (+ small terms), its sign from w.
        var xx = Math.Sqrt(Math.Max((r[0] - cos) / (1 - cos), 0));
        var yy = Math.Sqrt(Math.Max((r[4] - cos) / (1 - cos), 0));
        var zz = Math.Sqrt(Math.Max((r[8] - cos) / (1 - cos), 0));
        double ax, ay, az;
        if (xx >= yy && xx >= zz)
        {
            ax = xx;
            ay = (r[1] + r[3]) / (2 * (1 - cos) * xx);
            az = (r[2] + r[6]) / (2 * (1 - cos) * xx);
        }
        else if (yy >= zz)
        {
            ay = yy;
            ax = (r[1] + r[3]) / (2 * (1 - cos) * yy);
            az = (r[5] + r[7]) / (2 * (1 - cos) * yy);
        }
        else
        {
            az = zz;
            ax = (r[2] + r[6]) / (2 * (1 - cos) * zz);
            ay = (r[5] + r[7]) / (2 * (1 - cos) * zz);
        }
        var n = Math.Sqrt((ax * ax) + (ay * ay) + (az * az));
        if ((ax * wx) + (ay * wy) + (az * wz) < 0)
        {
            n = -n;
        }
        return (ax / n * angle, ay / n * angle, az / n * angle);
    }

    /// <summary>Geodesic interpolation R0·exp(s·log(R0ᵀR1)); extrapolates for s outside [0, 1].</summary>
    public static double[] Slerp(ReadOnlySpan<double> r0, ReadOnlySpan<double> r1, double s)
    {
        var (x, y, z) = Log(Multiply(Transpose(r0), r1));
        return Multiply(r0, Exp(x * s, y * s, z * s));
    }
}

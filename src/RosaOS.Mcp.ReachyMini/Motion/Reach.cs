using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Kinematics;

namespace RosaOS.Mcp.ReachyMini.Motion;

/// <summary>
/// Combined-axis reachability. Each axis within its limit does not make a pose reachable (e.g. pitch 40°
/// with roll 40°); the daemon then silently holds the last reachable pose. This scales the head's offset
/// from neutral (translation, roll, pitch) down until the analytic IK closes every leg, so the answer can
/// say where the head will really go.
/// </summary>
public static class Reach
{
    /// <summary>The largest fraction in (0, 1] of the offset that is reachable, and the pose scaled by it (mm and degrees).</summary>
    public static (double Fraction, double X, double Y, double Z, double Roll, double Pitch) Limit(
        double xMm, double yMm, double zMm, double rollDeg, double pitchDeg, double yawDeg, double bodyYawDeg)
    {
        var kinematics = new HeadKinematics();
        bool Reachable(double f) => kinematics.InverseKinematics(
            Transform.FromXyzRpy(f * xMm / 1000, f * yMm / 1000, f * zMm / 1000, Rad(f * rollDeg), Rad(f * pitchDeg), Rad(yawDeg)), Rad(bodyYawDeg)) is not null;
        if (Reachable(1))
        {
            return (1, xMm, yMm, zMm, rollDeg, pitchDeg);
        }
        double lo = 0, hi = 1;
        for (var i = 0; i < 20; i++)
        {
            var mid = (lo + hi) / 2;
            if (Reachable(mid))
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        // Keep a small margin inside the boundary where the legs are at full stretch.
        var f = Math.Max(0, lo - 0.01);
        return (f, f * xMm, f * yMm, f * zMm, f * rollDeg, f * pitchDeg);
    }

    private static double Rad(double degrees) => degrees * Math.PI / 180;
}

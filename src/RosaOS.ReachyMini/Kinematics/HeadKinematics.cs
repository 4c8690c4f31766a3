using RosaOS.ReachyMini.Geometry;

namespace RosaOS.ReachyMini.Kinematics;

/// <summary>
/// The Reachy Mini head kinematics as the daemon's <c>AnalyticalKinematics</c> engine computes them: head
/// poses in the world frame (no z offset), joints [body_yaw, stewart_1..6] in radians, automatic body yaw
/// (clamped within 65° of the head yaw and 160° absolute) on by default. FK is warm-started and seeded at
/// the sleep pose, so an instance belongs to one caller at a time (it is not thread-safe).
/// </summary>
public sealed class HeadKinematics
{
    /// <summary>Height of the platform frame above the head origin (m), hidden from the API.</summary>
    public const double HeadZOffset = 0.177;

    /// <summary>Crank radius (m), <c>motor_arm_length</c>.</summary>
    public const double MotorArmLength = 0.04000000000000001;

    /// <summary>Rod length (m), <c>rod_length</c>.</summary>
    public const double RodLength = 0.08499999999999995;

    /// <summary>Largest |head yaw − body yaw| the automatic body yaw allows (65°).</summary>
    public static readonly double MaxRelativeYaw = 65 * Math.PI / 180;

    /// <summary>Largest |body yaw| (160°).</summary>
    public static readonly double MaxBodyYaw = 160 * Math.PI / 180;

    /// <summary>The daemon's <c>SLEEP_HEAD_POSE</c> (row-major).</summary>
    public static IReadOnlyList<double> SleepHeadPose { get; } =
        [0.911, 0.004, 0.413, -0.021, -0.004, 1.0, -0.001, 0.001, -0.413, -0.001, 0.911, -0.044, 0, 0, 0, 1];

    /// <summary>The daemon's <c>SLEEP_HEAD_JOINT_POSITIONS</c>.</summary>
    public static IReadOnlyList<double> SleepHeadJoints { get; } =
        [0, -0.9848156658225817, 1.2624661884298831, -0.24390294527381684, 0.20555342557667577, -1.2363885150358267, 1.0032234352772091];

    /// <summary>The legs of kinematics_data.json (the daemon's current geometry).</summary>
    public static IReadOnlyList<StewartBranch> Branches { get; } =
    [
        new([0.020648178337122566, 0.021763723638894568, 1.0345743467476964e-07], [0.8660247915798898, -0.5000010603626028, -2.298079077119539e-06, -0.009999848080267933, 4.490195936008854e-06, 3.1810770986818273e-06, 0.999999999984859, -0.07663346037245178, -0.500001060347722, -0.8660247915770963, 4.999994360718464e-06, 0.03666015757925319, 0.0, 0.0, 0.0, 1.0], 0),
        new([0.00852381571767217, 0.028763668526131346, 1.183437210727778e-07], [-0.8660211183436269, 0.5000074225224785, 2.298069723064582e-06, -0.01000055227585102, -4.490219645842903e-06, -3.181063409649239e-06, -0.999999999984859, 0.07663346037219607, -0.5000074225075973, -0.8660211183408337, 5.00001124330122e-06, 0.03666008712637943, 0.0, 0.0, 0.0, 1.0], 1),
        new([-0.029172011376922807, 0.0069999429399361995, 4.0290270064691214e-08], [6.326794896519466e-06, 0.9999999999799852, -7.0550646912150425e-12, -0.009999884140839245, -1.0196153102346142e-06, 1.3505961633338446e-11, 0.9999999999994795, -0.07663346037438698, 0.9999999999794655, -6.326794896940104e-06, 1.0196153098685706e-06, 0.036660683387545835, 0.0, 0.0, 0.0, 1.0], 0),
        new([-0.029172040355214434, -0.0069999960097160766, -3.1608172912367394e-08], [-3.673205069955933e-06, -0.9999999999932537, -6.767968877969483e-14, -0.010000000000897517, 1.0196153102837198e-06, -3.6775764393585005e-12, -0.9999999999994795, 0.0766334603742898, 0.9999999999927336, -3.673205070385213e-06, 1.0196153102903487e-06, 0.03666065685180194, 0.0, 0.0, 0.0, 1.0], 1),
        new([0.008523809101930114, -0.028763713010385224, -1.4344916837716326e-07], [-0.8660284647694133, -0.4999946981757419, 2.298079429767357e-06, -0.010000231529504576, 4.490172883391843e-06, -3.1811099293773187e-06, 0.9999999999848591, -0.07663346037246624, -0.4999946981608617, 0.8660284647666201, 4.999994384073154e-06, 0.03666016059492482, 0.0, 0.0, 0.0, 1.0], 0),
        new([0.020648186722822436, -0.02176369606185343, -8.957920105689965e-08], [0.8660247915798897, 0.5000010603626025, -2.298069644866714e-06, -0.009999527331574583, -4.490196220318687e-06, 3.1810964558725514e-06, -0.9999999999848591, 0.07663346037272492, -0.500001060347722, 0.8660247915770967, 5.000011266610794e-06, 0.036660231042625266, 0.0, 0.0, 0.0, 1.0], 1),
    ];

    private readonly StewartPlatform _platform = new(MotorArmLength, RodLength, Branches);

    /// <summary>Creates the engine with FK seeded at the sleep pose.</summary>
    public HeadKinematics(bool automaticBodyYaw = true)
    {
        AutomaticBodyYaw = automaticBodyYaw;
        ResetForwardKinematics([.. SleepHeadPose]);
    }

    /// <summary>When true (the default), body yaw is clamped relative to the head yaw and absolutely.</summary>
    public bool AutomaticBodyYaw { get; set; }

    /// <summary>Re-seeds FK at a head pose (world frame, no offset).</summary>
    public void ResetForwardKinematics(ReadOnlySpan<double> headPose)
    {
        var seed = headPose.ToArray();
        seed[11] += HeadZOffset;
        _platform.ResetForwardKinematics(seed);
    }

    /// <summary>
    /// Re-seeds FK at the head pose that produced a set of joints (with its body yaw), so the next FK call
    /// starts on the right solution branch even after a large jump between two ticks.
    /// </summary>
    public void ResetForwardKinematics(ReadOnlySpan<double> headPose, double bodyYaw)
    {
        var seed = Transform.Multiply(Transform.RotationZ(-bodyYaw), headPose);
        seed[11] += HeadZOffset;
        _platform.ResetForwardKinematics(seed);
    }

    /// <summary>
    /// Joints [body_yaw, stewart_1..6] reaching <paramref name="headPose"/> with the body turned to
    /// <paramref name="bodyYaw"/> (after the clamps), or null when the pose is out of reach (a leg's rod
    /// cannot close), which the daemon reports as "Collision detected or head pose not achievable".
    /// </summary>
    public double[]? InverseKinematics(ReadOnlySpan<double> headPose, double bodyYaw = 0.0)
    {
        var pose = headPose.ToArray();
        pose[11] += HeadZOffset;
        double[] joints;
        if (AutomaticBodyYaw)
        {
            joints = _platform.InverseKinematicsSafe(pose, bodyYaw, MaxRelativeYaw, MaxBodyYaw);
        }
        else
        {
            joints = new double[7];
            joints[0] = bodyYaw;
            _platform.InverseKinematics(pose, bodyYaw).CopyTo(joints, 1);
        }
        foreach (var j in joints)
        {
            if (!double.IsFinite(j))
            {
                return null;
            }
        }
        return joints;
    }

    /// <summary>
    /// Head pose (world frame) of <paramref name="joints"/> after <paramref name="iterations"/> warm-started
    /// Newton steps; retries from upright when the estimate flips over, as the daemon does.
    /// </summary>
    public double[] ForwardKinematics(ReadOnlySpan<double> joints, int iterations = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        if (joints.Length != 7)
        {
            throw new ArgumentException("Head joints are [body_yaw, stewart_1..6].", nameof(joints));
        }
        var body = joints[0];
        var stewart = joints[1..].ToArray();
        double[] pose = [];
        // The daemon retries until upright; a bound keeps a pathological input from spinning forever.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            for (var i = 0; i < iterations; i++)
            {
                pose = _platform.ForwardKinematics(stewart, body, HeadZOffset);
            }
            var (roll, pitch, _) = Rotation.ToEulerXyz(Transform.RotationPart(pose));
            if (Math.Abs(roll) <= Math.PI / 2 && Math.Abs(pitch) <= Math.PI / 2)
            {
                break;
            }
            body += 0.001;
            for (var k = 0; k < 6; k++)
            {
                stewart[k] += 0.001;
            }
            _platform.ResetForwardKinematics(Transform.Translation(0, 0, HeadZOffset));
        }
        pose[11] -= HeadZOffset;
        return pose;
    }
}

using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Kinematics;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Tests;

/// <summary>
/// The pose maths and the Stewart-platform kinematics against the upstream numbers: the unit-test vectors of
/// pollen-robotics/reachy_mini_rust_kinematics (with that crate's own test geometry), the daemon's own
/// tests, and the worked examples of reachy-mini-daemon.md.
/// </summary>
public sealed class KinematicsTests
{
    // The test geometry of reachy_mini_rust_kinematics (its motors.json, Kinematics::new(0.038, 0.09)):
    // test data, not the robot's geometry (that is HeadKinematics.Branches).
    private static readonly StewartBranch[] s_crateTestBranches =
    [
        new([0.029923302914194892, 0.024972311623049397, -0.0012000917284306356], [0.8660247915798892, -0.5000010603626024, 2.2980696749787093e-06, -0.010249870803819339, -8.169833472480465e-07, 3.181076937306543e-06, 0.999999999994606, -0.07095015644698092, -0.5000010603672165, -0.8660247915770963, 2.3463989512861495e-06, 0.03491131119632033, 0.0, 0.0, 0.0, 1.0], 0),
        new([0.01866493633097173, 0.03147236950257581, -0.0012001156044764427], [-0.8660284647694133, 0.4999946981757419, -2.298079422430893e-06, -0.010249798307299489, 8.17006717375784e-07, -3.1810904294669822e-06, -0.9999999999946061, 0.07095015644692688, -0.49999469818035597, -0.8660284647666201, 2.346415833955053e-06, 0.03491129648463168, 0.0, 0.0, 0.0, 1.0], 1),
        new([-0.02458835044705287, 0.006500059796632535, -0.0012000238760609405], [-3.6732051028920366e-06, 0.9999999999932537, -5.5509812979416994e-17, -0.010249999999999974, -6.32679489691732e-06, -2.323955979305652e-11, 0.9999999999799852, -0.0709501564463867, 0.9999999999732392, 3.6732051032496763e-06, 6.326794896960002e-06, 0.034911149429116516, 0.0, 0.0, 0.0, 1.0], 0),
        new([-0.02458831265441605, -0.00650000060923834, -0.001199976124172747], [6.3267948965194915e-06, -0.9999999999799852, 7.045760515816073e-12, -0.010249886979833239, 6.326794896868612e-06, 3.298257315190058e-11, -0.9999999999799852, 0.07095015644648657, 0.9999999999599714, 6.3267948968685995e-06, 6.3267948965194915e-06, 0.03491117662826198, 0.0, 0.0, 0.0, 1.0], 1),
        new([0.018664989140337103, -0.0314722975004655, -0.0011998843958043737], [-0.8660211183436267, -0.5000074225224783, -2.2980696739062076e-06, -0.010250111202072792, -8.169599766242216e-07, -3.181082938921205e-06, 0.9999999999946059, -0.07095015644665029, -0.5000074225270917, 0.8660211183408332, 2.346398951648971e-06, 0.03491122118425945, 0.0, 0.0, 0.0, 1.0], 0),
        new([0.02992331793092344, -0.02497229497412101, -0.0011999082716467324], [0.8660247915798898, 0.5000010603626028, 2.2980794226529372e-06, -0.010250183698700642, 8.169833477585367e-07, 3.1810964318917192e-06, -0.9999999999946063, 0.07095015644670434, -0.5000010603672164, 0.8660247915770962, 2.346415834339648e-06, 0.0349112358954155, 0.0, 0.0, 0.0, 1.0], 1),
    ];

    private static StewartPlatform CrateTestPlatform()
    {
        var platform = new StewartPlatform(0.038, 0.09, s_crateTestBranches);
        platform.ResetForwardKinematics(Transform.Translation(0, 0, HeadKinematics.HeadZOffset));
        return platform;
    }

    [Fact]
    public void Ik_MatchesTheCratesTestVector()
    {
        var joints = CrateTestPlatform().InverseKinematics(Transform.Translation(0, 0, 0.177), null);
        double[] expected = [0.5469084013213722, -0.6911929467384811, 0.6290593106168814, -0.6290625053607944, 0.6911968541984359, -0.5469156644896231];
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(expected[i], joints[i], 1e-9);
        }
    }

    [Fact]
    public void Fk_OneStep_MatchesTheCratesTestVector()
    {
        var pose = CrateTestPlatform().ForwardKinematics([0.3, 0, 0, 0, 0, 0], null, HeadKinematics.HeadZOffset);
        pose[11] -= 0.177;
        double[] expected =
        [
            0.9500544312762279, -0.303810126556134, -0.07138616542684614, -0.032726798589555045,
            0.2784767970164817, 0.928527235235177, -0.24553583638638127, 0.01043105987061096,
            0.14088027234444309, 0.21339301869663957, 0.9667554853403684, -0.04973316892312707,
            0, 0, 0, 1,
        ];
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(expected[i], pose[i], 1e-9);
        }
    }

    [Theory]
    [InlineData(null, 1e-6)]
    [InlineData(0.1, 1e-4)]
    public void IkThenFk_RecoversThePose(double? bodyYaw, double tolerance)
    {
        var platform = CrateTestPlatform();
        var target = Transform.Translation(0, 0, 0.177);
        var joints = platform.InverseKinematics(target, bodyYaw);
        double[] pose = [];
        for (var i = 0; i < 101; i++)
        {
            pose = platform.ForwardKinematics(joints, bodyYaw, HeadKinematics.HeadZOffset);
        }
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(target[i], pose[i], tolerance);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(Math.PI / 4)]
    public void CurrentGeometry_IkOfNeutral_FkBack(double bodyYaw)
    {
        // reachy_mini's own test: ik(eye(4)) then fk(sol, no_iterations=10) ≈ eye within 1e-2.
        var kinematics = new HeadKinematics();
        var joints = kinematics.InverseKinematics(Transform.Identity(), bodyYaw)!;
        if (bodyYaw == 0)
        {
            Assert.Equal(0.62654, Math.Abs(joints[1]), 1e-4);
        }
        var pose = kinematics.ForwardKinematics(joints, 10);
        var identity = Transform.Identity();
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(identity[i], pose[i], 1e-2);
        }
    }

    [Fact]
    public void CurrentGeometry_FkOfSleepJoints_MatchesTheDocumentedPose()
    {
        var kinematics = new HeadKinematics();
        var pose = kinematics.ForwardKinematics([.. HeadKinematics.SleepHeadJoints], 20);
        double[] expected = [0.85896, 0.005327, 0.512509, -0.015183, -0.003997, 0.999993, -0.003807, 0.001016, -0.51252, 0.000963, 0.85896, -0.050408, 0, 0, 0, 1];
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(expected[i], pose[i], 2e-5);
        }
        var back = kinematics.InverseKinematics(pose)!;
        double[] expectedJoints = [0, -0.978, 1.260, -0.243, 0.205, -1.235, 0.995];
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(expectedJoints[i], back[i], 2e-3);
        }
    }

    [Fact]
    public void UnreachablePose_HasNoJoints()
    {
        var kinematics = new HeadKinematics();
        Assert.Null(kinematics.InverseKinematics(Transform.Translation(0, 0, 0.05)));
        Assert.Null(kinematics.InverseKinematics(Transform.FromXyzRpy(0, 0, 0, 0, 60 * Math.PI / 180, 0)));
        Assert.NotNull(kinematics.InverseKinematics(Transform.Translation(0, 0, 0.02)));
        Assert.NotNull(kinematics.InverseKinematics(Transform.FromXyzRpy(0, 0, 0, 0, 45 * Math.PI / 180, 0)));
    }

    [Theory]
    [InlineData(0, 90, 65)]
    [InlineData(0, -90, -65)]
    [InlineData(30, 30, 30)]
    [InlineData(170, 175, 160)]
    [InlineData(200, 200, -95)]
    [InlineData(-100, -170, -160)]
    public void BodyYaw_Clamps(double headYawDeg, double bodyYawDeg, double expectedDeg)
    {
        var head = Transform.FromXyzRpy(0, 0, 0, 0, 0, headYawDeg * Math.PI / 180);
        var body = StewartPlatform.ClampBodyYaw(head, bodyYawDeg * Math.PI / 180, HeadKinematics.MaxRelativeYaw, HeadKinematics.MaxBodyYaw);
        Assert.Equal(expectedDeg, body * 180 / Math.PI, 1e-9);
    }

    [Fact]
    public void BodyYaw_SameAsHead_GivesTheNeutralStewartAngles()
    {
        var kinematics = new HeadKinematics();
        var neutral = kinematics.InverseKinematics(Transform.Identity(), 0)!;
        var turned = kinematics.InverseKinematics(Transform.FromXyzRpy(0, 0, 0, 0, 0, Math.PI / 6), Math.PI / 6)!;
        Assert.Equal(Math.PI / 6, turned[0], 1e-12);
        for (var i = 1; i < 7; i++)
        {
            Assert.Equal(neutral[i], turned[i], 1e-9);
        }
        kinematics.AutomaticBodyYaw = false;
        Assert.Equal(1.5, kinematics.InverseKinematics(Transform.Identity(), 1.5)![0]);
    }

    [Theory]
    [InlineData(InterpolationMethod.Linear, new[] { 0, .1, .25, .5, .75, .9, 1 })]
    [InlineData(InterpolationMethod.MinJerk, new[] { 0, .00856, .103516, .5, .896484, .99144, 1 })]
    [InlineData(InterpolationMethod.EaseInOut, new[] { 0, .02, .125, .5, .875, .98, 1 })]
    [InlineData(InterpolationMethod.Cartoon, new[] { 0, -.037519, -.099682, .5, 1.099682, 1.037519, 1 })]
    public void TimeLaws_MatchTheDaemonsTable(InterpolationMethod method, double[] expected)
    {
        double[] ts = [0, .1, .25, .5, .75, .9, 1];
        for (var i = 0; i < ts.Length; i++)
        {
            Assert.Equal(expected[i], Interpolation.TimeLaw(method, ts[i]), 1e-6);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Interpolation.TimeLaw(method, 1.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => Interpolation.TimeLaw(method, double.NaN));
    }

    [Fact]
    public void EulerXyz_WorkedExample_AndRoundTrip()
    {
        var m = Transform.FromXyzRpy(0.005, -0.003, 0.005, 0.1, 0.1, 0.2);
        double[] expected = [0.975170327202, -0.187908771234, 0.117188423653, 0.005, 0.197676811654, 0.977150407022, -0.078108643508, -0.003, -0.099833416647, 0.099334665398, 0.990033288921, 0.005, 0, 0, 0, 1];
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(expected[i], m[i], 1e-12);
        }
        var (x, y, z, roll, pitch, yaw) = Transform.ToXyzRpy(m);
        Assert.Equal((0.005, -0.003, 0.005), (x, y, z));
        Assert.Equal(0.1, roll, 1e-12);
        Assert.Equal(0.1, pitch, 1e-12);
        Assert.Equal(0.2, yaw, 1e-12);
        // Gimbal lock: scipy puts yaw to 0 and keeps the rotation exact.
        var locked = Rotation.FromEulerXyz(0.3, Math.PI / 2, 0.2);
        var (r2, p2, y2) = Rotation.ToEulerXyz(locked);
        Assert.Equal(0, y2);
        var again = Rotation.FromEulerXyz(r2, p2, y2);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(locked[i], again[i], 1e-9);
        }
    }

    [Fact]
    public void YawAsScalar_TurnsThroughTheFront()
    {
        var start = Transform.FromXyzRpy(0, 0, 0, 0, 0.1, 120 * Math.PI / 180);
        var end = Transform.FromXyzRpy(0, 0, 0, 0, 0.1, -120 * Math.PI / 180);
        var yaws = Enumerable.Range(0, 61).Select(i => Transform.ToXyzRpy(Interpolation.Pose(start, end, i / 60.0, yawAsScalar: true)).Yaw * 180 / Math.PI).ToList();
        Assert.True(yaws.Max(Math.Abs) <= 121);
        Assert.True(yaws.Min(Math.Abs) <= 5);
        Assert.True(yaws.Zip(yaws.Skip(1)).All(p => Math.Abs(p.First - p.Second) < 10));
        Assert.Equal(120, yaws[0], 1e-9);
        Assert.Equal(-120, yaws[^1], 1e-9);
        // Without yaw-as-scalar the geodesic goes through the back (180°).
        var geodesic = Enumerable.Range(0, 61).Select(i => Math.Abs(Transform.ToXyzRpy(Interpolation.Pose(start, end, i / 60.0)).Yaw * 180 / Math.PI)).Max();
        Assert.True(geodesic > 170);
    }

    [Fact]
    public void RotationLogExp_RoundTrip_IncludingNearPi()
    {
        foreach (var (ax, ay, az, angle) in new[] { (0.0, 0.0, 1.0, 0.0), (1.0, 0.0, 0.0, 1e-10), (0.6, 0.8, 0.0, 2.0), (0.0, 0.6, 0.8, Math.PI - 1e-9), (1.0, 0.0, 0.0, Math.PI) })
        {
            var r = Rotation.AxisAngle(ax, ay, az, angle);
            var (x, y, z) = Rotation.Log(r);
            var back = Rotation.Exp(x, y, z);
            for (var i = 0; i < 9; i++)
            {
                Assert.Equal(r[i], back[i], 1e-9);
            }
        }
    }

    [Fact]
    public void Transform_InverseAndRigidCheck()
    {
        var m = Transform.FromXyzRpy(0.01, -0.02, 0.03, 0.2, -0.1, 1.2);
        var product = Transform.Multiply(m, Transform.Inverse(m));
        var rigid = Transform.Multiply(m, Transform.InverseRigid(m));
        var identity = Transform.Identity();
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(identity[i], product[i], 1e-12);
            Assert.Equal(identity[i], rigid[i], 1e-12);
        }
        Assert.True(Transform.IsRigid(m));
        Assert.False(Transform.IsRigid([2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]));
        Assert.False(Transform.IsRigid([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1]));
        Assert.False(Transform.IsRigid([double.NaN, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]));
        Assert.Equal(0.0, Transform.Distance(m, m).Magic, 1e-6);
        Assert.Equal(10 + 45, Transform.Distance(Transform.Identity(), Transform.FromXyzRpy(0.01, 0, 0, 0, 0, Math.PI / 4)).Magic, 1e-9);
    }
}

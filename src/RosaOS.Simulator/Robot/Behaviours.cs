using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Kinematics;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>The daemon's scripted sequences (reachy-mini-daemon.md §3.6), as move programs.</summary>
internal static class Behaviours
{
    /// <summary>The nominal length of <see cref="WakeUp"/> from sleep, for the move log.</summary>
    public const double WakeUpNominalS = 2.1;

    /// <summary>The nominal length of <see cref="GotoSleep"/> from awake, for the move log.</summary>
    public const double GotoSleepNominalS = 5.2;

    private static double[] Init => Transform.Identity();

    /// <summary><c>wake_up()</c>: to the init pose (duration from the distance), sound, a 20° roll nod, back.</summary>
    public static IReadOnlyList<MoveStep> WakeUp() =>
    [
        new PlayStep(new PauseMove(0.1)),
        new BranchStep(robot =>
        {
            if (IsAwake(robot))
            {
                return [];
            }
            var magic = Transform.Distance(robot.PresentPose, Init).Magic;
            return
            [
                new GotoStep([.. Init], [.. RobotCore.InitAntennas], 0.0, magic * 20 / 1000, InterpolationMethod.MinJerk),
                new PlayStep(new PauseMove(0.1)),
                new ActionStep(r => r.Sound.PlayFile("wake_up.wav")),
                new GotoStep(Transform.FromXyzRpy(0, 0, 0, 20 * Math.PI / 180, 0, 0), null, 0.0, 0.2, InterpolationMethod.MinJerk),
                new GotoStep([.. Init], null, 0.0, 0.2, InterpolationMethod.MinJerk),
            ];
        }),
    ];

    /// <summary><c>goto_sleep()</c>: to init if far, sound, to the sleep pose over 2 s, then motors off.</summary>
    public static IReadOnlyList<MoveStep> GotoSleep() =>
    [
        new BranchStep(robot =>
        {
            var sleep = HeadKinematics.SleepHeadPose.ToArray();
            var steps = new List<MoveStep>();
            if (Transform.Distance(robot.PresentPose, sleep).Magic > 10)
            {
                if (Transform.Distance(robot.PresentPose, Init).Magic > 30)
                {
                    steps.Add(new GotoStep([.. Init], [.. RobotCore.InitAntennas], 0.0, 1.0, InterpolationMethod.MinJerk));
                    steps.Add(new PlayStep(new PauseMove(0.2)));
                }
                steps.Add(new ActionStep(r => r.Sound.PlayFile("go_sleep.wav")));
                steps.Add(new GotoStep(sleep, [.. RobotCore.SleepAntennas], 0.0, 2.0, InterpolationMethod.MinJerk));
            }
            else
            {
                steps.Add(new ActionStep(r => r.Sound.PlayFile("go_sleep.wav")));
                steps.Add(new PlayStep(new PauseMove(3.0)));
            }
            steps.Add(new PlayStep(new PauseMove(2.0)));
            steps.Add(new ActionStep(r => r.SetModeFromMove(MotorControlMode.Disabled)));
            return steps;
        }),
    ];

    /// <summary><c>reset_to_sleep()</c> (daemon stop): motors on, to init, then <see cref="GotoSleep"/>.</summary>
    public static IReadOnlyList<MoveStep> ResetToSleep() =>
    [
        new ActionStep(r => r.SetModeFromMove(MotorControlMode.Enabled)),
        new GotoStep(robot => new GotoPlan([.. Init], [.. RobotCore.InitAntennas], 0.0,
            Math.Clamp(Transform.Distance(robot.PresentPose, Init).Magic * 0.02, 0.3, 1.5), InterpolationMethod.MinJerk)),
        new PlayStep(new PauseMove(0.2)),
        .. GotoSleep(),
    ];

    private static bool IsAwake(RobotCore robot)
    {
        if (robot.MotorModeUnlocked != MotorControlMode.Enabled || robot.TargetPose is not { } target || robot.TargetAntennasInternal is not { } antennas)
        {
            return false;
        }
        var init = Init;
        for (var i = 0; i < 16; i++)
        {
            if (Math.Abs(target[i] - init[i]) > 1e-2)
            {
                return false;
            }
        }
        return Math.Abs(antennas[0] - RobotCore.InitAntennas[0]) <= 1e-2 && Math.Abs(antennas[1] - RobotCore.InitAntennas[1]) <= 1e-2;
    }
}

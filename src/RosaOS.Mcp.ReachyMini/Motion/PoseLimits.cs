using System.Globalization;

namespace RosaOS.Mcp.ReachyMini.Motion;

/// <summary>
/// The Reachy Mini's documented motion limits (reachy-mini-daemon.md §3.4), in the units the tools speak
/// (millimetres, degrees, seconds). Commands are clamped into them and every clamp is reported.
/// </summary>
public static class PoseLimits
{
    /// <summary>Head roll and pitch: ±40° (the SDK's documented safety limits).</summary>
    public const double HeadTiltDegrees = 40;

    /// <summary>Head yaw: ±180°.</summary>
    public const double HeadYawDegrees = 180;

    /// <summary>Body yaw: ±160° (the kinematics' absolute clamp).</summary>
    public const double BodyYawDegrees = 160;

    /// <summary>Largest difference between head yaw and body yaw: 65°.</summary>
    public const double RelativeYawDegrees = 65;

    /// <summary>Antennas: ±180°.</summary>
    public const double AntennaDegrees = 180;

    /// <summary>Head x (forward) reach within the motor limits, mm.</summary>
    public static readonly (double Min, double Max) HeadXMm = (-46, 50);

    /// <summary>Head y (left) reach within the motor limits, mm.</summary>
    public static readonly (double Min, double Max) HeadYMm = (-47, 47);

    /// <summary>Head z (up) reach within the motor limits, mm.</summary>
    public static readonly (double Min, double Max) HeadZMm = (-50, 23);

    /// <summary>Shortest and longest move, s.</summary>
    public static readonly (double Min, double Max) DurationS = (0.1, 60);
}

/// <summary>Clamps values one by one and remembers what it changed, for the tool's answer.</summary>
public sealed class Clamper
{
    private readonly List<string> _notes = [];

    /// <summary>What was clamped, e.g. "head_pitch 55 → 40 degrees".</summary>
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Rejects a non-finite value with an error that names the argument.</summary>
    public static double Finite(string name, double value)
        => double.IsFinite(value) ? value : throw new ArgumentException($"{name} must be a finite number (got {value.ToString(CultureInfo.InvariantCulture)}).");

    /// <summary>Clamps <paramref name="value"/> to [min, max], noting a change.</summary>
    public double Clamp(string name, double value, double min, double max, string unit)
    {
        Finite(name, value);
        var clamped = Math.Clamp(value, min, max);
        if (clamped != value)
        {
            _notes.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {Round(value)} → {Round(clamped)} {unit}"));
        }
        return clamped;
    }

    /// <summary>Records a change made for a reason other than a range.</summary>
    public void Note(string note) => _notes.Add(note);

    /// <summary>" Clamped to the robot's limits: …." or "".</summary>
    public string Summary => _notes.Count == 0 ? "" : " Clamped to the robot's limits: " + string.Join("; ", _notes) + ".";

    private static string Round(double v) => Math.Abs(v) >= 1e6 ? v.ToString("G3", CultureInfo.InvariantCulture) : Math.Round(v, 1).ToString(CultureInfo.InvariantCulture);
}

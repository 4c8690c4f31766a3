using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Configuration;

namespace RosaOS.Mcp.Ros;

/// <summary>Applies the safety envelope: who may be written to, and how fast a Twist may ask the robot to go.</summary>
public sealed class RobotSafety(SafetyOptions options)
{
    /// <summary>The envelope.</summary>
    public SafetyOptions Options { get; } = options;

    /// <summary>Null when tools may write to <paramref name="name"/>, else why not.</summary>
    public string? WhyRefused(string kind, string name)
    {
        if (Options.Deny.Any(p => Matches(p, name)))
        {
            return $"{kind} {name} is on this robot's deny list; writing to it is not allowed.";
        }
        if (Options.Allow.Count > 0 && !Options.Allow.Any(p => Matches(p, name)))
        {
            return $"{kind} {name} is not on this robot's allow list ({string.Join(", ", Options.Allow)}).";
        }
        return null;
    }

    /// <summary>True for geometry_msgs Twist and TwistStamped in either type-name form.</summary>
    public static bool IsTwist(string type)
    {
        var t = type.Replace("/msg/", "/", StringComparison.Ordinal);
        return t is "geometry_msgs/Twist" or "geometry_msgs/TwistStamped";
    }

    /// <summary>Clamps every linear and angular component of a Twist (or TwistStamped) in place; returns what was clamped.</summary>
    public List<string> ClampTwist(JsonObject message, string type)
    {
        var twist = type.EndsWith("TwistStamped", StringComparison.Ordinal) ? message["twist"] as JsonObject : message;
        var notes = new List<string>();
        if (twist is null)
        {
            return notes;
        }
        foreach (var (part, limit) in new[] { ("linear", Options.MaxLinear), ("angular", Options.MaxAngular) })
        {
            if (twist[part] is not JsonObject vector)
            {
                continue;
            }
            foreach (var axis in new[] { "x", "y", "z" })
            {
                if (vector[axis] is not JsonValue value)
                {
                    continue;
                }
                if (value.GetValueKind() != JsonValueKind.Number)
                {
                    throw new ArgumentException($"{part}.{axis} must be a number, got {value.ToJsonString()}.");
                }
                var v = value.GetValue<double>();
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException($"{part}.{axis} must be finite.");
                }
                if (Math.Abs(v) > limit)
                {
                    var clamped = Math.CopySign(limit, v);
                    vector[axis] = clamped;
                    notes.Add($"{part}.{axis} {v:0.###} clamped to {clamped:0.###} ({(part == "linear" ? "m/s" : "rad/s")} limit of this robot)");
                }
            }
        }
        return notes;
    }

    private static bool Matches(string pattern, string name)
        => pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, name, StringComparison.Ordinal);
}

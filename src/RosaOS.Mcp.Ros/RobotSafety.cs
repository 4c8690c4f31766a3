using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Configuration;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// Applies the safety envelope: which names may be written to (allow lists per kind, deny wins), bounds on named fields
/// of any message, service request or action goal, and how fast a Twist may ask the robot to go (by vector norm).
/// </summary>
public sealed class RobotSafety(SafetyOptions options)
{
    private static readonly string[] Parts = ["linear", "angular"];
    private static readonly string[] Axes = ["x", "y", "z"];

    /// <summary>The envelope.</summary>
    public SafetyOptions Options { get; } = options;

    /// <summary>Null when tools may write to <paramref name="name"/> (a topic, service, action or parameter), else why not.</summary>
    public string? WhyRefused(string kind, string name)
    {
        if (Options.Deny.Any(p => Matches(p, name)))
        {
            return $"{kind} {name} is on this robot's deny list; writing to it is not allowed.";
        }
        var kindList = Options.AllowFor(kind);
        if (Options.Allow.Any(p => Matches(p, name)) || kindList.Any(p => Matches(p, name)))
        {
            return null;
        }
        var allowed = Options.Allow.Concat(kindList).ToList();
        return $"{kind} {name} is not on this robot's allow list for {kind} writes ({(allowed.Count == 0 ? "none are allowed" : string.Join(", ", allowed))}); " +
            $"writes are refused unless a person adds the name to ros.safety.allow_{kind}s of this robot in drivers.json.";
    }

    /// <summary>
    /// Applies the field bounds of <paramref name="kind"/> <paramref name="name"/> to <paramref name="body"/> in place:
    /// clamps what may be clamped and returns what was; throws <see cref="ArgumentException"/> when a bound refuses.
    /// </summary>
    public List<string> ApplyBounds(string kind, string name, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var notes = new List<string>();
        foreach (var bound in Options.Bounds)
        {
            if ((bound.Kind is null || bound.Kind == kind) && Matches(bound.Name, name))
            {
                Apply(bound, body, bound.Field.Split('.'), 0, bound.Field, kind, name, notes);
            }
        }
        return notes;
    }

    private static void Apply(FieldBound bound, JsonNode? node, string[] path, int depth, string field, string kind, string name, List<string> notes)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                Apply(bound, item, path, depth, field, kind, name, notes);
            }
            return;
        }
        if (node is not JsonObject obj || obj[path[depth]] is not { } child)
        {
            if (bound.Values is { Count: > 0 } allowed)
            {
                // A left-out field is sent as ROS's default (false, 0), which may be exactly what the bound excludes.
                throw new ArgumentException($"{field} must be given on {kind} {name}; this robot allows only {string.Join(", ", allowed.Select(a => a.GetRawText()))} there.");
            }
            return;
        }
        if (depth < path.Length - 1 || child is JsonArray)
        {
            if (child is JsonArray values && depth == path.Length - 1)
            {
                for (var i = 0; i < values.Count; i++)
                {
                    CheckValue(bound, values, i, values[i], field, kind, name, notes);
                }
                return;
            }
            Apply(bound, child, path, depth + 1, field, kind, name, notes);
            return;
        }
        CheckValue(bound, obj, path[depth], child, field, kind, name, notes);
    }

    private static void CheckValue(FieldBound bound, JsonNode parent, object key, JsonNode? value, string field, string kind, string name, List<string> notes)
    {
        if (bound.Values is { Count: > 0 } allowed)
        {
            var text = value?.ToJsonString() ?? "null";
            if (!allowed.Any(a => JsonElementEquals(a, value)))
            {
                throw new ArgumentException($"{field} = {text} is not allowed on {kind} {name}; this robot allows only {string.Join(", ", allowed.Select(a => a.GetRawText()))} there.");
            }
        }
        if (bound.Min is null && bound.Max is null)
        {
            return;
        }
        if (value is not JsonValue number || number.GetValueKind() != JsonValueKind.Number)
        {
            throw new ArgumentException($"{field} on {kind} {name} must be a number (it is bounded on this robot), got {value?.ToJsonString() ?? "null"}.");
        }
        var v = number.AsDouble();
        if (!double.IsFinite(v))
        {
            throw new ArgumentException($"{field} on {kind} {name} must be finite.");
        }
        var limited = Math.Clamp(v, bound.Min ?? double.NegativeInfinity, bound.Max ?? double.PositiveInfinity);
        if (limited == v)
        {
            return;
        }
        var range = $"{Show(bound.Min, "-inf")}..{Show(bound.Max, "inf")}";
        if (bound.OnViolation == "refuse")
        {
            throw new ArgumentException($"{field} = {v.ToString("0.###", CultureInfo.InvariantCulture)} is outside this robot's bound {range} for {kind} {name}; the call was refused, send a value within the bound.");
        }
        // An integer stays an integer when the bound is one (ROS int fields refuse 100.0 on some bridges).
        JsonNode clamped = IsInteger(number) && limited == Math.Round(limited) ? JsonValue.Create((long)limited) : JsonValue.Create(limited);
        if (parent is JsonObject o)
        {
            o[(string)key] = clamped;
        }
        else
        {
            ((JsonArray)parent)[(int)key] = clamped;
        }
        notes.Add($"{field} {v.ToString("0.###", CultureInfo.InvariantCulture)} clamped to {clamped.ToJsonString()} (bound {range} of this robot for {kind} {name})");
    }

    private static bool IsInteger(JsonValue value) => value.ToJsonString().All(c => char.IsDigit(c) || c == '-');

    private static bool JsonElementEquals(JsonElement allowed, JsonNode? value)
    {
        if (value is null)
        {
            return allowed.ValueKind == JsonValueKind.Null;
        }
        if (allowed.ValueKind == JsonValueKind.Number && value is JsonValue v && v.GetValueKind() == JsonValueKind.Number)
        {
            return allowed.GetDouble() == v.AsDouble();
        }
        return JsonNode.DeepEquals(JsonNode.Parse(allowed.GetRawText()), value);
    }

    private static string Show(double? value, string none) => value?.ToString("0.###", CultureInfo.InvariantCulture) ?? none;

    /// <summary>True for geometry_msgs Twist and TwistStamped in either type-name form.</summary>
    public static bool IsTwist(string type)
    {
        var t = type.Replace("/msg/", "/", StringComparison.Ordinal);
        return t is "geometry_msgs/Twist" or "geometry_msgs/TwistStamped";
    }

    /// <summary>True when every component of the Twist (or TwistStamped) is zero or absent.</summary>
    public static bool IsZeroTwist(JsonObject message, string type)
    {
        var twist = type.EndsWith("TwistStamped", StringComparison.Ordinal) ? message["twist"] as JsonObject : message;
        return twist is null || Parts.All(part => twist[part] is not JsonObject vector
            || Axes.All(axis => vector[axis] is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || value.AsDouble() == 0));
    }

    /// <summary>
    /// Limits a Twist (or TwistStamped) in place by the norm of its linear and of its angular vector: a vector longer than
    /// the robot's limit is scaled down to it, keeping its direction. Returns what was limited.
    /// </summary>
    public List<string> ClampTwist(JsonObject message, string type)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(type);
        var twist = type.EndsWith("TwistStamped", StringComparison.Ordinal) ? message["twist"] as JsonObject : message;
        var notes = new List<string>();
        if (twist is null)
        {
            return notes;
        }
        foreach (var (part, limit, unit) in new[] { ("linear", Options.MaxLinear, "m/s"), ("angular", Options.MaxAngular, "rad/s") })
        {
            if (twist[part] is not JsonObject vector)
            {
                continue;
            }
            var components = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var axis in Axes)
            {
                if (vector[axis] is not { } node)
                {
                    continue;
                }
                if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
                {
                    throw new ArgumentException($"{part}.{axis} must be a number, got {node.ToJsonString()}.");
                }
                var v = value.AsDouble();
                if (!double.IsFinite(v))
                {
                    throw new ArgumentException($"{part}.{axis} must be finite.");
                }
                components[axis] = v;
            }
            // Scaled by the largest component first so that 1e308 does not overflow the squares.
            var largest = components.Count == 0 ? 0 : components.Values.Max(Math.Abs);
            var norm = largest == 0 ? 0 : largest * Math.Sqrt(components.Values.Sum(v => (v / largest) * (v / largest)));
            if (norm <= limit)
            {
                continue;
            }
            foreach (var (axis, v) in components)
            {
                vector[axis] = v / norm * limit;
            }
            notes.Add(string.Create(CultureInfo.InvariantCulture,
                $"{part} speed {norm:0.###} {unit} scaled down to {limit:0.###} {unit} (this robot's limit on the {part} vector's norm); " +
                $"{part} is now ({string.Join(", ", components.Select(c => $"{c.Key}={(c.Value / norm * limit).ToString("0.###", CultureInfo.InvariantCulture)}"))})"));
        }
        return notes;
    }

    private static bool Matches(string pattern, string name)
        => pattern == "*" || (pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, name, StringComparison.Ordinal));
}

internal static class JsonNumberExtensions
{
    /// <summary>A JSON number as a double, whether it was parsed or built in code (an int node has no double view).</summary>
    public static double AsDouble(this JsonValue value)
        => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);
}

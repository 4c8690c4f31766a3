using System.Text.Json;
using System.Text.Json.Serialization;

namespace RosaOS.Configuration;

/// <summary>
/// The <c>ros</c> section of a drivers.json entry: everything one <c>rosa ros</c> process needs, overridden by its
/// command line. Mutable so that flags can override it; see docs/ros.md for the schema.
/// </summary>
public sealed class RosRobotOptions
{
    /// <summary>The drivers.json key of the robot (turtlebot, dog); names log lines and image files (set from the entry, not read).</summary>
    [JsonIgnore]
    public string Name { get; set; } = "ros";

    /// <summary>The robot's rosbridge WebSocket URL.</summary>
    [JsonPropertyName("rosbridge")]
    public string Rosbridge { get; set; } = "ws://127.0.0.1:9090";

    /// <summary>The MCP server's HTTP port (the port of the entry's url).</summary>
    [JsonPropertyName("port")]
    public int Port { get; set; } = 9091;

    /// <summary>Default camera topic of capture_camera_image.</summary>
    [JsonPropertyName("camera_topic")]
    public string CameraTopic { get; set; } = "/image_raw/compressed";

    /// <summary>Where captured images go (a ros/ subfolder is used); default: the data directory's images folder.</summary>
    [JsonPropertyName("images_dir")]
    public string? ImagesDir { get; set; }

    /// <summary>The safety envelope, inline.</summary>
    [JsonPropertyName("safety")]
    public SafetyOptions Safety { get; set; } = new();

    /// <summary>A file holding the safety envelope instead (relative to the config folder).</summary>
    [JsonPropertyName("safety_file")]
    public string? SafetyFile { get; set; }

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Rosbridge, UriKind.Absolute, out var uri) || uri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"--rosbridge must be a ws:// or wss:// URL, got '{Rosbridge}'.");
        }
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port must be 0..65535, got {Port}.");
        }
        Safety.Validate();
    }
}

/// <summary>
/// The per-robot safety envelope. Every write (publish, service call, action goal, parameter set or delete) is refused
/// unless an allow list permits its name: <see cref="Allow"/> for every kind, or the list of its kind. Reads stay open.
/// </summary>
public sealed class SafetyOptions
{
    /// <summary>Names writable whatever their kind (topic, service, action, parameter); '*' at the end matches a prefix, "*" alone everything.</summary>
    [JsonPropertyName("allow")]
    public List<string> Allow { get; set; } = [];

    /// <summary>Topics tools may publish on (in addition to <see cref="Allow"/>).</summary>
    [JsonPropertyName("allow_topics")]
    public List<string> AllowTopics { get; set; } = [];

    /// <summary>Services tools may call (in addition to <see cref="Allow"/>).</summary>
    [JsonPropertyName("allow_services")]
    public List<string> AllowServices { get; set; } = [];

    /// <summary>Actions tools may send goals to (in addition to <see cref="Allow"/>).</summary>
    [JsonPropertyName("allow_actions")]
    public List<string> AllowActions { get; set; } = [];

    /// <summary>Parameters tools may set or delete (in addition to <see cref="Allow"/>).</summary>
    [JsonPropertyName("allow_parameters")]
    public List<string> AllowParameters { get; set; } = [];

    /// <summary>Names tools may never write to, of any kind; deny wins over allow.</summary>
    [JsonPropertyName("deny")]
    public List<string> Deny { get; set; } = [];

    /// <summary>Numeric (and value) bounds on named fields of messages, service requests and action goals.</summary>
    [JsonPropertyName("bounds")]
    public List<FieldBound> Bounds { get; set; } = [];

    /// <summary>Largest norm |(linear.x, linear.y, linear.z)| in m/s of any Twist a tool sends; a longer vector is scaled down.</summary>
    [JsonPropertyName("max_linear")]
    public double MaxLinear { get; set; } = 0.3;

    /// <summary>Largest norm |angular| in rad/s of any Twist a tool sends; a longer vector is scaled down.</summary>
    [JsonPropertyName("max_angular")]
    public double MaxAngular { get; set; } = 1.0;

    /// <summary>Longest continuous publishing one tool call may do, in seconds.</summary>
    [JsonPropertyName("max_publish_seconds")]
    public double MaxPublishSeconds { get; set; } = 30;

    /// <summary>
    /// The dead-man of a single velocity message: seconds after a non-zero Twist from publish_once that zero velocity is
    /// sent on the same topic unless another Twist renews it. 0 turns it off.
    /// </summary>
    [JsonPropertyName("deadman_seconds")]
    public double DeadmanSeconds { get; set; } = 1.0;

    /// <summary>The velocity topic the stop tool zeroes.</summary>
    [JsonPropertyName("cmd_vel_topic")]
    public string CmdVelTopic { get; set; } = "/cmd_vel";

    /// <summary>Its type.</summary>
    [JsonPropertyName("cmd_vel_type")]
    public string CmdVelType { get; set; } = "geometry_msgs/Twist";

    /// <summary>The allow list of one kind ("topic", "service", "action", "parameter").</summary>
    public IReadOnlyList<string> AllowFor(string kind) => kind switch
    {
        "topic" => AllowTopics,
        "service" => AllowServices,
        "action" => AllowActions,
        "parameter" => AllowParameters,
        _ => [],
    };

    public void Validate()
    {
        if (!(MaxLinear >= 0 && MaxLinear <= 10) || !(MaxAngular >= 0 && MaxAngular <= 20))
        {
            throw new ArgumentException($"safety max_linear must be 0..10 m/s and max_angular 0..20 rad/s, got {MaxLinear} and {MaxAngular}.");
        }
        if (!(MaxPublishSeconds > 0 && MaxPublishSeconds <= 3600))
        {
            throw new ArgumentException($"safety max_publish_seconds must be in (0, 3600], got {MaxPublishSeconds}.");
        }
        if (!(DeadmanSeconds >= 0 && DeadmanSeconds <= 60))
        {
            throw new ArgumentException($"safety deadman_seconds must be 0..60 (0 = off), got {DeadmanSeconds}.");
        }
        foreach (var pattern in Allow.Concat(AllowTopics).Concat(AllowServices).Concat(AllowActions).Concat(AllowParameters).Concat(Deny))
        {
            if (string.IsNullOrWhiteSpace(pattern) || (pattern != "*" && !pattern.StartsWith('/')))
            {
                throw new ArgumentException($"safety allow/deny patterns must be ROS names starting with '/' (a trailing '*' matches a prefix) or \"*\", got '{pattern}'.");
            }
        }
        for (var i = 0; i < Bounds.Count; i++)
        {
            Bounds[i].Validate($"safety bounds[{i}]");
        }
    }
}

/// <summary>
/// A bound on one field of the messages written to matching names: a numeric range (clamped or refused) and/or the only
/// values allowed (refused otherwise), e.g. the dog's walking speed, or /e_stop may only be engaged (e_stop_on = true).
/// </summary>
public sealed class FieldBound
{
    /// <summary>Topic, service or action name pattern ('*' at the end matches a prefix).</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Only this kind (topic, service, action); null for all.</summary>
    [JsonPropertyName("kind")]
    public string? Kind { get; set; }

    /// <summary>Dotted field path in the message, request or goal, e.g. "speed" or "pose.pose.position.x"; arrays apply to every element.</summary>
    [JsonPropertyName("field")]
    public string Field { get; set; } = "";

    /// <summary>Smallest value allowed.</summary>
    [JsonPropertyName("min")]
    public double? Min { get; set; }

    /// <summary>Largest value allowed.</summary>
    [JsonPropertyName("max")]
    public double? Max { get; set; }

    /// <summary>The only values allowed (any JSON scalars); anything else is refused.</summary>
    [JsonPropertyName("values")]
    public List<JsonElement>? Values { get; set; }

    /// <summary>"clamp" (default): an out-of-range number is set to the nearest bound; "refuse": the write is refused.</summary>
    [JsonPropertyName("on_violation")]
    public string OnViolation { get; set; } = "clamp";

    public void Validate(string where)
    {
        if (string.IsNullOrWhiteSpace(Name) || (Name != "*" && !Name.StartsWith('/')))
        {
            throw new ArgumentException($"{where}.name must be a ROS name pattern starting with '/', got '{Name}'.");
        }
        if (Kind is not (null or "topic" or "service" or "action"))
        {
            throw new ArgumentException($"{where}.kind must be topic, service or action (or left out for all), got '{Kind}'.");
        }
        if (string.IsNullOrWhiteSpace(Field) || Field.Split('.').Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException($"{where}.field must be a dotted field path such as \"speed\" or \"pose.position.x\", got '{Field}'.");
        }
        if (Min is null && Max is null && Values is not { Count: > 0 })
        {
            throw new ArgumentException($"{where} needs min, max or values.");
        }
        if (Min is { } lo && Max is { } hi && !(lo <= hi))
        {
            throw new ArgumentException($"{where}: min {lo} is above max {hi}.");
        }
        if (OnViolation is not ("clamp" or "refuse"))
        {
            throw new ArgumentException($"{where}.on_violation must be \"clamp\" or \"refuse\", got '{OnViolation}'.");
        }
    }
}

// Unknown keys in a ros section are refused: a misspelt safety limit must not silently fall back to its default.
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RosRobotOptions))]
[JsonSerializable(typeof(SafetyOptions))]
[JsonSerializable(typeof(FieldBound))]
internal sealed partial class RosJsonContext : JsonSerializerContext;

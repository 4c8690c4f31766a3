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

/// <summary>The per-robot safety envelope.</summary>
public sealed class SafetyOptions
{
    /// <summary>Topics, services and actions tools may write to (publish, call, send goals); '*' at the end matches a prefix. Empty = everything not denied.</summary>
    [JsonPropertyName("allow")]
    public List<string> Allow { get; set; } = [];

    /// <summary>Names tools may never write to; deny wins over allow.</summary>
    [JsonPropertyName("deny")]
    public List<string> Deny { get; set; } = [];

    /// <summary>Largest |linear.x|, |linear.y|, |linear.z| in m/s for any Twist a tool sends.</summary>
    [JsonPropertyName("max_linear")]
    public double MaxLinear { get; set; } = 0.3;

    /// <summary>Largest |angular.*| in rad/s for any Twist a tool sends.</summary>
    [JsonPropertyName("max_angular")]
    public double MaxAngular { get; set; } = 1.0;

    /// <summary>Longest continuous publishing one tool call may do, in seconds.</summary>
    [JsonPropertyName("max_publish_seconds")]
    public double MaxPublishSeconds { get; set; } = 30;

    /// <summary>The velocity topic the stop tool zeroes.</summary>
    [JsonPropertyName("cmd_vel_topic")]
    public string CmdVelTopic { get; set; } = "/cmd_vel";

    /// <summary>Its type.</summary>
    [JsonPropertyName("cmd_vel_type")]
    public string CmdVelType { get; set; } = "geometry_msgs/Twist";

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
    }
}

// Unknown keys in a ros section are refused: a misspelt safety limit must not silently fall back to its default.
[JsonSourceGenerationOptions(ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(RosRobotOptions))]
[JsonSerializable(typeof(SafetyOptions))]
internal sealed partial class RosJsonContext : JsonSerializerContext;

using System.Text.Json.Serialization;

namespace RosaOS.Configuration;

/// <summary>
/// The <c>approval</c> section of a drivers.json entry: the calls of that driver a person must approve before they run
/// (enforced by the driver, below the LLM; see docs/architecture.md). A call needs approval when its tool is in
/// <see cref="Tools"/>, or, for a ROS driver, when it writes to a name matching <see cref="Topics"/>, <see cref="Services"/>,
/// <see cref="Actions"/> or <see cref="Parameters"/> ('*' at the end matches a prefix, "*" alone everything).
/// </summary>
public sealed class ApprovalOptions
{
    /// <summary>Longest wait a policy may configure, in seconds.</summary>
    public const double MaxTimeoutSeconds = 600;

    /// <summary>Tool names that always need approval (e.g. "call_service").</summary>
    [JsonPropertyName("tools")]
    public List<string> Tools { get; set; } = [];

    /// <summary>ROS topics whose publishing needs approval (publish_once, publish_for_durations).</summary>
    [JsonPropertyName("topics")]
    public List<string> Topics { get; set; } = [];

    /// <summary>ROS services whose calls need approval (call_service).</summary>
    [JsonPropertyName("services")]
    public List<string> Services { get; set; } = [];

    /// <summary>ROS actions whose goals need approval (send_action_goal).</summary>
    [JsonPropertyName("actions")]
    public List<string> Actions { get; set; } = [];

    /// <summary>ROS parameters whose setting or deleting needs approval (set_parameter, delete_parameter).</summary>
    [JsonPropertyName("parameters")]
    public List<string> Parameters { get; set; } = [];

    /// <summary>How long a call waits for a person's decision before it is refused, in seconds (default 60).</summary>
    [JsonPropertyName("timeout_seconds")]
    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>True when the section names nothing: no call waits.</summary>
    [JsonIgnore]
    public bool IsEmpty => Tools.Count + Topics.Count + Services.Count + Actions.Count + Parameters.Count == 0;

    /// <summary>The name patterns of one ROS kind ("topic", "service", "action", "parameter").</summary>
    public IReadOnlyList<string> PatternsFor(string kind) => kind switch
    {
        "topic" => Topics,
        "service" => Services,
        "action" => Actions,
        "parameter" => Parameters,
        _ => [],
    };

    /// <summary>Why a call of <paramref name="tool"/> writing to <paramref name="name"/> of <paramref name="kind"/> needs approval, or null.</summary>
    public string? Reason(string tool, string? kind, string? name)
    {
        ArgumentNullException.ThrowIfNull(tool);
        if (Tools.Contains(tool, StringComparer.Ordinal))
        {
            return $"the tool {tool} needs a person's approval on this robot";
        }
        if (kind is not null && name is not null && PatternsFor(kind).FirstOrDefault(p => Matches(p, name)) is { } pattern)
        {
            return $"writing to the {kind} {name} needs a person's approval on this robot (approval pattern '{pattern}')";
        }
        return null;
    }

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (!(TimeoutSeconds > 0 && TimeoutSeconds <= MaxTimeoutSeconds))
        {
            throw new ArgumentException($"approval timeout_seconds must be in (0, {MaxTimeoutSeconds}], got {TimeoutSeconds}.");
        }
        foreach (var tool in Tools)
        {
            if (string.IsNullOrWhiteSpace(tool) || tool.Length > 128)
            {
                throw new ArgumentException($"approval tools must be tool names of 1..128 characters, got '{tool}'.");
            }
        }
        foreach (var pattern in Topics.Concat(Services).Concat(Actions).Concat(Parameters))
        {
            if (string.IsNullOrWhiteSpace(pattern) || (pattern != "*" && !pattern.StartsWith('/')))
            {
                throw new ArgumentException($"approval topic/service/action/parameter patterns must be ROS names starting with '/' (a trailing '*' matches a prefix) or \"*\", got '{pattern}'.");
            }
        }
    }

    private static bool Matches(string pattern, string name)
        => pattern == "*" || (pattern.EndsWith('*') ? name.StartsWith(pattern[..^1], StringComparison.Ordinal) : string.Equals(pattern, name, StringComparison.Ordinal));
}

// Unknown keys are refused: a misspelt "servics" must not silently let a risky call through.
[JsonSourceGenerationOptions(ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ApprovalOptions))]
internal sealed partial class ApprovalJsonContext : JsonSerializerContext;

using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.Hosting.Watches;
using RosaOS.Mcp.Watches;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// Watches (issue 16): ask this driver to tell the kernel when something happens on a topic, instead of polling.
/// Read-only on the robot, so no lease or approval applies.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Tool argument names are snake_case, like the other ROS tools.")]
public sealed class WatchTools(RobotWatches watches, TimeProvider time, IServiceProvider services)
{
    private static readonly string[] Conditions = ["above", "below", "equals", "changes", "arrives", "silent_for"];

    [McpServerTool(Name = "add_watch", ReadOnly = true),
     Description("Watch a topic and have the kernel told (a [Robot event] with your text) when a condition holds, instead of polling. " +
        "condition: 'above'/'below' threshold (fires once when the field crosses it, re-armed when it goes back), 'equals' value " +
        "(when the field becomes equal), 'changes', 'arrives' (any message; with field, a message that has it, e.g. detections.0), 'silent_for' (no message for silent_seconds).")]
    public string AddWatch(
        [Description("Topic name, e.g. /battery_state")] string? topic = null,
        [Description("Condition: above, below, equals, changes, arrives, silent_for")] string? condition = null,
        [Description("What the kernel should be told when it fires, e.g. 'TurtleBot battery is low: send it to the dock'")] string? text = null,
        [Description("Field path in the message, e.g. percentage or pose.position.x (required for above, below, equals, changes)")] string? field = null,
        [Description("Threshold for above/below")] double? threshold = null,
        [Description("Value for equals (any JSON value)")] JsonElement? value = null,
        [Description("Seconds without a message for silent_for (1..86400)")] double? silent_seconds = null,
        [Description("Message type; looked up when omitted")] string? msg_type = null,
        [Description("Minimum seconds between two firings (0..3600)")] double debounce_seconds = 0,
        [Description("The watch ends after this many seconds (1..604800, default 86400)")] double expires_in_seconds = 86400)
    {
        if (string.IsNullOrWhiteSpace(topic) || !topic.StartsWith('/') || topic.Length > 256 || topic.Any(char.IsWhiteSpace))
        {
            throw new McpException($"topic must be a ROS name starting with '/', got '{topic}'.");
        }
        if (condition is null || !Conditions.Contains(condition.Trim()))
        {
            throw new McpException($"condition must be one of {string.Join(", ", Conditions)}, got '{condition}'.");
        }
        condition = condition.Trim();
        text = WatchTooling.RequireText(text);
        if (condition is "above" or "below" or "equals" or "changes" && string.IsNullOrWhiteSpace(field))
        {
            throw new McpException($"field is required for condition '{condition}': a field path such as percentage, got nothing.");
        }
        if (field is not null && (field.Length > 200 || field.Any(char.IsWhiteSpace) || field.Split('.').Any(string.IsNullOrEmpty)))
        {
            throw new McpException($"field must be a dotted field path such as percentage or pose.position.x, got '{field}'.");
        }
        if (condition is "above" or "below" && (threshold is null || !double.IsFinite(threshold.Value)))
        {
            throw new McpException($"threshold must be a finite number for condition '{condition}', got {threshold?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}.");
        }
        if (condition == "equals" && value is not { ValueKind: not JsonValueKind.Undefined })
        {
            throw new McpException("value is required for condition 'equals': the JSON value the field must equal, got nothing.");
        }
        if (condition == "silent_for" && silent_seconds is not (>= 1 and <= 86400))
        {
            throw new McpException($"silent_seconds must be in [1, 86400] for condition 'silent_for', got {silent_seconds?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}.");
        }
        WatchTooling.CheckTiming(debounce_seconds, expires_in_seconds);
        if (msg_type is not null && (msg_type.Length > 256 || msg_type.Count(c => c == '/') is not (1 or 2)))
        {
            throw new McpException($"msg_type must be pkg/Type or pkg/msg/Type, got '{msg_type}'.");
        }
        var now = time.GetUtcNow();
        var spec = new WatchSpec
        {
            Id = Watch.NewId(),
            Topic = topic,
            MsgType = string.IsNullOrWhiteSpace(msg_type) ? null : msg_type,
            Field = string.IsNullOrWhiteSpace(field) ? null : field,
            Condition = condition,
            Threshold = threshold,
            Value = value is { } v && condition == "equals" ? JsonNode.Parse(v.GetRawText()) : null,
            SilentSeconds = silent_seconds ?? 0,
            DebounceSeconds = debounce_seconds,
            ExpiresAt = now.AddSeconds(expires_in_seconds),
            Text = text,
            Owner = WatchTooling.Owner(services),
            CreatedAt = now,
        };
        return WatchTooling.Add(watches, spec);
    }

    [McpServerTool(Name = "list_watches", ReadOnly = true), Description("The active watches of this robot, with their owner, expiry and how often each fired.")]
    public string ListWatches() => WatchTooling.List(watches);

    [McpServerTool(Name = "remove_watch", ReadOnly = true), Description("Remove a watch by the id add_watch returned.")]
    public string RemoveWatch([Description("The watch id, e.g. watch-1a2b3c4d5e")] string? watch_id = null)
        => WatchTooling.Remove(watches, watch_id);
}

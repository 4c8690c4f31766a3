using System.ComponentModel;
using System.Globalization;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.Hosting.Watches;
using RosaOS.Mcp.ReachyMini.Watches;
using RosaOS.Mcp.Watches;

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>
/// Watches (issue 16), shaped like <c>rosa ros</c>'s: ask this driver to tell the kernel when a face appears, a known
/// person is recognised, sound comes from a direction or the head is moved by hand, instead of polling. Read-only on the
/// robot, so no lease or approval applies.
/// </summary>
[McpServerToolType]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707", Justification = "Tool argument names are snake_case, like the ROS watch tools.")]
public sealed class WatchTools(ReachyWatches watches, TimeProvider time, IServiceProvider services)
{
    [McpServerTool(Name = "add_watch", ReadOnly = true, Destructive = false, Idempotent = false, OpenWorld = false),
     Description("Watch the robot's senses and have the kernel told (a [Robot event] with your text) when a condition starts to hold, instead of polling. " +
        "condition: 'face_appears' (a face comes into the camera's view), 'person_recognised' (a known person comes into view; person narrows it to one name), " +
        "'sound_from' (someone speaks from direction_deg ± tolerance_deg, 0 = left, 90 = front, 180 = right), 'head_touched' (the head is moved by hand).")]
    public string AddWatch(
        [Description("Condition: face_appears, person_recognised, sound_from, head_touched")] string? condition = null,
        [Description("What the kernel should be told when it fires, e.g. 'Someone is in front of Reachy: greet them'")] string? text = null,
        [Description("person_recognised only: the person's name (as saved with save_image_person); omit for anyone known")] string? person = null,
        [Description("sound_from only: direction in degrees, 0 = left, 90 = front, 180 = right (0..360)")] double? direction_deg = null,
        [Description("sound_from only: how many degrees either side still count (1..180, default 30)")] double? tolerance_deg = null,
        [Description("Minimum seconds between two firings (0..3600)")] double debounce_seconds = 0,
        [Description("The watch ends after this many seconds (1..604800, default 86400)")] double expires_in_seconds = 86400)
    {
        var trimmed = condition?.Trim().ToLowerInvariant();
        if (trimmed == "person_recognized")
        {
            trimmed = ReachyWatch.PersonRecognised;
        }
        if (trimmed is null || !ReachyWatch.Conditions.Contains(trimmed))
        {
            throw new McpException($"condition must be one of {string.Join(", ", ReachyWatch.Conditions)}, got '{condition}'.");
        }
        text = WatchTooling.RequireText(text);
        if (person is not null && trimmed != ReachyWatch.PersonRecognised)
        {
            throw new McpException($"person applies to condition 'person_recognised' only, got person '{person}' with condition '{trimmed}'.");
        }
        if (person is not null && (string.IsNullOrWhiteSpace(person) || person.Length > 100))
        {
            throw new McpException($"person must be a name of 1..100 characters as saved with save_image_person, got '{person}'.");
        }
        if (trimmed == ReachyWatch.SoundFrom)
        {
            if (direction_deg is not { } d || !double.IsFinite(d) || d is < 0 or > 360)
            {
                throw new McpException($"direction_deg must be in [0, 360] for condition 'sound_from' (0 = left, 90 = front, 180 = right), got {direction_deg?.ToString(CultureInfo.InvariantCulture) ?? "nothing"}.");
            }
            if (tolerance_deg is { } t && (!double.IsFinite(t) || t is < 1 or > 180))
            {
                throw new McpException($"tolerance_deg must be in [1, 180], got {t.ToString(CultureInfo.InvariantCulture)}.");
            }
        }
        else if (direction_deg is not null || tolerance_deg is not null)
        {
            throw new McpException($"direction_deg and tolerance_deg apply to condition 'sound_from' only, got them with condition '{trimmed}'.");
        }
        WatchTooling.CheckTiming(debounce_seconds, expires_in_seconds);
        var now = time.GetUtcNow();
        var spec = new ReachyWatch
        {
            Id = Watch.NewId(),
            Condition = trimmed,
            Person = person?.Trim(),
            DirectionDeg = trimmed == ReachyWatch.SoundFrom ? direction_deg : null,
            ToleranceDeg = trimmed == ReachyWatch.SoundFrom ? tolerance_deg ?? 30 : null,
            DebounceSeconds = debounce_seconds,
            ExpiresAt = now.AddSeconds(expires_in_seconds),
            Text = text,
            Owner = WatchTooling.Owner(services),
            CreatedAt = now,
        };
        return WatchTooling.Add(watches, spec);
    }

    [McpServerTool(Name = "list_watches", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false),
     Description("The active watches of this robot, with their owner, expiry and how often each fired.")]
    public string ListWatches() => WatchTooling.List(watches);

    [McpServerTool(Name = "remove_watch", ReadOnly = true, Destructive = false, Idempotent = false, OpenWorld = false),
     Description("Remove a watch by the id add_watch returned.")]
    public string RemoveWatch([Description("The watch id, e.g. watch-1a2b3c4d5e")] string? watch_id = null)
        => WatchTooling.Remove(watches, watch_id);
}

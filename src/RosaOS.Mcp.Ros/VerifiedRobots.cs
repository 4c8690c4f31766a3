using System.Text.Json.Nodes;
using RosaOS.Configuration;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// The robots this installation knows how to drive: ros-mcp-server's <c>robot_specifications/*.yaml</c> become the
/// drivers.json entries with a <c>ros</c> section, whose spec text is their <c>config/prompts/&lt;name&gt;.txt</c>.
/// </summary>
public sealed class VerifiedRobots(IReadOnlyList<DriverEntry> drivers)
{
    /// <summary>From a drivers.json: its ROS robots (enabled or not: the spec is still true).</summary>
    public static VerifiedRobots From(DriversConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new([.. config.Drivers.Where(d => d.Ros is not null)]);
    }

    /// <summary>Sorted robot names.</summary>
    public IReadOnlyList<string> Names => [.. drivers.Select(d => d.Name).Order(StringComparer.Ordinal)];

    /// <summary>The spec of one robot, or null when there is none of that name.</summary>
    public JsonObject? Spec(string name)
    {
        var entry = drivers.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.OrdinalIgnoreCase));
        if (entry?.Ros is not { } ros)
        {
            return null;
        }
        return new JsonObject
        {
            ["name"] = entry.Name,
            ["type"] = "real",
            ["description"] = entry.Description,
            ["enabled"] = entry.Enabled,
            ["rosbridge"] = ros.Rosbridge,
            ["camera_topic"] = ros.CameraTopic,
            ["prompts"] = entry.Prompt,
        };
    }
}

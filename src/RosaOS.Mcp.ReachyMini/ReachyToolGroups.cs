using Microsoft.Extensions.DependencyInjection;
using RosaOS.Mcp.ReachyMini.Tools;

namespace RosaOS.Mcp.ReachyMini;

/// <summary>
/// The tool groups <c>rosa reachy</c> serves. A group is one <c>[McpServerToolType]</c> class whose
/// constructor takes the services it needs; to add one (vision: take_picture, describe_image, detect_faces,
/// analyze_face, save_image_person; speech input: move_to_audio), add its type here and register its
/// services in <see cref="ReachyServer.AddReachyServices"/>. HTTP and stdio serve the same list.
/// </summary>
public static class ReachyToolGroups
{
    /// <summary>Every tool group, in listing order.</summary>
    public static IReadOnlyList<Type> All { get; } =
    [
        typeof(MotionTools),
        typeof(EmotionTools),
        typeof(SpeechTools),
        typeof(VisionTools),
        typeof(HearingTools),
        typeof(WatchTools),
    ];

    /// <summary>Adds every group to the MCP server.</summary>
    public static IMcpServerBuilder WithReachyTools(this IMcpServerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // The cast picks the overload that takes tool types, not the generic one that takes a target instance.
        return builder.WithTools((IEnumerable<Type>)All);
    }
}

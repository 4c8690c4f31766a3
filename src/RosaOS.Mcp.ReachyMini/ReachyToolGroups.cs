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
    /// <summary>Every tool group, in listing order (<see cref="WithReachyTools"/> adds the same list).</summary>
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
        // One generic WithTools<T> per group, in the order of All: the same registration as the IEnumerable<Type> overload,
        // but the tool methods stay visible to trimming and Native AOT (that overload is RequiresUnreferencedCode).
        return builder
            .WithTools<MotionTools>()
            .WithTools<EmotionTools>()
            .WithTools<SpeechTools>()
            .WithTools<VisionTools>()
            .WithTools<HearingTools>()
            .WithTools<WatchTools>();
    }
}

using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.Mcp.ReachyMini.Emotions;
using RosaOS.Mcp.ReachyMini.Motion;

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>Expressive recorded moves (emotions) played from the daemon's emotion dataset.</summary>
[McpServerToolType]
public sealed class EmotionTools(MotionController motion)
{
    [McpServerTool(Name = "list_emotions", ReadOnly = true, Destructive = false, Idempotent = true, OpenWorld = false)]
    [Description("List the emotion names play_emotion accepts (e.g. cheerful, curious, sad).")]
    public static IReadOnlyList<string> ListEmotions() => EmotionCatalog.Default.Names;

    [McpServerTool(Name = "play_emotion", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Play an emotion: an expressive recorded move of the head, antennas and body lasting a few seconds. " +
        "Stops the current move first; returns as soon as it started (it plays in the background; stop_move stops it). " +
        "Use list_emotions for the valid names.")]
    public Task<string> PlayEmotion(
        [Description("Emotion name from list_emotions, e.g. \"cheerful\".")] string emotion,
        CancellationToken cancellationToken = default)
        => ToolErrors.RunAsync(async () =>
        {
            var variants = string.IsNullOrWhiteSpace(emotion) ? null : EmotionCatalog.Default.VariantsOf(emotion);
            if (variants is null)
            {
                throw new McpException($"Unknown emotion '{emotion}'. Valid emotions: {string.Join(", ", EmotionCatalog.Default.Names)}.");
            }
            // Variants of one emotion are interchangeable takes; pick one so repeated emotions look alive.
#pragma warning disable CA5394 // Not security-sensitive.
            var variant = variants[Random.Shared.Next(variants.Count)];
#pragma warning restore CA5394
            var name = emotion.Trim().ToLowerInvariant();
            var uuid = await motion.StartAfterStoppingAsync(
                ct => motion.Daemon.PlayRecordedMoveAsync(EmotionCatalog.Dataset, variant, ct), $"emotion '{name}' ({variant})", cancellationToken);
            return $"Emotion '{name}' started (recorded move {variant}, move {uuid}); it plays in the background and stop_move stops it.";
        });
}

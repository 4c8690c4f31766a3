using System.Text.Json;

namespace RosaOS.Mcp.ReachyMini.Emotions;

/// <summary>
/// The emotions the robot can play: each name maps to one or more recorded moves of the dataset
/// pollen-robotics/reachy-mini-emotions-library (the original's move_types.json, shipped as a resource).
/// </summary>
public sealed class EmotionCatalog
{
    /// <summary>The Hugging Face dataset the variants belong to.</summary>
    public const string Dataset = "pollen-robotics/reachy-mini-emotions-library";

    private readonly Dictionary<string, string[]> _variants;

    private EmotionCatalog(Dictionary<string, string[]> variants) => _variants = variants;

    /// <summary>The catalog shipped with rosaOS.</summary>
    public static EmotionCatalog Default { get; } = Load();

    /// <summary>Emotion names, sorted.</summary>
    public IReadOnlyList<string> Names => [.. _variants.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Every recorded-move name, sorted.</summary>
    public IReadOnlyList<string> AllVariants => [.. _variants.Values.SelectMany(v => v).Order(StringComparer.Ordinal)];

    /// <summary>The variants of <paramref name="emotion"/> (case and surrounding spaces ignored), or null when unknown.</summary>
    public IReadOnlyList<string>? VariantsOf(string emotion)
        => _variants.TryGetValue(emotion.Trim().ToLowerInvariant(), out var v) ? v : null;

    private static EmotionCatalog Load()
    {
        using var stream = typeof(EmotionCatalog).Assembly.GetManifestResourceStream("move_types.json")
            ?? throw new InvalidOperationException("The emotion catalog resource move_types.json is missing from the build.");
        using var document = JsonDocument.Parse(stream);
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            map[property.Name] = [.. property.Value.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException("null variant"))];
        }
        return new EmotionCatalog(map);
    }
}

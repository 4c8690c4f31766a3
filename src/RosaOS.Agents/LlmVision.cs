namespace RosaOS.Agents;

/// <summary>
/// Which worker models are given tool-result images as image content (OpenAI <c>image_url</c> data URIs, Anthropic image
/// blocks) rather than a note with the image's path. Patterns are <c>provider/model</c> with <c>*</c> wildcards; a leading
/// <c>!</c> excludes. ROSA_VISION_MODELS (comma-separated) is read first, then the defaults: every Anthropic model, the
/// Llama 4, GPT-4o/4.1/5, Gemma 3, Qwen-VL, LLaVA/Pixtral and "*vision*" models. The default Groq model (gpt-oss-120b) is text-only.
/// </summary>
public static class LlmVision
{
    /// <summary>The built-in patterns, after ROSA_VISION_MODELS.</summary>
    public static IReadOnlyList<string> Defaults { get; } =
    [
        "anthropic/*", "*/*llama-4*", "*/gpt-4o*", "*/gpt-4.1*", "*/gpt-5*", "*/*gemma-3*", "*/*qwen*vl*", "*/*llava*", "*/*pixtral*", "*/*vision*",
    ];

    /// <summary>True when <paramref name="model"/> of <paramref name="provider"/> accepts images.</summary>
    /// <param name="provider">local, groq, anthropic, local+groq (a chain sees images only when every member does: judged by the model name).</param>
    /// <param name="model">Model name.</param>
    /// <param name="configured">ROSA_VISION_MODELS (null: read the environment).</param>
    public static bool SeesImages(string provider, string? model, string? configured = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (model is null)
        {
            return false;
        }
        configured ??= Environment.GetEnvironmentVariable("ROSA_VISION_MODELS");
        var patterns = (configured ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Concat(Defaults);
        var subject = (provider.Contains('+', StringComparison.Ordinal) ? provider[..provider.IndexOf('+', StringComparison.Ordinal)] : provider) + "/" + model;
        foreach (var pattern in patterns)
        {
            var exclude = pattern.StartsWith('!');
            if (Matches(exclude ? pattern[1..] : pattern, subject))
            {
                return !exclude;
            }
        }
        return false;
    }

    private static bool Matches(string pattern, string subject)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern.ToLowerInvariant()).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(subject.ToLowerInvariant(), regex, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
    }
}

/// <summary>What the agent loop does with images in tool results.</summary>
/// <param name="ModelSeesImages">Give them to the model as image content (see <see cref="LlmVision"/>).</param>
/// <param name="Directory">Where each image is stored; the prompt text and the audit log carry its path and size, never base64.</param>
public sealed record AgentImages(bool ModelSeesImages, string Directory);

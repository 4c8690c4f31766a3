namespace RosaOS.Vision.Model;

/// <summary>
/// Which OpenAI-compatible vision model describes images. Groq by default (its key from GROQ_API_KEY); a local
/// server (vLLM) when ROSAOS_VISION_BASE_URL is set. The model id is configuration because Groq retires models.
/// </summary>
public sealed record VisionModelOptions
{
    /// <summary>Groq's OpenAI-compatible base URL.</summary>
    public const string GroqBaseUrl = "https://api.groq.com/openai/v1";

    /// <summary>Groq's vision model at the time of writing (llm-providers.md); override with ROSAOS_VISION_MODEL.</summary>
    public const string DefaultGroqModel = "qwen/qwen3.8-27b";

    /// <summary>Base URL of the chat-completions API (…/v1), or null when no vision model is configured.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Bearer key; local servers often need none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Model id, or null when not configured.</summary>
    public string? Model { get; init; }

    /// <summary>Images are scaled down so their longer side is at most this many pixels (Groq advises ≤ 1280).</summary>
    public int MaxImageSide { get; init; } = 1280;

    /// <summary>Time allowed for one answer.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries of a failed request (rate limits, 5xx, dropped connections), with the SDK's back-off.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>True when requests can be sent.</summary>
    public bool IsConfigured => Endpoint is not null && !string.IsNullOrWhiteSpace(Model);

    /// <summary>What to set to configure a vision model, for error messages and logs.</summary>
    public const string HowToConfigure =
        "Set GROQ_API_KEY to use Groq (model " + DefaultGroqModel + ", change it with ROSAOS_VISION_MODEL), or set ROSAOS_VISION_BASE_URL " +
        "(an OpenAI-compatible server such as vLLM, e.g. http://localhost:6000/v1) and ROSAOS_VISION_MODEL (its vision model id), " +
        "then restart rosa reachy.";

    /// <summary>
    /// Reads ROSAOS_VISION_BASE_URL, ROSAOS_VISION_MODEL, ROSAOS_VISION_API_KEY, else GROQ_API_KEY with GROQ_BASE_URL
    /// (tests and proxies) and the default Groq model.
    /// </summary>
    public static VisionModelOptions FromEnvironment(Func<string, string?> get)
    {
        ArgumentNullException.ThrowIfNull(get);
        var model = get("ROSAOS_VISION_MODEL");
        if (get("ROSAOS_VISION_BASE_URL") is { } baseUrl)
        {
            return new VisionModelOptions { Endpoint = ParseUrl(baseUrl, "ROSAOS_VISION_BASE_URL"), ApiKey = get("ROSAOS_VISION_API_KEY"), Model = model };
        }
        if (get("GROQ_API_KEY") is { } groqKey)
        {
            var endpoint = get("GROQ_BASE_URL") is { } groqUrl ? ParseUrl(groqUrl, "GROQ_BASE_URL") : new Uri(GroqBaseUrl);
            return new VisionModelOptions { Endpoint = endpoint, ApiKey = groqKey, Model = model ?? DefaultGroqModel };
        }
        return new VisionModelOptions { Model = model };
    }

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxImageSide, 64);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
    }

    private static Uri ParseUrl(string value, string variable)
        => Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new InvalidOperationException($"{variable}={value} is not an http(s) URL.");
}

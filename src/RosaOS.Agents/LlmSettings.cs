using System.Globalization;

namespace RosaOS.Agents;

/// <summary>Which provider family the user asked for.</summary>
public enum LlmPreference
{
    /// <summary>The local OpenAI-compatible endpoint when it answers, else Groq (the default).</summary>
    Auto,

    /// <summary>Only the local endpoint (<c>--local</c> / <c>LOCAL_LLM=1</c>).</summary>
    Local,

    /// <summary>Only Groq (<c>LLM_PROVIDER=groq</c> given explicitly).</summary>
    Groq,

    /// <summary>Anthropic (<c>--anthropic</c> / <c>LLM_PROVIDER=anthropic</c>).</summary>
    Anthropic,
}

/// <summary>
/// LLM provider settings, read from the Python rosaOS's environment variables
/// (LOCAL_LLM, LOCAL_LLM_PORT, LOCAL_LLM_ENDPOINT, GROQ_API_KEY, GROQ_MODEL, GROQ_BASE_URL, LLM_PROVIDER,
/// ANTHROPIC_API_KEY, ANTHROPIC_MODEL, ANTHROPIC_BASE_URL); command-line flags override them.
/// </summary>
public sealed record LlmSettings
{
    /// <summary>Default model of the original (Groq and local).</summary>
    public const string DefaultModel = "openai/gpt-oss-120b";

    /// <summary>Default Anthropic model of the original.</summary>
    public const string DefaultAnthropicModel = "claude-sonnet-4-6";

    public LlmPreference Preference { get; init; } = LlmPreference.Auto;

    /// <summary>Base URL of the local OpenAI-compatible server, ending in /v1.</summary>
    public string LocalEndpoint { get; init; } = "http://localhost:6000/v1";

    /// <summary>Model served by the local endpoint (LOCAL_LLM_MODEL, else the Groq model name).</summary>
    public string LocalModel { get; init; } = DefaultModel;

    public string? GroqApiKey { get; init; }

    public string GroqModel { get; init; } = DefaultModel;

    public string GroqBaseUrl { get; init; } = "https://api.groq.com/openai/v1";

    public string? AnthropicApiKey { get; init; }

    public string AnthropicModel { get; init; } = DefaultAnthropicModel;

    public string? AnthropicBaseUrl { get; init; }

    /// <summary>How long the local endpoint's GET /models may take before it counts as down.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Retries of remote providers on 429 (honouring retry-after) and 5xx; bounded so a failure reaches the kernel.</summary>
    public int RemoteMaxRetries { get; init; } = 3;

    /// <summary>Time limit of one LLM request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Reads the environment variables of the original.</summary>
    public static LlmSettings FromEnvironment(Func<string, string?>? read = null)
    {
        read ??= name => Environment.GetEnvironmentVariable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var provider = read("LLM_PROVIDER")?.ToUpperInvariant();
        var local = read("LOCAL_LLM")?.ToUpperInvariant() is "1" or "TRUE" or "YES";
        var preference = local ? LlmPreference.Local
            : provider == "ANTHROPIC" ? LlmPreference.Anthropic
            : provider == "GROQ" ? LlmPreference.Groq
            : LlmPreference.Auto;
        var groqModel = read("GROQ_MODEL") ?? DefaultModel;
        return new LlmSettings
        {
            Preference = preference,
            LocalEndpoint = LocalEndpointFrom(read("LOCAL_LLM_ENDPOINT"), read("LOCAL_LLM_PORT")),
            LocalModel = read("LOCAL_LLM_MODEL") ?? groqModel,
            GroqApiKey = read("GROQ_API_KEY"),
            GroqModel = groqModel,
            GroqBaseUrl = read("GROQ_BASE_URL") ?? "https://api.groq.com/openai/v1",
            AnthropicApiKey = read("ANTHROPIC_API_KEY"),
            AnthropicModel = read("ANTHROPIC_MODEL") ?? DefaultAnthropicModel,
            AnthropicBaseUrl = read("ANTHROPIC_BASE_URL"),
        };
    }

    /// <summary>The local endpoint from LOCAL_LLM_ENDPOINT, else http://localhost:LOCAL_LLM_PORT/v1; always ending in /v1.</summary>
    public static string LocalEndpointFrom(string? endpoint, string? port)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            var p = int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is > 0 and <= 65535 ? parsed : 6000;
            return $"http://localhost:{p}/v1";
        }
        var trimmed = endpoint.Trim().TrimEnd('/');
        return trimmed.EndsWith("/v1", StringComparison.Ordinal) ? trimmed : trimmed + "/v1";
    }

    /// <summary>Checks the values; throws with every problem found.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(LocalEndpoint, UriKind.Absolute, out _))
        {
            problems.Add($"local endpoint '{LocalEndpoint}' is not an absolute URL");
        }
        if (!Uri.TryCreate(GroqBaseUrl, UriKind.Absolute, out _))
        {
            problems.Add($"GROQ_BASE_URL '{GroqBaseUrl}' is not an absolute URL");
        }
        if (AnthropicBaseUrl is not null && !Uri.TryCreate(AnthropicBaseUrl, UriKind.Absolute, out _))
        {
            problems.Add($"ANTHROPIC_BASE_URL '{AnthropicBaseUrl}' is not an absolute URL");
        }
        if (RemoteMaxRetries is < 0 or > 10)
        {
            problems.Add("remote retries must be 0..10");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid LLM settings: " + string.Join("; ", problems) + ".");
        }
    }
}

using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text.Json;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace RosaOS.Agents;

/// <summary>The provider chosen at start, or the reason there is none.</summary>
/// <param name="Client">The chat client (a fallback chain when several providers are usable), or null.</param>
/// <param name="Provider">"local", "groq", "anthropic", "local+groq" or "none".</param>
/// <param name="Model">The model asked for, or null.</param>
/// <param name="Status">A sentence for the console, /health and chat answers.</param>
public sealed record LlmSelection(IChatClient? Client, string Provider, string? Model, string Status)
{
    /// <summary>The answer given to chat requests when no provider is available.</summary>
    public const string NoProviderMessage = "no LLM configured: set GROQ_API_KEY or start a local endpoint";

    /// <summary>True when a provider is available.</summary>
    public bool IsAvailable => Client is not null;
}

/// <summary>
/// Chooses the LLM provider as the original did (local OpenAI-compatible endpoint probed with GET /models,
/// else Groq; Anthropic on request) and builds its <see cref="IChatClient"/>.
/// </summary>
public static partial class LlmProviders
{
    /// <summary>
    /// One pooled client for every provider call of this process (probes and the OpenAI SDK's transport) instead of a new
    /// socket pool per call. No resilience handler on purpose: the SDKs' own retry policies retry 408/429/5xx honouring
    /// retry-after (a second layer would wait twice, llm-providers.md §4.5), and the local endpoint has none, so a refused
    /// vLLM fails in milliseconds and the chain falls back to Groq at once. Timeouts are per call (the SDK's network timeout,
    /// the probe's own), so the client-wide one is off.
    /// </summary>
    private static readonly HttpClient s_http = new(new SocketsHttpHandler
    {
        // DNS changes (Groq's edge) are picked up; a restarted local vLLM gets a fresh connection.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>Probes and builds; never throws for an unreachable or unconfigured provider.</summary>
    public static async Task<LlmSelection> SelectAsync(LlmSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        settings.Validate();
        switch (settings.Preference)
        {
            case LlmPreference.Anthropic:
                return settings.AnthropicApiKey is null
                    ? None("ANTHROPIC_API_KEY is not set (Anthropic was requested)", logger)
                    : Chosen(new LlmSelection(CreateAnthropic(settings), "anthropic", settings.AnthropicModel,
                        $"anthropic model {settings.AnthropicModel}"), logger);
            case LlmPreference.Groq:
                return settings.GroqApiKey is null
                    ? None("GROQ_API_KEY is not set (Groq was requested)", logger)
                    : Chosen(await GroqAsync(settings, logger, cancellationToken), logger);
        }

        var localModels = await ProbeModelsAsync(settings.LocalEndpoint, null, settings.ProbeTimeout, cancellationToken);
        if (localModels is null)
        {
            LogLocalDown(logger, settings.LocalEndpoint);
            if (settings.Preference == LlmPreference.Local)
            {
                return None($"local endpoint {settings.LocalEndpoint} is not reachable (--local was given)", logger);
            }
            return settings.GroqApiKey is null
                ? None($"{LlmSelection.NoProviderMessage} (local endpoint {settings.LocalEndpoint} is not reachable)", logger)
                : Chosen(await GroqAsync(settings, logger, cancellationToken), logger);
        }

        var model = settings.LocalModel;
        var note = "";
        if (localModels.Count > 0 && !localModels.Contains(model))
        {
            // vLLM serves one model under --served-model-name; asking for another is a 404 on every turn.
            note = $" (model '{model}' is not served there; it offers: {string.Join(", ", localModels)}; using {localModels[0]})";
            model = localModels[0];
        }
        var local = WithTolerance(CreateOpenAi(settings.LocalEndpoint, "EMPTY", model, maxRetries: 0, settings.RequestTimeout));
        if (settings.Preference == LlmPreference.Local || settings.GroqApiKey is null)
        {
            return Chosen(new LlmSelection(local, "local", model, $"local {settings.LocalEndpoint} model {model}{note}"), logger);
        }
        var groq = WithTolerance(CreateOpenAi(settings.GroqBaseUrl, settings.GroqApiKey, settings.GroqModel, settings.RemoteMaxRetries, settings.RequestTimeout));
        var chain = new FallbackChatClient([("local", local), ("groq", groq)], TimeSpan.FromSeconds(30));
        return Chosen(new LlmSelection(chain, "local+groq", model,
            $"local {settings.LocalEndpoint} model {model}{note}, falling back to groq model {settings.GroqModel}"), logger);
    }

    /// <summary>GET {baseUrl}/models: the model ids, or null when the server does not answer successfully.</summary>
    public static async Task<IReadOnlyList<string>?> ProbeModelsAsync(string baseUrl, string? apiKey, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl.TrimEnd('/') + "/models"));
        if (apiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }
        try
        {
            using var response = await s_http.SendAsync(request, limit.Token);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(limit.Token));
            var ids = new List<string>();
            if (doc.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in data.EnumerateArray())
                {
                    if (item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    {
                        ids.Add(id.GetString()!);
                    }
                }
            }
            return ids;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static async Task<LlmSelection> GroqAsync(LlmSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        var client = WithTolerance(CreateOpenAi(settings.GroqBaseUrl, settings.GroqApiKey!, settings.GroqModel, settings.RemoteMaxRetries, settings.RequestTimeout));
        var offered = await ProbeModelsAsync(settings.GroqBaseUrl, settings.GroqApiKey, TimeSpan.FromSeconds(5), cancellationToken);
        var status = $"groq {settings.GroqBaseUrl} model {settings.GroqModel}";
        if (offered is { Count: > 0 } && !offered.Contains(settings.GroqModel))
        {
            // Groq retires models often (llm-providers.md §2.9); say what exists instead of failing on every turn.
            status += $" (warning: GROQ_MODEL '{settings.GroqModel}' is not offered; it offers: {string.Join(", ", offered)})";
            LogModelMissing(logger, settings.GroqModel, string.Join(", ", offered));
        }
        return new LlmSelection(client, "groq", settings.GroqModel, status);
    }

    /// <summary>An OpenAI-compatible chat client (vLLM, Groq); the SDK retries 408/429/5xx honouring retry-after.</summary>
    public static IChatClient CreateOpenAi(string baseUrl, string apiKey, string model, int maxRetries, TimeSpan timeout)
        => new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(baseUrl),
            NetworkTimeout = timeout,
            RetryPolicy = new ClientRetryPolicy(maxRetries),
            Transport = new HttpClientPipelineTransport(s_http),
        }).GetChatClient(model).AsIChatClient();

    private static IChatClient CreateAnthropic(LlmSettings settings)
    {
        var client = new AnthropicClient
        {
            ApiKey = settings.AnthropicApiKey,
            MaxRetries = settings.RemoteMaxRetries,
            Timeout = settings.RequestTimeout,
            BaseUrl = settings.AnthropicBaseUrl ?? "https://api.anthropic.com",
        };
        return client.AsIChatClient(settings.AnthropicModel, 4096);
    }

    private static ToolCallSalvageChatClient WithTolerance(IChatClient inner) => new ToolCallSalvageChatClient(inner);

    private static LlmSelection None(string reason, ILogger logger)
    {
        LogNoProvider(logger, reason);
        return new LlmSelection(null, "none", null, reason);
    }

    private static LlmSelection Chosen(LlmSelection selection, ILogger logger)
    {
        LogChosen(logger, selection.Status);
        return selection;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Local LLM endpoint {Endpoint} is not reachable")]
    private static partial void LogLocalDown(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No LLM provider: {Reason}")]
    private static partial void LogNoProvider(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "LLM provider: {Status}")]
    private static partial void LogChosen(ILogger logger, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} is not offered by the provider; it offers: {Offered}")]
    private static partial void LogModelMissing(ILogger logger, string model, string offered);
}

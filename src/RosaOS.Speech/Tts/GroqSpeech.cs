using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tts;

/// <summary>
/// Groq's OpenAI-compatible speech endpoint (llm-providers.md §2.6): <c>POST {base}/audio/speech</c> with
/// <c>{model, input, voice, response_format:"wav"}</c>, model canopylabs/orpheus-v1-english (input ≤ 200
/// characters), voice autumn by default.
/// </summary>
public sealed class GroqSpeech : ITextToSpeech, IDisposable
{
    /// <summary>The Orpheus model the original used.</summary>
    public const string DefaultModel = "canopylabs/orpheus-v1-english";

    /// <summary>Groq's OpenAI-compatible base URL.</summary>
    public const string DefaultBaseUrl = "https://api.groq.com/openai/v1";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _model;
    private readonly string _voice;
    private readonly Uri _endpoint;

    /// <summary>
    /// Creates the engine; <paramref name="timeout"/> bounds one request (then the caller falls back); <paramref name="http"/>, when
    /// given, comes from <see cref="IHttpClientFactory"/> and is not disposed here.
    /// </summary>
    public GroqSpeech(string apiKey, string? baseUrl = null, string? voice = null, string? model = null, TimeSpan? timeout = null, HttpClient? http = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        _endpoint = new Uri((baseUrl ?? DefaultBaseUrl).TrimEnd('/') + "/audio/speech");
        _voice = string.IsNullOrWhiteSpace(voice) ? "autumn" : voice;
        _model = string.IsNullOrWhiteSpace(model) ? DefaultModel : model;
        // From IHttpClientFactory in rosa reachy (pooled connections, no retry: FallbackSpeech's next engine is the retry).
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(15);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
    }

    /// <inheritdoc/>
    public string Name => "groq";

    /// <inheritdoc/>
    public int MaxInputLength => 200;

    /// <inheritdoc/>
    public async Task<SynthesizedSpeech> SynthesizeAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var body = new JsonObject
        {
            ["model"] = _model,
            ["input"] = text,
            ["voice"] = _voice,
            ["response_format"] = "wav",
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        var audio = await NetworkSpeech.PostForAudioAsync(_http, _endpoint, content, "Groq", cancellationToken);
        try
        {
            return new SynthesizedSpeech(text, WavAudio.Parse(audio), Name);
        }
        catch (InvalidDataException e)
        {
            throw new SpeechSynthesisException($"Groq speech answered audio that is not a readable WAV: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }
}

/// <summary>Shared request handling of the network engines: one POST, clear errors for status, timeouts and network failures.</summary>
internal static class NetworkSpeech
{
    public static async Task<byte[]> PostForAudioAsync(HttpClient http, Uri endpoint, HttpContent content, string provider, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.PostAsync(endpoint, content, cancellationToken);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new SpeechSynthesisException($"{provider} speech answered HTTP {(int)response.StatusCode}: {ErrorMessage(bytes)}");
            }
            if (bytes.Length == 0)
            {
                throw new SpeechSynthesisException($"{provider} speech answered no audio.");
            }
            return bytes;
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SpeechSynthesisException($"{provider} speech timed out after {http.Timeout.TotalSeconds:0.#} s.", e);
        }
        catch (HttpRequestException e)
        {
            throw new SpeechSynthesisException($"{provider} speech is unreachable: {e.Message}", e);
        }
    }

    private static string ErrorMessage(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 2000)));
        try
        {
            var node = JsonNode.Parse(text);
            var message = node?["error"]?["message"] ?? node?["detail"]?["message"] ?? node?["detail"];
            if (message is not null)
            {
                return message is JsonValue v && v.TryGetValue<string>(out var s) ? s : message.ToJsonString();
            }
        }
        catch (JsonException)
        {
        }
        return text.Length > 300 ? text[..300] + "…" : text;
    }
}

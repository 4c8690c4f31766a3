using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Where and how to call an OpenAI-compatible transcription endpoint.</summary>
public sealed class TranscriptionOptions
{
    /// <summary>Groq's OpenAI-compatible base URL (the original's service).</summary>
    public static readonly Uri GroqBaseUrl = new("https://api.groq.com/openai/v1/");

    /// <summary>Base URL; <c>audio/transcriptions</c> is appended.</summary>
    public Uri BaseUrl { get; set; } = GroqBaseUrl;

    /// <summary>Bearer token; null sends none (local Whisper servers).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Model name (original: whisper-large-v3-turbo).</summary>
    public string Model { get; set; } = "whisper-large-v3-turbo";

    /// <summary>ISO-639-1 language hint, or null to let the model detect it.</summary>
    public string? Language { get; set; }

    /// <summary>Per-request timeout (original: 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when a value is unusable.</summary>
    public void Validate()
    {
        if (!BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttp && BaseUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The transcription URL must be absolute http(s), not {BaseUrl}.");
        }
        ArgumentException.ThrowIfNullOrWhiteSpace(Model);
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), Timeout, "The transcription timeout must be within (0, 5 min].");
        }
    }
}

/// <summary>
/// <c>POST {base}/audio/transcriptions</c> (multipart: <c>file</c> as 16 kHz mono 16-bit WAV, <c>model</c>,
/// <c>response_format=json</c>, optional <c>language</c>) → <c>{"text": …}</c>; Groq, OpenAI and vLLM Whisper speak it.
/// </summary>
public sealed class OpenAiTranscriber : ISpeechToText
{
    private readonly HttpClient _http;
    private readonly TranscriptionOptions _options;
    private readonly Uri _url;

    /// <summary>A client over <paramref name="http"/>; its own timeout is not used (the options' is).</summary>
    public OpenAiTranscriber(HttpClient http, TranscriptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _options = options;
        var baseUrl = options.BaseUrl.AbsoluteUri.EndsWith('/') ? options.BaseUrl : new Uri(options.BaseUrl.AbsoluteUri + "/");
        _url = new Uri(baseUrl, "audio/transcriptions");
    }

    /// <inheritdoc />
    public string Name => $"{_url.Host} {_options.Model}";

    /// <inheritdoc />
    public async Task<string> TranscribeAsync(AudioClip audio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var samples = audio.SampleRate == AudioMath.SpeechRate ? audio.Samples : AudioMath.Resample(audio.Samples, audio.SampleRate, AudioMath.SpeechRate);
        var wav = AudioMath.ToPcm16Wav(samples, AudioMath.SpeechRate);
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(wav);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "audio.wav");
        form.Add(new StringContent(_options.Model), "model");
        form.Add(new StringContent("json"), "response_format");
        if (_options.Language is { Length: > 0 } language)
        {
            form.Add(new StringContent(language), "language");
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = form };
        if (_options.ApiKey is { Length: > 0 } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TranscriptionException($"{_url} did not answer within {_options.Timeout.TotalSeconds:0.#} s.", transient: true, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new TranscriptionException($"{_url} is unreachable: {ex.Message}", transient: true, ex);
        }
        using (response)
        {
            string body;
            try
            {
                body = await response.Content.ReadAsStringAsync(timeout.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TranscriptionException($"{_url} stalled while answering.", transient: true, ex);
            }
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var transient = response.StatusCode == HttpStatusCode.TooManyRequests || status >= 500;
                throw new TranscriptionException($"{_url} answered {status}: {Truncate(body)}", transient);
            }
            try
            {
                using var json = JsonDocument.Parse(body);
                return json.RootElement.ValueKind == JsonValueKind.Object
                       && json.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? text.GetString()!.Trim()
                    : throw new TranscriptionException($"{_url} answered without a \"text\" string: {Truncate(body)}", transient: false);
            }
            catch (JsonException ex)
            {
                throw new TranscriptionException($"{_url} answered invalid JSON: {Truncate(body)}", transient: false, ex);
            }
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

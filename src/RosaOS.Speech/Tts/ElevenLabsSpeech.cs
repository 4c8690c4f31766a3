using System.Text;
using System.Text.Json.Nodes;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Tts;

/// <summary>
/// ElevenLabs text-to-speech: <c>POST {base}/v1/text-to-speech/{voice_id}?output_format=pcm_16000</c> with
/// header <c>xi-api-key</c> and <c>{text, model_id}</c>; the answer is raw 16 kHz 16-bit mono PCM.
/// </summary>
public sealed class ElevenLabsSpeech : ITextToSpeech, IDisposable
{
    /// <summary>The original's default voice.</summary>
    public const string DefaultVoiceId = "M4zkunnpRihDKTNF0D7f";

    /// <summary>The original's default model.</summary>
    public const string DefaultModel = "eleven_flash_v2_5";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _model;
    private readonly Uri _endpoint;

    /// <summary>Creates the engine; <paramref name="http"/>, when given, comes from <see cref="IHttpClientFactory"/> and is not disposed here.</summary>
    public ElevenLabsSpeech(string apiKey, string? voiceId = null, string? model = null, string? baseUrl = null, TimeSpan? timeout = null, HttpClient? http = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var voice = string.IsNullOrWhiteSpace(voiceId) ? DefaultVoiceId : voiceId;
        _model = string.IsNullOrWhiteSpace(model) ? DefaultModel : model;
        _endpoint = new Uri($"{(baseUrl ?? "https://api.elevenlabs.io").TrimEnd('/')}/v1/text-to-speech/{Uri.EscapeDataString(voice)}?output_format=pcm_16000");
        // From IHttpClientFactory in rosa reachy (pooled connections, no retry: FallbackSpeech's next engine is the retry).
        _ownsHttp = http is null;
        _http = http ?? new HttpClient();
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(15);
        _http.DefaultRequestHeaders.Add("xi-api-key", apiKey);
    }

    /// <inheritdoc/>
    public string Name => "elevenlabs";

    /// <inheritdoc/>
    public int MaxInputLength => 2500;

    /// <inheritdoc/>
    public async Task<SynthesizedSpeech> SynthesizeAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var body = new JsonObject { ["text"] = text, ["model_id"] = _model };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        var pcm = await NetworkSpeech.PostForAudioAsync(_http, _endpoint, content, "ElevenLabs", cancellationToken);
        return new SynthesizedSpeech(text, WavAudio.FromPcm16(pcm, 16000, 1), Name);
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

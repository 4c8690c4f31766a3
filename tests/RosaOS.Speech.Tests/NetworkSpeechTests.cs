using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Speech.Tts;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests;

public sealed class NetworkSpeechTests : IAsyncLifetime
{
    private ScriptedSpeechServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ScriptedSpeechServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Groq_SendsTheOpenAiSpeechRequest_AndReadsTheWav()
    {
        using var groq = new GroqSpeech("gsk-test", _server.GroqBaseUrl);

        var speech = await groq.SynthesizeAsync("Hello from the robot.", TestContext.Current.CancellationToken);

        Assert.Equal("groq", speech.Engine);
        Assert.Equal(_server.CannedSeconds, speech.Audio.Duration.TotalSeconds, 2);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/openai/v1/audio/speech", request.Path);
        Assert.Equal("Bearer gsk-test", request.Authorization);
        Assert.Equal("canopylabs/orpheus-v1-english", request.Body.GetProperty("model").GetString());
        Assert.Equal("Hello from the robot.", request.Body.GetProperty("input").GetString());
        Assert.Equal("autumn", request.Body.GetProperty("voice").GetString());
        Assert.Equal("wav", request.Body.GetProperty("response_format").GetString());
    }

    [Fact]
    public async Task ElevenLabs_SendsItsRequest_AndReadsRawPcm()
    {
        using var eleven = new ElevenLabsSpeech("xi-test", "voice123", baseUrl: _server.ElevenLabsBaseUrl);

        var speech = await eleven.SynthesizeAsync("Hi there.", TestContext.Current.CancellationToken);

        Assert.Equal(16000, speech.Audio.SampleRate);
        Assert.Equal(_server.CannedSeconds, speech.Audio.Duration.TotalSeconds, 1);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/text-to-speech/voice123?output_format=pcm_16000", request.Path);
        Assert.Equal("xi-test", request.ApiKey);
        Assert.Equal("Hi there.", request.Body.GetProperty("text").GetString());
        Assert.Equal("eleven_flash_v2_5", request.Body.GetProperty("model_id").GetString());
    }

    [Theory]
    [InlineData(429, "rate limit reached")]
    [InlineData(500, "scripted failure")]
    [InlineData(401, "invalid api key")]
    public async Task Groq_ErrorStatus_FailsWithTheProviderMessage(int status, string message)
    {
        _server.Script(new ScriptedReply(status, ErrorBody: "{\"error\":{\"message\":\"" + message + "\"}}"));
        using var groq = new GroqSpeech("gsk-test", _server.GroqBaseUrl);

        var e = await Assert.ThrowsAsync<SpeechSynthesisException>(() => groq.SynthesizeAsync("hi", TestContext.Current.CancellationToken));

        Assert.Contains($"HTTP {status}", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(503)]
    public async Task Fallback_NetworkEngineTimesOutOrFails_EspeakSpeaks(int status)
    {
        _server.Script(status == 0 ? new ScriptedReply(Delay: TimeSpan.FromSeconds(10)) : new ScriptedReply(status));
        using var groq = new GroqSpeech("gsk-test", _server.GroqBaseUrl, timeout: TimeSpan.FromMilliseconds(1500));
        var chain = new FallbackSpeech([groq, new EspeakNgSpeech()], NullLogger<FallbackSpeech>.Instance);

        var speech = await chain.SynthesizeAsync("The network voice is down.", TestContext.Current.CancellationToken);

        Assert.Equal("espeak-ng", speech.Engine);
        Assert.InRange(speech.Audio.Duration.TotalSeconds, 1.0, 5.0);
        // The network engine was asked once and not retried.
        await Poll.UntilAsync(() => Task.FromResult(!_server.Requests.IsEmpty), "the scripted server to record the request");
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task Fallback_NetworkEngineWorks_IsPreferred()
    {
        using var groq = new GroqSpeech("gsk-test", _server.GroqBaseUrl);
        var chain = new FallbackSpeech([groq, new EspeakNgSpeech()], NullLogger<FallbackSpeech>.Instance);

        var speech = await chain.SynthesizeAsync("Use the network.", TestContext.Current.CancellationToken);

        Assert.Equal("groq", speech.Engine);
        Assert.Equal(200, chain.MaxInputLength);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Speech.Audio;
using RosaOS.Speech.Input;

namespace RosaOS.Speech.Tests.Input;

public sealed class TranscriptionTests : IAsyncLifetime
{
    private static readonly HttpClient s_http = new();
    private ScriptedTranscriptionServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await ScriptedTranscriptionServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private OpenAiTranscriber Client(TimeSpan? timeout = null) => new(s_http, new TranscriptionOptions
    {
        BaseUrl = _server.BaseUrl,
        ApiKey = "gsk_test",
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
    });

    [Fact]
    public async Task Sends_a_16k_mono_16bit_wav_of_the_utterance_and_returns_the_text()
    {
        // Captured at 48 kHz stereo-mixed, as a laptop microphone would deliver: must arrive as 16 kHz.
        var speech = SpeechSamples.Say("what do you see");
        var at48k = AudioMath.Resample(speech, 16000, 48000);
        _server.ReplyText(" What do you see? ");
        var text = await Client().TranscribeAsync(new AudioClip(at48k, 48000), TestContext.Current.CancellationToken);
        Assert.Equal("What do you see?", text);

        var got = Assert.Single(_server.All);
        Assert.Equal(16000, got.Audio.SampleRate);
        Assert.Equal(1, got.Channels);
        Assert.Equal(16, got.BitsPerSample);
        Assert.Equal("audio/wav", got.FileContentType);
        Assert.Equal("whisper-large-v3-turbo", got.Model);
        Assert.Equal("json", got.ResponseFormat);
        Assert.Equal("Bearer gsk_test", got.Authorization);
        Assert.InRange(got.Audio.DurationSeconds, speech.Length / 16000.0 - 0.01, speech.Length / 16000.0 + 0.01);
        // The words survived: same loudness as what was said.
        Assert.InRange(AudioMath.Rms(got.Audio.Samples), AudioMath.Rms(speech) * 0.9, AudioMath.Rms(speech) * 1.1);
    }

    [Theory]
    [InlineData(401, false)]
    [InlineData(400, false)]
    [InlineData(413, false)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    public async Task Error_statuses_become_exceptions_that_say_whether_to_retry(int status, bool transient)
    {
        _server.ReplyStatus(status, """{"error":{"message":"scripted failure","type":"invalid_request_error"}}""");
        var ex = await Assert.ThrowsAsync<TranscriptionException>(() =>
            Client().TranscribeAsync(new AudioClip(SpeechSamples.Silence(1), 16000), TestContext.Current.CancellationToken));
        Assert.Equal(transient, ex.Transient);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains("scripted failure", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"words":"hi"}""")]
    [InlineData("""{"text":42}""")]
    [InlineData("[]")]
    public async Task Malformed_answers_are_errors_not_text(string body)
    {
        _server.ReplyStatus(200, body);
        var ex = await Assert.ThrowsAsync<TranscriptionException>(() =>
            Client().TranscribeAsync(new AudioClip(SpeechSamples.Silence(1), 16000), TestContext.Current.CancellationToken));
        Assert.False(ex.Transient);
    }

    [Fact]
    public async Task A_server_that_hangs_times_out_as_transient()
    {
        _server.ReplyAfter(TimeSpan.FromSeconds(20), "too late");
        var ex = await Assert.ThrowsAsync<TranscriptionException>(() =>
            Client(TimeSpan.FromSeconds(1)).TranscribeAsync(new AudioClip(SpeechSamples.Silence(1), 16000), TestContext.Current.CancellationToken));
        Assert.True(ex.Transient);
        Assert.Contains("did not answer", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_service_is_transient()
    {
        var client = new OpenAiTranscriber(s_http, new TranscriptionOptions { BaseUrl = new Uri($"http://127.0.0.1:{RosaOS.Testing.FreePort.Next()}/v1") });
        var ex = await Assert.ThrowsAsync<TranscriptionException>(() =>
            client.TranscribeAsync(new AudioClip(SpeechSamples.Silence(1), 16000), TestContext.Current.CancellationToken));
        Assert.True(ex.Transient);
    }

    [Fact]
    public void Bad_options_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new OpenAiTranscriber(s_http, new TranscriptionOptions { BaseUrl = new Uri("ftp://x/") }));
        Assert.ThrowsAny<ArgumentException>(() => new OpenAiTranscriber(s_http, new TranscriptionOptions { Model = " " }));
        Assert.ThrowsAny<ArgumentException>(() => new OpenAiTranscriber(s_http, new TranscriptionOptions { Timeout = TimeSpan.Zero }));
    }

    [Fact]
    public async Task Pocketsphinx_spots_the_wake_word_and_recognises_commands_offline()
    {
        var sphinx = new PocketSphinxTranscriber("hello");
        Assert.True(sphinx.IsInstalled);
        var ct = TestContext.Current.CancellationToken;
        var pad = SpeechSamples.Silence(0.5);
        Assert.Equal("hello", await sphinx.TranscribeAsync(new AudioClip(SpeechSamples.Concat(pad, SpeechSamples.Say("hello"), pad), 16000), ct));
        Assert.Equal("what do you see", await sphinx.TranscribeAsync(new AudioClip(SpeechSamples.Concat(pad, SpeechSamples.Say("what do you see"), pad), 16000), ct));
        Assert.Equal("turn left", await sphinx.TranscribeAsync(new AudioClip(SpeechSamples.Concat(pad, SpeechSamples.Say("turn left"), pad), 16000), ct));
        Assert.Equal("take a picture", await sphinx.TranscribeAsync(new AudioClip(SpeechSamples.Concat(pad, SpeechSamples.Say("take a picture"), pad), 16000), ct));
    }

    [Fact]
    public async Task Missing_pocketsphinx_is_a_clear_error()
    {
        var options = new OfflineRecognitionOptions { Executable = "/nonexistent/pocketsphinx" };
        var sphinx = new PocketSphinxTranscriber("hello", options);
        Assert.False(sphinx.IsInstalled);
        var ex = await Assert.ThrowsAsync<TranscriptionException>(() =>
            sphinx.TranscribeAsync(new AudioClip(SpeechSamples.Silence(1), 16000), TestContext.Current.CancellationToken));
        Assert.Contains("not installed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fallback_retries_a_transient_failure_once_then_answers_offline()
    {
        _server.ReplyStatus(503, "busy");
        _server.ReplyStatus(503, "still busy");
        var fallback = new FallbackTranscriber(Client(), new PocketSphinxTranscriber("hello"), NullLogger.Instance) { RetryDelay = TimeSpan.FromMilliseconds(10) };
        var pad = SpeechSamples.Silence(0.5);
        var text = await fallback.TranscribeAsync(new AudioClip(SpeechSamples.Concat(pad, SpeechSamples.Say("hello"), pad), 16000), TestContext.Current.CancellationToken);
        Assert.Equal("hello", text);
        Assert.Equal(2, _server.All.Count);

        _server.ReplyStatus(503, "busy");
        _server.ReplyText("Hello there.");
        Assert.Equal("Hello there.", await fallback.TranscribeAsync(new AudioClip(pad, 16000), TestContext.Current.CancellationToken));
    }
}

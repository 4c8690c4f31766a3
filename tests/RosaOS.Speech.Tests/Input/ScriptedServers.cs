using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Speech.Audio;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests.Input;

/// <summary>One request a scripted transcription server received: the parsed WAV and the form fields.</summary>
internal sealed record ReceivedAudio(AudioClip Audio, int Channels, int BitsPerSample, string? Model, string? ResponseFormat, string? Authorization, string FileContentType);

/// <summary>
/// A stand-in for Groq's OpenAI-compatible <c>POST /openai/v1/audio/transcriptions</c>: checks the multipart form,
/// records what it received and answers the next scripted reply; it never listens to the audio.
/// </summary>
internal sealed class ScriptedTranscriptionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private readonly Channel<ReceivedAudio> _received = Channel.CreateUnbounded<ReceivedAudio>();

    private ScriptedTranscriptionServer(WebApplication app) => _app = app;

    /// <summary>The OpenAI-style base URL (…/openai/v1/) on the loopback port the OS gave it.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    public ChannelReader<ReceivedAudio> Received => _received.Reader;

    public List<ReceivedAudio> All { get; } = [];

    public static async Task<ScriptedTranscriptionServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedTranscriptionServer(app);
        app.MapPost("/openai/v1/audio/transcriptions", server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = new Uri($"http://127.0.0.1:{LoopbackPort.Of(app)}/openai/v1/");
        return server;
    }

    public void ReplyText(string text) => _script.Enqueue(ctx => ctx.Response.WriteAsJsonAsync(new { text, x_groq = new { id = "req_test" } }));

    public void ReplyStatus(int status, string body) => _script.Enqueue(async ctx =>
    {
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsync(body);
    });

    public void ReplyAfter(TimeSpan delay, string text) => _script.Enqueue(async ctx =>
    {
        // The scripted server's deliberate latency, not a wait for state.
        await Task.Delay(delay, ctx.RequestAborted);
        await ctx.Response.WriteAsJsonAsync(new { text });
    });

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.Request.HasFormContentType)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "expected multipart/form-data" } });
            return;
        }
        var form = await context.Request.ReadFormAsync();
        var file = form.Files["file"];
        if (file is null)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "file is required" } });
            return;
        }
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer);
        var bytes = buffer.ToArray();
        var channels = BitConverter.ToInt16(bytes, 22);
        var bits = BitConverter.ToInt16(bytes, 34);
        var wav = WavAudio.Parse(bytes);
        var received = new ReceivedAudio(new AudioClip(AudioMath.DownmixInterleaved(wav.Samples, wav.Channels), wav.SampleRate), channels, bits, form["model"], form["response_format"],
            context.Request.Headers.Authorization, file.ContentType);
        lock (All)
        {
            All.Add(received);
        }
        _received.Writer.TryWrite(received);
        if (_script.TryDequeue(out var reply))
        {
            await reply(context);
        }
        else
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "script exhausted" } });
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A stand-in for the kernel's <c>POST /stt</c>: records each text, answers as the kernel does (or a scripted status).</summary>
internal sealed class SttListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<string> _texts = Channel.CreateUnbounded<string>();
    private readonly ConcurrentQueue<int> _statuses = new();

    private SttListener(WebApplication app) => _app = app;

    /// <summary>Its <c>/stt</c> URL on the loopback port the OS gave it.</summary>
    public Uri Url { get; private set; } = null!;

    public ChannelReader<string> Texts => _texts.Reader;

    public int Requests;

    /// <summary>The <c>POST /api/listening</c> bodies (the listening indicator), in order.</summary>
    public ConcurrentQueue<JsonElement> Listening { get; } = new();

    /// <summary>The Idempotency-Key header of every request, in order.</summary>
    public ConcurrentQueue<string> Keys { get; } = new();

    public static async Task<SttListener> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var listener = new SttListener(app);
        app.MapPost("/stt", async (HttpContext ctx) =>
        {
            Interlocked.Increment(ref listener.Requests);
            listener.Keys.Enqueue(ctx.Request.Headers["Idempotency-Key"].ToString());
            if (listener._statuses.TryDequeue(out var status))
            {
                ctx.Response.StatusCode = status;
                return;
            }
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            var text = doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (string.IsNullOrWhiteSpace(text))
            {
                ctx.Response.StatusCode = 400;
                await ctx.Response.WriteAsJsonAsync(new { ok = false, error = "missing or empty text" });
                return;
            }
            listener._texts.Writer.TryWrite(text);
            await ctx.Response.WriteAsJsonAsync(new { ok = true });
        });
        app.MapPost("/api/listening", async (HttpContext ctx) =>
        {
            using var doc = await JsonDocument.ParseAsync(ctx.Request.Body);
            listener.Listening.Enqueue(doc.RootElement.Clone());
            await ctx.Response.WriteAsJsonAsync(new { ok = true });
        });
        await app.StartAsync();
        listener.Url = new Uri($"http://127.0.0.1:{LoopbackPort.Of(app)}/stt");
        return listener;
    }

    public void FailNext(int status) => _statuses.Enqueue(status);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

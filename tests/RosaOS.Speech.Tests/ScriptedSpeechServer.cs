using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Testing;

namespace RosaOS.Speech.Tests;

/// <summary>One scripted answer: HTTP status, delay before answering, and an optional error body.</summary>
public sealed record ScriptedReply(int Status = 200, TimeSpan Delay = default, string? ErrorBody = null);

/// <summary>A request the scripted server received.</summary>
public sealed record RecordedSpeechRequest(string Path, string? Authorization, string? ApiKey, JsonElement Body);

/// <summary>
/// Stand-in for the Groq (OpenAI-compatible <c>/openai/v1/audio/speech</c>, WAV) and ElevenLabs
/// (<c>/v1/text-to-speech/{voice}</c>, raw 16 kHz PCM) speech APIs on loopback port 0 (the port it got is <see cref="Port"/>). It plays its script
/// (default: 200 with a fixed espeak-ng recording), records every request, and never looks at the text.
/// </summary>
public sealed class ScriptedSpeechServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedReply> _script = new();
    private readonly byte[] _wav;
    private readonly byte[] _pcm16k;

    private ScriptedSpeechServer(WebApplication app, byte[] wav, byte[] pcm16k)
    {
        _app = app;
        _wav = wav;
        _pcm16k = pcm16k;
    }

    /// <summary>The loopback port the OS gave it (it binds port 0).</summary>
    public int Port { get; private set; }

    /// <summary>Groq-style base URL (GROQ_BASE_URL).</summary>
    public string GroqBaseUrl => $"http://127.0.0.1:{Port}/openai/v1";

    /// <summary>ElevenLabs base URL.</summary>
    public string ElevenLabsBaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>Seconds of the canned recording.</summary>
    public double CannedSeconds => (_wav.Length - 44) / 2.0 / 22050;

    public ConcurrentQueue<RecordedSpeechRequest> Requests { get; } = new();

    /// <summary>Queues answers for the next requests (after them, 200 with the canned audio).</summary>
    public void Script(params ScriptedReply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }
    }

    public static async Task<ScriptedSpeechServer> StartAsync()
    {
        var dir = TestPaths.NewTempDirectory("scripted-tts");
        var wavPath = Path.Combine(dir, "canned.wav");
        var rawPath = Path.Combine(dir, "canned.raw");
        await RunAsync("espeak-ng", "-w", wavPath, "This is the scripted network voice.");
        await RunAsync("sox", wavPath, "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer", "-t", "raw", rawPath);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedSpeechServer(app, await File.ReadAllBytesAsync(wavPath), await File.ReadAllBytesAsync(rawPath));
        app.MapPost("/openai/v1/audio/speech", context => server.AnswerAsync(context, groq: true));
        app.MapPost("/v1/text-to-speech/{voice}", context => server.AnswerAsync(context, groq: false));
        await app.StartAsync();
        server.Port = LoopbackPort.Of(app);
        return server;
    }

    private async Task AnswerAsync(HttpContext context, bool groq)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        Requests.Enqueue(new RecordedSpeechRequest(context.Request.Path + context.Request.QueryString, context.Request.Headers.Authorization.ToString(),
            context.Request.Headers["xi-api-key"].ToString(), document.RootElement.Clone()));
        var reply = _script.TryDequeue(out var next) ? next : new ScriptedReply();
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                // The scripted provider's deliberate latency (what the test is about), not a wait for state.
                await Task.Delay(reply.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        context.Response.StatusCode = reply.Status;
        if (reply.Status != 200)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(reply.ErrorBody ?? """{"error":{"message":"scripted failure","type":"server_error"}}""");
            return;
        }
        context.Response.ContentType = groq ? "audio/wav" : "application/octet-stream";
        await context.Response.Body.WriteAsync(groq ? _wav : _pcm16k);
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, UseShellExecute = false })!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

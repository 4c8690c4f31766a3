using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Testing;

namespace RosaOS.Vision.Tests;

/// <summary>One chat-completions request as the scripted server received it.</summary>
public sealed record RecordedRequest(string Path, string? Authorization, JsonNode Body)
{
    /// <summary>The model id the client asked for.</summary>
    public string? Model => Body["model"]?.GetValue<string>();

    /// <summary>Text parts of the user message.</summary>
    public IEnumerable<string> Texts => Parts().Where(p => p["type"]?.GetValue<string>() == "text").Select(p => p["text"]!.GetValue<string>());

    /// <summary>Image URLs (data URIs) of the user message.</summary>
    public IEnumerable<string> ImageUrls => Parts().Where(p => p["type"]?.GetValue<string>() == "image_url").Select(p => p["image_url"]!["url"]!.GetValue<string>());

    private IEnumerable<JsonNode> Parts()
        => Body["messages"]!.AsArray().SelectMany(m => m!["content"] is JsonArray parts ? parts.Select(p => p!) : []);
}

/// <summary>
/// A stand-in for an OpenAI-compatible vision API (Groq, vLLM): POST /v1/chat/completions answers with the next
/// scripted reply in the provider's wire format and records each request. It never decides anything.
/// (Written here because the shared scripted LLM server of tests/RosaOS.Testing/Llm is not merged yet.)
/// </summary>
public sealed class ScriptedVisionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string Body)> _script = new();
    private readonly ConcurrentQueue<RecordedRequest> _received = new();

    private ScriptedVisionServer(WebApplication app) => _app = app;

    /// <summary>The API's base URL (…/v1) on the loopback port the OS gave it.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Requests received, in order.</summary>
    public IReadOnlyList<RecordedRequest> Received => [.. _received];

    public static async Task<ScriptedVisionServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedVisionServer(app);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync(TestContext.Current.CancellationToken);
        server.BaseUrl = new Uri($"http://127.0.0.1:{LoopbackPort.Of(app)}/v1");
        return server;
    }

    /// <summary>Queues an assistant reply with <paramref name="content"/>.</summary>
    public void ReplyWith(string content)
    {
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N")[..12],
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = "scripted",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject { ["prompt_tokens"] = 2100, ["completion_tokens"] = 20, ["total_tokens"] = 2120 },
        };
        _script.Enqueue((200, body.ToJsonString()));
    }

    /// <summary>Queues an error answer in the OpenAI/Groq error envelope.</summary>
    public void FailWith(int status, string code, string message)
    {
        var body = new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = "invalid_request_error", ["code"] = code } };
        _script.Enqueue((status, body.ToJsonString()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) ?? new JsonObject();
        _received.Enqueue(new RecordedRequest(context.Request.Path, context.Request.Headers.Authorization.ToString(), body));
        if (!_script.TryDequeue(out var reply))
        {
            reply = (500, JsonSerializer.Serialize(new { error = new { message = "the test scripted no reply for this request", type = "server_error" } }));
        }
        context.Response.StatusCode = reply.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(reply.Body, context.RequestAborted);
    }
}

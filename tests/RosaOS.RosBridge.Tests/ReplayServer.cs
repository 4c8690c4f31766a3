using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Testing;

namespace RosaOS.RosBridge.Tests;

/// <summary>
/// A WebSocket server that plays recorded rosbridge transcripts: when the client sends a frame that
/// matches a recorded send (same op and topic/service, recorded args contained in the client's), the
/// frames the real server answered with are sent back byte for byte, with the recorded request id (and
/// actionlib goal id) replaced by the client's. It never decides anything else.
/// </summary>
internal sealed class ReplayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<Entry> _sends = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<JsonObject> _received = new();
    private readonly List<WebSocket> _clients = [];
    private readonly Lock _lock = new();
    private int _connections;

    public ReplayServer(params string[] transcripts)
    {
        foreach (var name in transcripts)
        {
            Load(Path.Combine(TestPaths.RosbridgeTranscripts, name));
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.UseWebSockets();
        _app.Run(AcceptAsync);
        // A constructor cannot await; the host starts in a moment on loopback port 0.
        _app.Start();
        Port = LoopbackPort.Of(_app);
    }

    /// <summary>The loopback port the OS gave it (it binds port 0).</summary>
    public int Port { get; }

    public Uri Url => new($"ws://127.0.0.1:{Port}");

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Every frame the client sent, in order.</summary>
    public IReadOnlyCollection<JsonObject> Received => _received.ToArray();

    /// <summary>Sends text to every connected client as it is (may be anything, even not JSON).</summary>
    public async Task InjectAsync(string text, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        foreach (var socket in Clients())
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(text), type, true, CancellationToken.None);
        }
    }

    /// <summary>Kills every connection abruptly, as a crashed rosbridge would.</summary>
    public void DropClients()
    {
        foreach (var socket in Clients())
        {
            socket.Abort();
        }
    }

    public async Task<JsonObject> WaitForFrameAsync(Func<JsonObject, bool> predicate, int skip = 0)
        => await Poll.ForAsync(() => Task.FromResult(Received.Where(predicate).Skip(skip).FirstOrDefault()), f => f is not null, "a client frame") ?? throw new InvalidOperationException();

    private WebSocket[] Clients()
    {
        lock (_lock)
        {
            return [.. _clients.Where(c => c.State == WebSocketState.Open)];
        }
    }

    private void Load(string path)
    {
        Entry? current = null;
        foreach (var line in File.ReadLines(path))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var raw = root.GetProperty("frame").GetRawText();
            if (root.GetProperty("dir").GetString() == "send")
            {
                if (root.TryGetProperty("invalid_json", out _) || root.GetProperty("frame").ValueKind != JsonValueKind.Object)
                {
                    current = null;
                    continue;
                }
                current = new Entry(JsonNode.Parse(raw)!.AsObject());
                _sends.Add(current);
            }
            else if (current is not null && !root.TryGetProperty("binary_base64", out _))
            {
                current.Answers.Add(raw);
            }
        }
    }

    private async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = 400;
            return;
        }
        var ws = await context.WebSockets.AcceptWebSocketAsync();
        Interlocked.Increment(ref _connections);
        lock (_lock)
        {
            _clients.Add(ws);
        }
        // The connection lives as long as the request.
        await ServeAsync(ws);
    }

    private async Task ServeAsync(WebSocket ws)
    {
        var buffer = new byte[1 << 20];
        using var message = new MemoryStream();
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                var result = await ws.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var frame = JsonNode.Parse(message.ToArray())!.AsObject();
                message.SetLength(0);
                _received.Enqueue(frame);
                foreach (var answer in Answer(frame))
                {
                    await ws.SendAsync(Encoding.UTF8.GetBytes(answer), WebSocketMessageType.Text, true, _stop.Token);
                }
            }
        }
        catch (Exception) when (ws.State != WebSocketState.Open || _stop.IsCancellationRequested)
        {
        }
        catch (WebSocketException)
        {
        }
    }

    private List<string> Answer(JsonObject frame)
    {
        Entry? entry;
        lock (_lock)
        {
            entry = _sends.FirstOrDefault(e => !e.Used && Matches(e.Frame, frame));
            if (entry is null)
            {
                return [];
            }
            entry.Used = true;
        }
        var replacements = new List<(string From, string To)>();
        if (entry.Frame["id"] is JsonValue recordedId && recordedId.GetValueKind() == JsonValueKind.String
            && frame["id"] is JsonValue clientId && clientId.GetValueKind() == JsonValueKind.String)
        {
            replacements.Add((recordedId.GetValue<string>(), clientId.GetValue<string>()));
        }
        if (entry.Frame["msg"]?["goal_id"]?["id"]?.ToString() is { } recordedGoal && frame["msg"]?["goal_id"]?["id"]?.ToString() is { } clientGoal)
        {
            replacements.Add((recordedGoal, clientGoal));
            lock (_lock)
            {
                // Later cancels of the recorded goal stand for cancels of the client's goal.
                foreach (var later in _sends.Where(s => !s.Used && s.Frame["msg"]?["id"]?.ToString() == recordedGoal))
                {
                    later.Frame["msg"]!["id"] = clientGoal;
                    later.Goal = (recordedGoal, clientGoal);
                }
            }
        }
        if (entry.Goal is { } goal)
        {
            replacements.Add(goal);
        }
        return [.. entry.Answers.Select(a => replacements.Aggregate(a, (text, r) => text.Replace(r.From, r.To, StringComparison.Ordinal)))];
    }

    private static bool Matches(JsonObject recorded, JsonObject sent)
    {
        if (recorded["op"]?.ToString() != sent["op"]?.ToString()
            || recorded["topic"]?.ToString() != sent["topic"]?.ToString()
            || recorded["service"]?.ToString() != sent["service"]?.ToString())
        {
            return false;
        }
        if (recorded["op"]?.ToString() == "publish" && recorded["msg"]?["goal_id"] is null && recorded["msg"]?["id"] is { } cancelId)
        {
            return sent["msg"]?["id"]?.ToString() == cancelId.ToString();
        }
        return recorded["args"] is not JsonObject args
            || args.All(kv => sent["args"] is JsonObject s && JsonNode.DeepEquals(s[kv.Key], kv.Value));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        DropClients();
        await _app.DisposeAsync();
        _stop.Dispose();
    }

    private sealed class Entry(JsonObject frame)
    {
        public JsonObject Frame { get; } = frame;
        public List<string> Answers { get; } = [];
        public bool Used { get; set; }
        public (string, string)? Goal { get; set; }
    }
}

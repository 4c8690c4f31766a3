using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary>The WebSocket routes: <c>/ws/sdk</c>, <c>/api/state/ws/full</c>, <c>/api/move/ws/updates</c>, <c>/api/move/ws/set_target</c>.</summary>
internal static class WebSocketEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.Map("/ws/sdk", async (HttpContext context, SdkHub hub, DaemonService daemon) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }
            if (!daemon.BackendRunning)
            {
                // The daemon refuses the upgrade (1013 "Daemon not ready") before accepting.
                return ApiJson.BackendNotRunning();
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await hub.ServeAsync(socket, context.RequestAborted);
            return Results.Empty;
        });

        app.Map("/api/state/ws/full", async (HttpContext context, DaemonService daemon, RobotCore robot) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }
            var errors = new FieldErrors();
            var frequency = 10.0;
            if (context.Request.Query.TryGetValue("frequency", out var f))
            {
                if (!double.TryParse(f[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out frequency) || !double.IsFinite(frequency))
                {
                    errors.Add("float_parsing", ["query", "frequency"], "Input should be a valid number, unable to parse string as a number", f[^1]);
                }
                else if (frequency is <= 0 or > 1000)
                {
                    errors.Add("value_error", ["query", "frequency"], "frequency must be within (0, 1000] Hz", f[^1]);
                }
            }
            var flags = FullStateFlags.Read(context.Request, errors, includeControlMode: false);
            if (errors.Any)
            {
                return errors.ToResult();
            }
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var info = ApiJson.Info<FullState>();
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / frequency));
            var closed = DrainAsync(socket, context.RequestAborted);
            try
            {
                while (socket.State == WebSocketState.Open && daemon.BackendRunning && !closed.IsCompleted)
                {
                    var bytes = JsonSerializer.SerializeToUtf8Bytes(flags.Build(robot.Snapshot), info);
                    await socket.SendAsync(bytes, WebSocketMessageType.Text, true, context.RequestAborted);
                    await timer.WaitForNextTickAsync(context.RequestAborted);
                }
                if (socket.State == WebSocketState.Open)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "backend stopped", CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
            await AnswerCloseAsync(socket);
            return Results.Empty;
        });

        app.Map("/api/move/ws/updates", async (HttpContext context, MoveTasks tasks) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }
            // Subscribed before the handshake is answered: a client that has connected misses no update of a move it starts next.
            var channel = tasks.Subscribe();
            try
            {
                using var socket = await context.WebSockets.AcceptWebSocketAsync();
                var closed = DrainAsync(socket, context.RequestAborted);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                _ = closed.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
                try
                {
                    await foreach (var update in channel.Reader.ReadAllAsync(stop.Token))
                    {
                        var bytes = ApiJson.Utf8(update);
                        await socket.SendAsync(bytes, WebSocketMessageType.Text, true, stop.Token);
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
                {
                }
                await AnswerCloseAsync(socket);
            }
            finally
            {
                tasks.Unsubscribe(channel);
            }
            return Results.Empty;
        });

        app.Map("/api/move/ws/set_target", async (HttpContext context, DaemonService daemon, RobotCore robot) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                return Results.BadRequest();
            }
            if (!daemon.BackendRunning)
            {
                return ApiJson.BackendNotRunning();
            }
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            try
            {
                await foreach (var text in ReadTextAsync(socket, context.RequestAborted))
                {
                    var error = ApplyTarget(text, robot, daemon);
                    if (error is not null)
                    {
                        var reply = Encoding.UTF8.GetBytes(new JsonObject { ["status"] = "error", ["detail"] = error }.ToJsonString());
                        await socket.SendAsync(reply, WebSocketMessageType.Text, true, context.RequestAborted);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
            return Results.Empty;
        });
    }

    private static string? ApplyTarget(string text, RobotCore robot, DaemonService daemon)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            return $"Invalid JSON: {ex.Message}";
        }
        var errors = new FieldErrors();
        var body = errors.Object(node, []);
        if (body is null)
        {
            return errors.Summary();
        }
        var (head, antennas, bodyYaw) = MoveEndpoints.ReadTargets(errors, body, "target_head_pose", "target_antennas", "target_body_yaw", null);
        if (errors.Any)
        {
            return errors.Summary();
        }
        if (!daemon.BackendRunning)
        {
            return "Backend not running";
        }
        // Ignored while a move runs, silently, as the daemon does.
        robot.TrySetTarget(head, antennas, bodyYaw);
        return null;
    }

    /// <summary>Reads text messages until the client closes (messages over 1 MiB close the socket).</summary>
    private static async IAsyncEnumerable<string> ReadTextAsync(WebSocket socket, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[16384];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                yield break;
            }
            message.Write(buffer, 0, result.Count);
            if (message.Length > ApiJson.MaxJsonBytes)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message over 1 MiB", CancellationToken.None);
                yield break;
            }
            if (result.EndOfMessage)
            {
                yield return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
            }
        }
    }

    /// <summary>Reads and ignores client messages until the socket closes (the daemon ignores them too).</summary>
    private static async Task DrainAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        // Discards what the client sends until it closes, and does not answer the close itself: the endpoint's sender is the
        // socket's one writer (a close sent while a frame is being sent breaks the socket, and the client saw no close reply).
        var buffer = new byte[4096];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                if ((await socket.ReceiveAsync(buffer, cancellationToken)).MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    /// <summary>Answers the close a client started, once the endpoint has stopped sending, so the client sees a clean close.</summary>
    private static async Task AnswerCloseAsync(WebSocket socket)
    {
        if (socket.State != WebSocketState.CloseReceived)
        {
            return;
        }
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            // The client went away meanwhile: nothing is left to answer.
        }
    }
}

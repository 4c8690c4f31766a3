using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// Whether the robot is listening: the speech loop posts <c>{"listening": bool, "reason": "wake_word"|"follow_up"|null,
/// "until": ISO time|null}</c> to <c>POST /api/listening</c> when it changes; the kernel keeps the latest, publishes it as
/// the <c>listening</c> event and answers <c>GET /api/listening</c>, so the UI shows when the robot takes speech as a request.
/// </summary>
public static class KernelListeningApi
{
    private const int MaxBodyBytes = 4096;

    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var board = new ListeningBoard();
        app.MapPost("/api/listening", (HttpContext context, EventHub hub) => PostAsync(context, hub, board));
        app.MapGet("/api/listening", () => TypedResults.Json(board.Current, KernelJson.Relaxed.ListeningState));
    }

    private static async Task<IResult> PostAsync(HttpContext context, EventHub hub, ListeningBoard board)
    {
        var buffer = await RosaOS.Hosting.RequestBody.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (buffer is null || buffer.Length == 0)
        {
            return Bad(buffer is null ? $"the body is larger than {MaxBodyBytes} bytes" : "the body is empty; send a JSON object");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer);
        }
        catch (JsonException e)
        {
            return Bad($"the body is not JSON: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Bad($"the body must be a JSON object, not {root.ValueKind}");
            }
            if (!root.TryGetProperty("listening", out var listening) || listening.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return Bad("\"listening\" must be true or false");
            }
            string? reason = null;
            if (root.TryGetProperty("reason", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                reason = r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                if (reason is not ("wake_word" or "follow_up"))
                {
                    return Bad($"\"reason\" must be \"wake_word\", \"follow_up\" or null, not {r.GetRawText()}");
                }
            }
            DateTimeOffset? until = null;
            if (root.TryGetProperty("until", out var u) && u.ValueKind != JsonValueKind.Null)
            {
                if (u.ValueKind != JsonValueKind.String || !u.TryGetDateTimeOffset(out var parsed))
                {
                    return Bad($"\"until\" must be an ISO 8601 time or null, not {u.GetRawText()}");
                }
                until = parsed;
            }
            var state = board.Set(listening.GetBoolean(), reason, until);
            hub.Publish("listening", state, KernelJson.Default.ListeningState);
            return KernelApi.Ack();
        }
    }

    private static IResult Bad(string error) => KernelApi.Error(error, StatusCodes.Status400BadRequest);

    /// <summary>The latest state (one robot's ear per kernel, as the original's single STT callback).</summary>
    private sealed class ListeningBoard
    {
        private readonly Lock _lock = new();
        private ListeningState _current = new(false, null, null, null);

        public ListeningState Current
        {
            get
            {
                lock (_lock)
                {
                    return _current;
                }
            }
        }

        public ListeningState Set(bool listening, string? reason, DateTimeOffset? until)
        {
            lock (_lock)
            {
                return _current = new ListeningState(listening, listening ? reason : null, listening ? until : null, DateTimeOffset.UtcNow);
            }
        }
    }
}

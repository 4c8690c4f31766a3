using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting.Watches;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>What a watch looks for on its topic (the shared fields are <see cref="Watch"/>'s).</summary>
public sealed class WatchSpec : Watch
{
    public required string Topic { get; init; }
    public string? MsgType { get; init; }
    public string? Field { get; init; }
    public double? Threshold { get; init; }
    public JsonNode? Value { get; init; }
    public double SilentSeconds { get; init; }

    public override JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["id"] = Id,
            ["topic"] = Topic,
            ["msg_type"] = MsgType,
            ["field"] = Field,
            ["threshold"] = Threshold,
            ["value"] = Value?.DeepClone(),
            ["silent_seconds"] = Condition == "silent_for" ? SilentSeconds : null,
        };
        foreach (var (key, value) in base.ToJson())
        {
            json[key] = value?.DeepClone();
        }
        return json;
    }
}

/// <summary>
/// The watches of this robot (issue 16): each evaluates its condition on its own rosbridge subscription (restored by the
/// client on reconnect). The store, cap, expiry, debounce and the posting to the kernel are the shared
/// <see cref="WatchRegistry{TWatch}"/>'s. Read-only on the robot: no lease, no approval.
/// </summary>
public sealed partial class RobotWatches(RobotSession robot, WatchSettings settings, TimeProvider time, ILogger<RobotWatches> logger)
    : WatchRegistry<WatchSpec>(robot.Options.Name, settings, time, logger)
{
    public new const int MaxActive = DefaultMaxActive;
    private readonly RobotSession _robot = robot;
    private readonly ILogger<RobotWatches> _logger = logger;

    protected override async Task RunAsync(WatchSpec spec, CancellationToken cancellationToken)
    {
        var retry = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var type = !string.IsNullOrWhiteSpace(spec.MsgType) ? spec.MsgType : await _robot.Api.TopicTypeAsync(spec.Topic, cancellationToken);
                await using var subscription = await _robot.Client.SubscribeAsync(spec.Topic, string.IsNullOrEmpty(type) ? null : type,
                    new SubscribeOptions { QueueLength = 1, LocalBuffer = 16 }, cancellationToken);
                retry = TimeSpan.FromSeconds(1);
                await EvaluateAsync(spec, subscription, cancellationToken);
            }
            catch (Exception ex) when (ex is RosBridgeException or InvalidOperationException or JsonException)
            {
                LogSubscribeFailed(spec.Id, spec.Topic, ex.Message);
                await Task.Delay(retry, Time, cancellationToken);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task EvaluateAsync(WatchSpec spec, RosSubscription subscription, CancellationToken cancellationToken)
    {
        JsonNode? previous = null;
        var seen = false;
        while (true)
        {
            if (spec.Condition == "silent_for")
            {
                using var silence = new CancellationTokenSource(TimeSpan.FromSeconds(spec.SilentSeconds), Time);
                using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
                try
                {
                    _ = await subscription.Messages.ReadAsync(window.Token);
                    spec.Held = false;
                    continue;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    if (spec.Held != true)
                    {
                        spec.Held = true;
                        Fire(spec, $"no message on {spec.Topic} for {spec.SilentSeconds.ToString(CultureInfo.InvariantCulture)} s");
                    }
                    // Wait for the next message to re-arm.
                    _ = await subscription.Messages.ReadAsync(cancellationToken);
                    spec.Held = false;
                    continue;
                }
            }
            var msg = await subscription.Messages.ReadAsync(cancellationToken);
            var value = string.IsNullOrEmpty(spec.Field) ? msg : Select(msg, spec.Field);
            var shown = value is null ? "(missing)" : value is JsonValue ? value.ToJsonString() : Watch.Truncate(value.ToJsonString(), 200);
            switch (spec.Condition)
            {
                case "arrives":
                    // With a field, only messages that carry it count (a hazard vector is published empty between bumps).
                    if (!string.IsNullOrEmpty(spec.Field) && value is null)
                    {
                        break;
                    }
                    Fire(spec, $"message on {spec.Topic}{(string.IsNullOrEmpty(spec.Field) ? "" : $" ({spec.Field} = {shown})")}");
                    break;
                case "changes":
                    if (seen && !JsonNode.DeepEquals(previous, value))
                    {
                        Fire(spec, $"{spec.Field} on {spec.Topic} changed from {previous?.ToJsonString() ?? "(missing)"} to {shown}");
                    }
                    previous = value?.DeepClone();
                    seen = true;
                    break;
                case "equals":
                    var equal = JsonNode.DeepEquals(value, spec.Value);
                    if (equal && spec.Held == false)
                    {
                        Fire(spec, $"{spec.Field} on {spec.Topic} = {shown}");
                    }
                    SetHeld(spec, equal);
                    break;
                case "above" or "below":
                    if (!TryNumber(value, out var number))
                    {
                        break;
                    }
                    var holds = spec.Condition == "above" ? number > spec.Threshold : number < spec.Threshold;
                    // A crossing: fires on the transition only; going back re-arms it (the first message only sets the side).
                    if (holds && spec.Held == false)
                    {
                        Fire(spec, $"{spec.Field} on {spec.Topic} is {shown}, {spec.Condition} {spec.Threshold?.ToString(CultureInfo.InvariantCulture)}");
                    }
                    SetHeld(spec, holds);
                    break;
            }
        }
    }

    /// <summary>A dotted field path (array indexes as numbers): "percentage", "pose.position.x", "detections.0.type".</summary>
    public static JsonNode? Select(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node switch
            {
                JsonObject o => o[part],
                JsonArray a when int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null)
            {
                return null;
            }
        }
        return node;
    }

    private static bool TryNumber(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && (v.TryGetValue(out value) || (v.TryGetValue<bool>(out var b) && (value = b ? 1 : 0) >= 0));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch {Id} could not subscribe to {Topic}: {Error}; retrying.")]
    private partial void LogSubscribeFailed(string id, string topic, string error);
}

using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>What a watch looks for on its topic.</summary>
public sealed class WatchSpec
{
    public required string Id { get; init; }
    public required string Topic { get; init; }
    public string? MsgType { get; init; }
    public string? Field { get; init; }
    public required string Condition { get; init; }
    public double? Threshold { get; init; }
    public JsonNode? Value { get; init; }
    public double SilentSeconds { get; init; }
    public double DebounceSeconds { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required string Text { get; init; }
    public required string Owner { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Firings so far; the next firing's idempotency key is watch/&lt;id&gt;/&lt;Sequence + 1&gt;.</summary>
    public long Sequence { get; set; }

    /// <summary>Crossing/equals state: true when the condition already held at the last message (so it does not fire again).</summary>
    public bool? Held { get; set; }

    public JsonObject ToJson() => new()
    {
        ["id"] = Id,
        ["topic"] = Topic,
        ["msg_type"] = MsgType,
        ["field"] = Field,
        ["condition"] = Condition,
        ["threshold"] = Threshold,
        ["value"] = Value?.DeepClone(),
        ["silent_seconds"] = Condition == "silent_for" ? SilentSeconds : null,
        ["debounce_seconds"] = DebounceSeconds,
        ["expires_at"] = ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        ["text"] = Text,
        ["owner"] = Owner,
        ["created_at"] = CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        ["fired"] = Sequence,
    };
}

/// <summary>
/// The watches of this robot (issue 16): each evaluates its condition on its own rosbridge subscription (restored by the
/// client on reconnect), and a firing is posted to the kernel's <c>/api/robot-events</c> with the key
/// <c>watch/&lt;id&gt;/&lt;n&gt;</c>, retried with bounded backoff until the kernel answers. Kept in a JSON file of the data
/// folder so a restart resumes them. Read-only on the robot: no lease, no approval.
/// </summary>
public sealed partial class RobotWatches : IAsyncDisposable
{
    public const int MaxActive = 20;
    public const double MaxExpirySeconds = 7 * 24 * 3600;
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly RobotSession _robot;
    private readonly Uri _kernel;
    private readonly string _file;
    private readonly TimeProvider _time;
    private readonly ILogger<RobotWatches> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (WatchSpec Spec, CancellationTokenSource Stop)> _watches = [];
    private readonly Channel<(WatchSpec Spec, long Sequence, string Message)> _outbox =
        Channel.CreateBounded<(WatchSpec, long, string)>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private Task _sender = Task.CompletedTask;

    public RobotWatches(RobotSession robot, WatchSettings settings, TimeProvider time, ILogger<RobotWatches> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _robot = robot;
        _kernel = settings.KernelUrl;
        _file = Path.Combine(settings.DataDirectory, $"watches-{robot.Options.Name}.json");
        _time = time;
        _logger = logger;
    }

    /// <summary>Loads the saved watches and starts them and the sender.</summary>
    public void Start()
    {
        if (File.Exists(_file))
        {
            try
            {
                foreach (var spec in JsonSerializer.Deserialize<List<WatchSpec>>(File.ReadAllText(_file), FileJson) ?? [])
                {
                    if (spec.ExpiresAt > _time.GetUtcNow())
                    {
                        Run(spec);
                    }
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException)
            {
                LogLoadFailed(_file, ex.Message);
            }
        }
        _sender = Task.Run(() => SendAsync(_stopping.Token));
    }

    public IReadOnlyList<WatchSpec> List()
    {
        lock (_gate)
        {
            return [.. _watches.Values.Select(w => w.Spec).OrderBy(s => s.CreatedAt)];
        }
    }

    public WatchSpec Add(WatchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (_gate)
        {
            if (_watches.Count >= MaxActive)
            {
                throw new InvalidOperationException($"This robot already has {MaxActive} active watches (the most allowed); remove one with remove_watch first.");
            }
            Run(spec);
        }
        Save();
        return spec;
    }

    public WatchSpec? Remove(string id)
    {
        (WatchSpec Spec, CancellationTokenSource Stop) entry;
        lock (_gate)
        {
            if (!_watches.Remove(id, out entry))
            {
                return null;
            }
        }
        entry.Stop.Cancel();
        Save();
        return entry.Spec;
    }

    private void Run(WatchSpec spec)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_gate)
        {
            _watches[spec.Id] = (spec, stop);
        }
        _ = Task.Run(() => WatchAsync(spec, stop.Token));
    }

    private async Task WatchAsync(WatchSpec spec, CancellationToken cancellationToken)
    {
        var retry = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            var left = spec.ExpiresAt - _time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                LogExpired(spec.Id);
                Remove(spec.Id);
                return;
            }
            try
            {
                using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                life.CancelAfter(left);
                var type = !string.IsNullOrWhiteSpace(spec.MsgType) ? spec.MsgType : await _robot.Api.TopicTypeAsync(spec.Topic, life.Token);
                await using var subscription = await _robot.Client.SubscribeAsync(spec.Topic, string.IsNullOrEmpty(type) ? null : type,
                    new SubscribeOptions { QueueLength = 1, LocalBuffer = 16 }, life.Token);
                retry = TimeSpan.FromSeconds(1);
                await EvaluateAsync(spec, subscription, life.Token);
            }
            catch (OperationCanceledException)
            {
                // Expiry or removal: the loop head decides.
            }
            catch (Exception ex) when (ex is RosBridgeException or InvalidOperationException or JsonException)
            {
                LogSubscribeFailed(spec.Id, spec.Topic, ex.Message);
                try
                {
                    await Task.Delay(retry, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task EvaluateAsync(WatchSpec spec, RosSubscription subscription, CancellationToken cancellationToken)
    {
        JsonNode? previous = null;
        var seen = false;
        DateTimeOffset? lastFired = null;
        while (true)
        {
            if (spec.Condition == "silent_for")
            {
                using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                window.CancelAfter(TimeSpan.FromSeconds(spec.SilentSeconds));
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
                        Fire(spec, ref lastFired, $"no message on {spec.Topic} for {spec.SilentSeconds.ToString(CultureInfo.InvariantCulture)} s");
                    }
                    // Wait for the next message to re-arm.
                    _ = await subscription.Messages.ReadAsync(cancellationToken);
                    spec.Held = false;
                    continue;
                }
            }
            var msg = await subscription.Messages.ReadAsync(cancellationToken);
            var value = string.IsNullOrEmpty(spec.Field) ? msg : Select(msg, spec.Field);
            var shown = value is null ? "(missing)" : value is JsonValue ? value.ToJsonString() : Truncate(value.ToJsonString(), 200);
            switch (spec.Condition)
            {
                case "arrives":
                    // With a field, only messages that carry it count (a hazard vector is published empty between bumps).
                    if (!string.IsNullOrEmpty(spec.Field) && value is null)
                    {
                        break;
                    }
                    Fire(spec, ref lastFired, $"message on {spec.Topic}{(string.IsNullOrEmpty(spec.Field) ? "" : $" ({spec.Field} = {shown})")}");
                    break;
                case "changes":
                    if (seen && !JsonNode.DeepEquals(previous, value))
                    {
                        Fire(spec, ref lastFired, $"{spec.Field} on {spec.Topic} changed from {previous?.ToJsonString() ?? "(missing)"} to {shown}");
                    }
                    previous = value?.DeepClone();
                    seen = true;
                    break;
                case "equals":
                    var equal = JsonNode.DeepEquals(value, spec.Value);
                    if (equal && spec.Held == false)
                    {
                        Fire(spec, ref lastFired, $"{spec.Field} on {spec.Topic} = {shown}");
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
                        Fire(spec, ref lastFired, $"{spec.Field} on {spec.Topic} is {shown}, {spec.Condition} {spec.Threshold?.ToString(CultureInfo.InvariantCulture)}");
                    }
                    SetHeld(spec, holds);
                    break;
            }
        }
    }

    private void SetHeld(WatchSpec spec, bool holds)
    {
        if (spec.Held != holds)
        {
            spec.Held = holds;
            Save();
        }
    }

    private void Fire(WatchSpec spec, ref DateTimeOffset? lastFired, string what)
    {
        var now = _time.GetUtcNow();
        if (lastFired is { } last && now - last < TimeSpan.FromSeconds(spec.DebounceSeconds))
        {
            return;
        }
        lastFired = now;
        long sequence;
        lock (_gate)
        {
            sequence = ++spec.Sequence;
        }
        Save();
        var message = Truncate($"{spec.Text} ({what})", 1900);
        LogFired(spec.Id, sequence, message);
        _outbox.Writer.TryWrite((spec, sequence, message));
    }

    private async Task SendAsync(CancellationToken cancellationToken)
    {
        await foreach (var (spec, sequence, message) in _outbox.Reader.ReadAllAsync(cancellationToken))
        {
            var delay = TimeSpan.FromSeconds(1);
            var body = new JsonObject
            {
                ["robot"] = _robot.Options.Name,
                ["watch_id"] = spec.Id,
                ["message"] = message,
                ["idempotency_key"] = $"watch/{spec.Id}/{sequence.ToString(CultureInfo.InvariantCulture)}",
            };
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    using var response = await _http.PostAsJsonAsync(new Uri(_kernel, "api/robot-events"), body, cancellationToken);
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                    if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                    {
                        // The kernel refused this report (not a passing failure): retrying would be refused again.
                        LogRefused(spec.Id, (int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
                        break;
                    }
                    LogRetry(spec.Id, $"HTTP {(int)response.StatusCode}");
                }
                catch (HttpRequestException ex)
                {
                    LogRetry(spec.Id, ex.Message);
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    LogRetry(spec.Id, "timeout");
                }
                await Task.Delay(delay, _time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private void Save()
    {
        try
        {
            string json;
            lock (_gate)
            {
                json = JsonSerializer.Serialize(_watches.Values.Select(w => w.Spec).ToList(), FileJson);
            }
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            // Written aside then moved over: a crash mid-write leaves the old file, never half a file.
            var temp = _file + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
            File.WriteAllText(temp, json);
            File.Move(temp, _file, overwrite: true);
        }
        catch (IOException ex)
        {
            LogSaveFailed(_file, ex.Message);
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

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        try
        {
            await _sender;
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
        _http.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the saved watches in {File}: {Error}")]
    private partial void LogLoadFailed(string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the watches to {File}: {Error}")]
    private partial void LogSaveFailed(string file, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch {Id} could not subscribe to {Topic}: {Error}; retrying.")]
    private partial void LogSubscribeFailed(string id, string topic, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch {Id} expired.")]
    private partial void LogExpired(string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch {Id} fired (#{Sequence}): {Message}")]
    private partial void LogFired(string id, long sequence, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel did not take watch {Id}'s event yet ({Why}); retrying.")]
    private partial void LogRetry(string id, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "The kernel refused watch {Id}'s event: HTTP {Status} {Body}")]
    private partial void LogRefused(string id, int status, string body);
}

/// <summary>Where watches report (the kernel) and are kept (the data folder).</summary>
public sealed record WatchSettings(Uri KernelUrl, string DataDirectory);

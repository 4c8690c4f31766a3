using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace RosaOS.Hosting.Watches;

/// <summary>The condition-agnostic view of a driver's watches: what GET /watches lists and a person cancels.</summary>
public interface IWatchRegistry
{
    /// <summary>The most active watches one robot may have.</summary>
    int MaxActive { get; }

    /// <summary>The active watches, oldest first.</summary>
    IReadOnlyList<Watch> ListAll();

    /// <summary>Removes a watch; null when there is no such active watch.</summary>
    Watch? Cancel(string id);
}

/// <summary>
/// The watches of one robot (issue 16), whatever the driver evaluates: kept in <c>watches-&lt;robot&gt;.json</c> of the data
/// folder so a restart re-arms them, capped at <see cref="MaxActive"/>, each ended at its expiry, debounced, and each firing
/// posted to the kernel's <c>/api/robot-events</c> with the key <c>watch/&lt;id&gt;/&lt;n&gt;</c> through a bounded queue,
/// retried with bounded backoff until the kernel answers. The driver supplies only <see cref="RunAsync"/>: how one watch's
/// condition is observed, calling <see cref="Fire"/> when it holds.
/// </summary>
public abstract partial class WatchRegistry<TWatch> : IWatchRegistry, IAsyncDisposable where TWatch : Watch
{
    public const int DefaultMaxActive = 20;
    public const double MaxExpirySeconds = 7 * 24 * 3600;
    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Uri _kernel;
    private readonly string _file;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (TWatch Spec, CancellationTokenSource Stop)> _watches = [];
    // Firings wait here for the kernel; DropOldest keeps a long kernel outage from growing memory (the oldest news goes first).
    private readonly Channel<(TWatch Spec, long Sequence, string Message)> _outbox =
        Channel.CreateBounded<(TWatch, long, string)>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private Task _sender = Task.CompletedTask;

    protected WatchRegistry(string robot, WatchSettings settings, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Robot = robot;
        _kernel = settings.KernelUrl;
        _file = Path.Combine(settings.DataDirectory, $"watches-{robot}.json");
        Time = time;
        _logger = logger;
    }

    /// <summary>The robot's drivers.json name, as the kernel knows it.</summary>
    public string Robot { get; }

    /// <inheritdoc />
    public virtual int MaxActive => DefaultMaxActive;

    protected TimeProvider Time { get; }

    /// <summary>Token that ends when the registry is disposed.</summary>
    protected CancellationToken Stopping => _stopping.Token;

    /// <summary>Observes <paramref name="watch"/>'s condition until <paramref name="cancellationToken"/> ends (removal, expiry or shutdown).</summary>
    protected abstract Task RunAsync(TWatch watch, CancellationToken cancellationToken);

    /// <summary>Loads the saved watches and starts them and the sender.</summary>
    public void Start()
    {
        if (File.Exists(_file))
        {
            try
            {
                foreach (var spec in JsonSerializer.Deserialize<List<TWatch>>(File.ReadAllText(_file), FileJson) ?? [])
                {
                    if (spec.ExpiresAt > Time.GetUtcNow())
                    {
                        Run(spec);
                    }
                }
            }
            catch (Exception ex) when (ex is JsonException or IOException or NotSupportedException)
            {
                LogLoadFailed(_file, ex.Message);
            }
        }
        _sender = Task.Run(() => SendAsync(_stopping.Token));
    }

    public IReadOnlyList<TWatch> List()
    {
        lock (_gate)
        {
            return [.. _watches.Values.Select(w => w.Spec).OrderBy(s => s.CreatedAt)];
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<Watch> ListAll() => List();

    /// <summary>Adds and starts a watch; <see cref="InvalidOperationException"/> with the limit when the cap is reached.</summary>
    public TWatch Add(TWatch spec)
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

    public TWatch? Remove(string id)
    {
        (TWatch Spec, CancellationTokenSource Stop) entry;
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

    /// <inheritdoc />
    public Watch? Cancel(string id) => Remove(id);

    private void Run(TWatch spec)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        lock (_gate)
        {
            _watches[spec.Id] = (spec, stop);
        }
        _ = Task.Run(() => LiveAsync(spec, stop.Token));
    }

    // The watch's life: its condition runs until removal, shutdown or expiry; an expired watch is removed.
    private async Task LiveAsync(TWatch spec, CancellationToken cancellationToken)
    {
        var left = spec.ExpiresAt - Time.GetUtcNow();
        if (left > TimeSpan.Zero)
        {
            // The expiry runs on Time, so a test's fake clock (and nothing else) decides when the watch ends.
            using var expiry = new CancellationTokenSource(left, Time);
            using var life = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
            try
            {
                await RunAsync(spec, life.Token);
            }
            catch (OperationCanceledException)
            {
                // Expiry, removal or shutdown: decided below.
            }
#pragma warning disable CA1031 // A failing condition must not take the driver down; it is logged and the watch stays listed.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogWatchFailed(spec.Id, ex.Message);
                return;
            }
        }
        if (!cancellationToken.IsCancellationRequested && spec.ExpiresAt <= Time.GetUtcNow())
        {
            LogExpired(spec.Id);
            Remove(spec.Id);
        }
    }

    /// <summary>Records a change of the crossing state (kept in the file, so a restart does not fire again for a standing condition).</summary>
    protected void SetHeld(TWatch spec, bool holds)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Held != holds)
        {
            spec.Held = holds;
            Save();
        }
    }

    /// <summary>The condition held: unless within the debounce, numbers the firing, saves it and queues it for the kernel.</summary>
    protected void Fire(TWatch spec, string what)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var now = Time.GetUtcNow();
        long sequence;
        lock (_gate)
        {
            if (spec.LastFiredAt is { } last && now - last < TimeSpan.FromSeconds(spec.DebounceSeconds))
            {
                return;
            }
            spec.LastFiredAt = now;
            sequence = ++spec.Sequence;
        }
        Save();
        var message = Watch.Truncate($"{spec.Text} ({what})", 1900);
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
                ["robot"] = Robot,
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
                await Task.Delay(delay, Time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    protected void Save()
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

    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    protected virtual async ValueTask DisposeAsyncCore()
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Watch {Id} stopped: {Error}")]
    private partial void LogWatchFailed(string id, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch {Id} expired.")]
    private partial void LogExpired(string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watch {Id} fired (#{Sequence}): {Message}")]
    private partial void LogFired(string id, long sequence, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel did not take watch {Id}'s event yet ({Why}); retrying.")]
    private partial void LogRetry(string id, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "The kernel refused watch {Id}'s event: HTTP {Status} {Body}")]
    private partial void LogRefused(string id, int status, string body);
}

/// <summary>A person's view of a driver's watches, and their way to cancel one (RequestGuard checks the origin and the JSON body).</summary>
public static class WatchEndpoints
{
    /// <summary>Maps <c>GET /watches</c> and <c>POST /watches/{id}/cancel</c>.</summary>
    public static void MapWatches(this IEndpointRouteBuilder app, IWatchRegistry watches)
    {
        ArgumentNullException.ThrowIfNull(watches);
        app.MapGet("/watches", () => Results.Json(new JsonObject
        {
            ["watches"] = new JsonArray([.. watches.ListAll().Select(w => (JsonNode)w.ToJson())]),
            ["max"] = watches.MaxActive,
        }));
        app.MapPost("/watches/{id}/cancel", (string id) => watches.Cancel(id) is { } removed
            ? Results.Json(new JsonObject { ["cancelled"] = true, ["watch"] = removed.ToJson() })
            : Results.Json(new JsonObject { ["error"] = $"No active watch '{id}' (see GET /watches)." }, statusCode: 404));
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace RosaOS.EmergencyStop;

/// <summary>
/// One driver's emergency-stop latch: engaged until a person releases it, persisted in the data folder
/// (<c>estop/&lt;driver&gt;.json</c>, written atomically) so it survives a restart of the driver, with every
/// engage and release appended to <c>estop/&lt;driver&gt;.log</c>. A state file that cannot be read counts as
/// engaged: a stop is never lost to a corrupt file. Motion code asks it before moving (<see cref="ThrowIfEngaged"/>)
/// and links its waits to <see cref="MotionToken"/>, which is cancelled the moment the latch engages.
/// </summary>
public sealed partial class EmergencyStopLatch : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Lock _saveLock = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private EstopState _state;
    private CancellationTokenSource _motion = new();

    /// <summary>Opens (or creates) the latch of <paramref name="driver"/> under <paramref name="dataDirectory"/>/estop.</summary>
    public EmergencyStopLatch(string driver, string dataDirectory, TimeProvider time, ILogger<EmergencyStopLatch> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(driver);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        Driver = driver;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        StatePath = PathFor(dataDirectory, driver);
        LogPath = Path.ChangeExtension(StatePath, ".log");
        _state = Load();
        if (_state.Engaged)
        {
            _motion.Cancel();
            LogStartedEngaged(_logger, driver, _state.Refusal ?? "");
        }
    }

    /// <summary>The driver name (its drivers.json key).</summary>
    public string Driver { get; }

    /// <summary>The persisted state file.</summary>
    public string StatePath { get; }

    /// <summary>The engage/release history (JSON lines).</summary>
    public string LogPath { get; }

    /// <summary>Raised after every engage and release, outside the lock.</summary>
    public event Action<EstopState>? Changed;

    /// <summary>True while engaged.</summary>
    public bool IsEngaged
    {
        get
        {
            lock (_lock)
            {
                return _state.Engaged;
            }
        }
    }

    /// <summary>The latch now.</summary>
    public EstopState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The sentence motion tools answer while engaged; null when released.</summary>
    public string? Refusal => State.Refusal;

    /// <summary>Cancelled while engaged (and at once on engage); a fresh token after a release.</summary>
    public CancellationToken MotionToken
    {
        get
        {
            lock (_lock)
            {
                return _motion.Token;
            }
        }
    }

    /// <summary>Where the latch of <paramref name="driver"/> lives under <paramref name="dataDirectory"/>.</summary>
    public static string PathFor(string dataDirectory, string driver)
    {
        var safe = new StringBuilder(driver.Length);
        foreach (var c in driver)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        }
        return Path.Combine(dataDirectory, "estop", safe.ToString().TrimStart('.') + ".json");
    }

    /// <summary>Throws <see cref="EmergencyStopEngagedException"/> with the refusal while engaged.</summary>
    public void ThrowIfEngaged()
    {
        if (Refusal is { } why)
        {
            throw new EmergencyStopEngagedException(why);
        }
    }

    /// <summary>
    /// Engages (idempotent: an engaged latch keeps its first time and source). Memory and <see cref="MotionToken"/>
    /// change before this returns; the file is written durably in the background (<c>Persisted</c>) so the stop's
    /// effects need not wait for the disk. Returns the state and whether it was already engaged.
    /// </summary>
    public (EstopState State, bool AlreadyEngaged, Task Persisted) Engage(string source, string? reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        EstopState state;
        bool already;
        CancellationTokenSource motion;
        lock (_lock)
        {
            already = _state.Engaged;
            if (!already)
            {
                var at = _time.GetUtcNow();
                _state = new EstopState
                {
                    Driver = Driver,
                    Engaged = true,
                    EngagedAt = at,
                    Source = source,
                    Reason = Trim(reason),
                    Refusal = RefusalFor(at, source, Trim(reason)),
                };
            }
            state = _state;
            motion = _motion;
        }
        // Cancel outside the lock: the callbacks are motion code that may read the latch.
        CancelQuietly(motion);
        if (already)
        {
            return (state, true, Task.CompletedTask);
        }
        LogEngaged(_logger, Driver, source, reason ?? "");
        var persisted = Task.Run(Save);
        Changed?.Invoke(state);
        return (state, false, persisted);
    }

    /// <summary>Releases (idempotent); returns the state and whether it was engaged.</summary>
    public (EstopState State, bool WasEngaged) Release(string by)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        EstopState state;
        bool was;
        lock (_lock)
        {
            was = _state.Engaged;
            if (was)
            {
                _state = _state with { Engaged = false, ReleasedAt = _time.GetUtcNow(), ReleasedBy = by, Refusal = null };
                _motion.Dispose();
                _motion = new CancellationTokenSource();
            }
            state = _state;
        }
        if (was)
        {
            Save();
            LogReleased(_logger, Driver, by);
            Changed?.Invoke(state);
        }
        return (state, was);
    }

    /// <summary>Appends one entry (<paramref name="detailJson"/>, a JSON value) to the engage/release history; never throws.</summary>
    public void AppendHistory(string action, string detailJson)
    {
        try
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("at", _time.GetUtcNow());
                writer.WriteString("driver", Driver);
                writer.WriteString("action", action);
                writer.WritePropertyName("detail");
                writer.WriteRawValue(detailJson);
                writer.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            lock (_lock)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(LogPath)!);
                using var file = new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.Read);
                file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            LogHistoryFailed(_logger, LogPath, e.Message);
        }
    }

    /// <summary>The refusal sentence: "emergency stop engaged at 12:03:04 from the UI; a person must release it …".</summary>
    public static string RefusalFor(DateTimeOffset at, string? source, string? reason)
    {
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.Local);
        var why = string.IsNullOrWhiteSpace(reason) ? "" : $" ({reason})";
        var sentence = string.Create(CultureInfo.InvariantCulture, $"emergency stop engaged at {local:HH:mm:ss} {EstopContract.Sources.Describe(source)}{why}");
        return sentence + "; a person must release it (in the rosaOS UI or with rosa estop --release). Motion is refused until then; do not retry, tell the user.";
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock)
        {
            _motion.Dispose();
        }
    }

    private static string? Trim(string? text)
        => string.IsNullOrWhiteSpace(text) ? null : text.Trim() is var t && t.Length > EstopContract.MaxTextLength ? t[..EstopContract.MaxTextLength] : text.Trim();

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private EstopState Load()
    {
        if (!File.Exists(StatePath))
        {
            return new EstopState { Driver = Driver };
        }
        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllText(StatePath), EstopJson.Default.EstopState)
                ?? throw new JsonException("the file holds null");
            return saved.Engaged
                ? saved with { Driver = Driver, Refusal = RefusalFor(saved.EngagedAt ?? _time.GetUtcNow(), saved.Source, saved.Reason) }
                : saved with { Driver = Driver, Refusal = null };
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            // Fail safe: a stop that cannot be read back is still a stop.
            LogUnreadable(_logger, StatePath, e.Message);
            var at = _time.GetUtcNow();
            var reason = $"its saved state {StatePath} could not be read: {e.Message}";
            return new EstopState { Driver = Driver, Engaged = true, EngagedAt = at, Source = EstopContract.Sources.Kernel, Reason = reason, Refusal = RefusalFor(at, "the driver itself", reason) };
        }
    }

    /// <summary>Writes the state as it is now (so racing saves end with the latest), atomically and durably.</summary>
    private void Save()
    {
        lock (_saveLock)
        {
            var state = State;
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
                var temp = StatePath + ".tmp";
                var bytes = JsonSerializer.SerializeToUtf8Bytes(state, EstopJson.Default.EstopState);
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes);
                    // Durable before the rename: a power cut after the answer must not forget the stop.
                    file.Flush(flushToDisk: true);
                }
                File.Move(temp, StatePath, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The latch still holds in memory; a restart would lose it, so say so loudly.
                LogSaveFailed(_logger, StatePath, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency stop of {Driver} ENGAGED by {Source}. {Reason}")]
    private static partial void LogEngaged(ILogger logger, string driver, string source, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency stop of {Driver} released by {By}.")]
    private static partial void LogReleased(ILogger logger, string driver, string by);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} starts with its emergency stop engaged: {Refusal}")]
    private static partial void LogStartedEngaged(ILogger logger, string driver, string refusal);

    [LoggerMessage(Level = LogLevel.Error, Message = "The emergency-stop state {Path} cannot be read ({Reason}); the stop counts as ENGAGED until a person releases it.")]
    private static partial void LogUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not save the emergency-stop state to {Path} ({Reason}); it holds now but would not survive a restart.")]
    private static partial void LogSaveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not append to the emergency-stop history {Path}: {Reason}")]
    private static partial void LogHistoryFailed(ILogger logger, string path, string reason);
}

/// <summary>A motion was refused because the emergency stop is engaged; the message is the refusal.</summary>
public sealed class EmergencyStopEngagedException : InvalidOperationException
{
    public EmergencyStopEngagedException()
    {
    }

    public EmergencyStopEngagedException(string message) : base(message)
    {
    }

    public EmergencyStopEngagedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

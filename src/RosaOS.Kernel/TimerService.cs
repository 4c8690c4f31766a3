using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// Timers the kernel agent schedules ("remind me in ten minutes", "check the battery every hour"). They are rows of the
/// kernel's database, so they survive restarts; each firing is a journaled event <c>[Timer] …</c> that wakes the kernel
/// agent like any other and follows the journal's rules (idempotent per timer and due time, time-to-live of callbacks).
/// A timer that came due while the kernel was stopped fires once when it starts (a repeating one then resumes its
/// rhythm from the next future slot; missed slots are not replayed one by one).
/// </summary>
public sealed partial class TimerService : BackgroundService
{
    /// <summary>Most timers active at once: a runaway model cannot fill the journal with reminders.</summary>
    public const int MaxActive = 50;

    /// <summary>Longest reminder text.</summary>
    public const int MaxTextChars = 1000;

    /// <summary>Shortest repeat interval: anything faster is polling, which a watch does better.</summary>
    public static readonly TimeSpan MinRepeat = TimeSpan.FromMinutes(1);

    /// <summary>Furthest a timer may be scheduled ahead, and longest repeat interval.</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(366);

    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly TimeProvider _time;
    private readonly ILogger<TimerService> _logger;
    private readonly Channel<bool> _changed;

    public TimerService(KernelDatabase database, EventIntake intake, EventHub hub, TimeProvider time, ILogger<TimerService> logger)
    {
        _database = database;
        _intake = intake;
        _hub = hub;
        _time = time;
        _logger = logger;
        // DropWrite with capacity 1: one pending "the timers changed" is enough to make the loop look again.
        _changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    }

    /// <summary>
    /// Schedules a timer: after <paramref name="delaySeconds"/> or at <paramref name="at"/> (ISO 8601 with an offset), exactly one of
    /// them, optionally repeating every <paramref name="repeatSeconds"/>. Throws <see cref="ArgumentException"/> naming the bad argument.
    /// </summary>
    public TimerRow Schedule(string text, double? delaySeconds, string? at, double? repeatSeconds, string owner, string? id = null)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("\"text\" must say what the timer is for, not be empty");
        }
        if (text.Length > MaxTextChars)
        {
            throw new ArgumentException($"\"text\" is {text.Length} characters; at most {MaxTextChars}");
        }
        var now = _time.GetUtcNow();
        DateTimeOffset due;
        if ((delaySeconds is null) == (at is null))
        {
            throw new ArgumentException(at is null
                ? "give when the timer fires: \"delay_seconds\" (seconds from now) or \"at\" (an ISO 8601 time with offset, e.g. 2026-05-01T09:00:00+02:00)"
                : $"give \"delay_seconds\" or \"at\", not both (got delay_seconds={delaySeconds?.ToString(CultureInfo.InvariantCulture)} and at=\"{at}\")");
        }
        if (at is not null)
        {
            if (!DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out due)
                || !HasOffset(at))
            {
                throw new ArgumentException($"\"at\" must be an ISO 8601 time with an offset (e.g. 2026-05-01T09:00:00Z), not \"{at}\"");
            }
            if (due <= now)
            {
                throw new ArgumentException($"\"at\" ({at}) is in the past; it is now {now.ToString("O", CultureInfo.InvariantCulture)}");
            }
        }
        else
        {
            var seconds = delaySeconds!.Value;
            if (!double.IsFinite(seconds) || seconds < 1 || seconds > MaxAhead.TotalSeconds)
            {
                throw new ArgumentException($"\"delay_seconds\" must be 1 to {MaxAhead.TotalSeconds:0} (366 days), not {seconds.ToString(CultureInfo.InvariantCulture)}");
            }
            due = now + TimeSpan.FromSeconds(seconds);
        }
        if (due - now > MaxAhead)
        {
            throw new ArgumentException($"\"at\" ({at}) is more than 366 days ahead");
        }
        TimeSpan? repeat = null;
        if (repeatSeconds is { } every)
        {
            if (!double.IsFinite(every) || every < MinRepeat.TotalSeconds || every > MaxAhead.TotalSeconds)
            {
                throw new ArgumentException($"\"repeat_seconds\" must be {MinRepeat.TotalSeconds:0} to {MaxAhead.TotalSeconds:0}, not {every.ToString(CultureInfo.InvariantCulture)} "
                    + "(to react to a sensor faster, watch it instead)");
            }
            repeat = TimeSpan.FromSeconds(every);
        }
        var row = new TimerRow(id ?? "timer-" + Guid.NewGuid().ToString("N")[..12], text.Trim(), owner, due.ToUniversalTime(), repeat, "active", now, 0, null, null);
        var added = _database.AddTimer(row, MaxActive, out var refusal) ?? throw new InvalidOperationException(refusal);
        if (added == row)
        {
            LogScheduled(_logger, added.Id, added.DueAt, added.Repeat?.TotalSeconds);
            _hub.Publish("timers", new TimerEvent("scheduled", null, added.ToJson()), KernelJson.Default.TimerEvent);
        }
        _changed.Writer.TryWrite(true);
        return added;
    }

    /// <summary>Active timers first, then the latest ended ones.</summary>
    public IReadOnlyList<TimerRow> List(int endedLimit = 20) => _database.Timers(endedLimit);

    /// <summary>Cancels a timer: the timer afterwards (null when unknown) and whether this call cancelled it (false when it had already ended).</summary>
    public (TimerRow? Timer, bool Cancelled) Cancel(string id, string by)
    {
        var before = _database.GetTimer(id);
        if (before is not { Status: "active" })
        {
            return (before, false);
        }
        var after = _database.CancelTimer(id, "cancelled by " + by);
        LogCancelled(_logger, id, by);
        _hub.Publish("timers", new TimerEvent("cancelled", null, after?.ToJson()), KernelJson.Default.TimerEvent);
        _changed.Writer.TryWrite(true);
        return (after, after is { Status: "cancelled" });
    }

    /// <summary>Fires every active timer whose due time has come; returns how many fired.</summary>
    public int FireDue()
    {
        var now = _time.GetUtcNow();
        var fired = 0;
        foreach (var timer in _database.Timers(0).Where(t => t.Status == "active" && t.DueAt <= now))
        {
            var late = now - timer.DueAt;
            DateTimeOffset? next = timer.Repeat is { } repeat
                ? timer.DueAt + repeat * (Math.Floor(late / repeat) + 1)
                : null;
            var text = $"[Timer] {timer.Text} (timer_id={timer.Id}, due {timer.DueAt.ToString("u", CultureInfo.InvariantCulture)}"
                + (late > TimeSpan.FromMinutes(1) ? $", fired {Math.Round(late.TotalMinutes)} min late because the kernel was stopped" : "")
                + (next is { } n ? $", repeats every {timer.Repeat!.Value.TotalSeconds:0} s, next {n.ToString("u", CultureInfo.InvariantCulture)}" : "")
                + ")";
            if (_database.FireTimer(timer.Id, timer.DueAt, now, text, next) is { } result)
            {
                fired++;
                _intake.Wake();
                LogFired(_logger, timer.Id, result.EventId, late.TotalSeconds);
                _hub.Publish("timers", new TimerEvent("fired", result.EventId, result.After.ToJson()), KernelJson.Default.TimerEvent);
            }
        }
        return fired;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                FireDue();
                var next = _database.Timers(0).Where(t => t.Status == "active").Select(t => (DateTimeOffset?)t.DueAt).Min();
                // Task.Delay takes at most ~49 days; a farther timer is looked at again then.
                var wait = next is { } due ? Clamp(due - _time.GetUtcNow()) : Timeout.InfiniteTimeSpan;
                using var woken = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var changed = _changed.Reader.WaitToReadAsync(woken.Token).AsTask();
                var delay = Task.Delay(wait, _time, woken.Token);
                await Task.WhenAny(changed, delay);
                _changed.Reader.TryRead(out _);
                await woken.CancelAsync();
                // Observe both: one was cancelled just now, and neither may leave an unobserved fault.
                await Task.WhenAll(changed, delay).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait <= TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromDays(30) ? TimeSpan.FromDays(30) : wait;

    private static bool HasOffset(string text)
    {
        var t = text.Trim();
        var i = t.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (i < 0)
        {
            return false;
        }
        var timePart = t[(i + 1)..];
        return timePart.EndsWith('Z') || timePart.EndsWith('z') || timePart.Contains('+', StringComparison.Ordinal) || timePart.Contains('-', StringComparison.Ordinal);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Id} scheduled for {DueAt:O} (repeat every {RepeatSeconds} s)")]
    private static partial void LogScheduled(ILogger logger, string id, DateTimeOffset dueAt, double? repeatSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Id} cancelled by {By}")]
    private static partial void LogCancelled(ILogger logger, string id, string by);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Id} fired as event {EventId} ({LateSeconds:0.0} s after its due time)")]
    private static partial void LogFired(ILogger logger, string id, long eventId, double lateSeconds);
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>The stop targets of drivers.json entries (shared by the kernel and <c>rosa estop</c>).</summary>
public static class EstopTargets
{
    /// <summary>Each entry's stop endpoint: its <c>estop_url</c>, else its MCP origin + /estop.</summary>
    public static IReadOnlyList<StopTarget> From(IEnumerable<DriverEntry> drivers)
        => [.. drivers.Select(d => new StopTarget(d.Name,
            d.EstopUrl ?? StopTarget.DefaultEstopUrl(d.Url), d.Url) { Headers = d.Headers })];
}

/// <summary>One driver's latch as the kernel last saw it.</summary>
public sealed record DriverLatch(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("answered")] bool Answered,
    [property: JsonPropertyName("engaged")] bool? Engaged,
    [property: JsonPropertyName("summary")] string Summary,
    [property: JsonPropertyName("pending")] bool Pending,
    [property: JsonPropertyName("checked_at")] DateTimeOffset CheckedAt);

/// <summary>The stop as the UI shows it: the kernel's latch and every driver's.</summary>
public sealed record EstopStatus(
    [property: JsonPropertyName("engaged")] bool Engaged,
    [property: JsonPropertyName("engaged_at")] DateTimeOffset? EngagedAt,
    [property: JsonPropertyName("source")] string? Source,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("refusal")] string? Refusal,
    [property: JsonPropertyName("released_at")] DateTimeOffset? ReleasedAt,
    [property: JsonPropertyName("released_by")] string? ReleasedBy,
    [property: JsonPropertyName("drivers")] IReadOnlyList<DriverLatch> Drivers);

/// <summary>What one engage or release did across the system.</summary>
public sealed record EstopOutcome(
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("by")] string By,
    [property: JsonPropertyName("ok")] bool Ok,
    [property: JsonPropertyName("engaged")] bool Engaged,
    [property: JsonPropertyName("terminated")] IReadOnlyList<string> Terminated,
    [property: JsonPropertyName("drivers")] IReadOnlyList<DriverEstopResult> Drivers,
    [property: JsonPropertyName("elapsed_ms")] double ElapsedMs);

/// <summary>
/// The kernel's emergency stop: engages every configured driver in parallel (reachable at start or not), each within
/// <see cref="DriverDeadline"/>, on the kernel's own lifetime so an HTTP caller going away does not abandon it; terminates
/// every worker; latches the kernel itself (data/estop/rosa-kernel.json) so launch_process refuses, across restarts;
/// keeps trying drivers that did not answer; audits every engage and release. It also watches the drivers' latches,
/// so a stop engaged elsewhere (<c>rosa estop</c>, an agent's emergency_stop) stops the whole system too.
/// </summary>
public sealed partial class EmergencyStopCoordinator(
    EmergencyStopLatch latch,
    EmergencyStopClient client,
    DriverRegistry drivers,
    ProcessManager processes,
    KernelDatabase database,
    EventHub hub,
    TimeProvider time,
    ILogger<EmergencyStopCoordinator> logger) : BackgroundService
{
    /// <summary>The latch name of the kernel itself in the data folder.</summary>
    public const string KernelLatchName = "rosa-kernel";

    /// <summary>How long one driver may take to answer an engage or release.</summary>
    public static readonly TimeSpan DriverDeadline = TimeSpan.FromSeconds(2);

    /// <summary>How often the drivers' latches are read.</summary>
    public static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _life = new();
    private readonly Lock _lock = new();
    // A watch tick and a release never overlap: a tick that retried a pending driver during a release would engage it
    // again right after the release reached it (the release waits for the hung drivers' deadline before the kernel's own
    // latch is released, and in that window the kernel still reads as engaged). A release cancels the tick under way
    // rather than wait for it, so a hung driver costs a release one deadline, not three.
    private readonly SemaphoreSlim _tick = new(1, 1);
    private CancellationTokenSource? _tickUnderWay;
    private readonly Dictionary<string, DriverLatch> _drivers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private string _lastPublished = "";

    /// <summary>Why launch_process refuses now, or null.</summary>
    public string? Refusal => latch.Refusal;

    /// <summary>The kernel's latch and the drivers' as last seen.</summary>
    public EstopStatus Status
    {
        get
        {
            var state = latch.State;
            lock (_lock)
            {
                var list = drivers.All.Select(d => _drivers.TryGetValue(d.Name, out var seen) ? seen with { Pending = _pending.Contains(d.Name) }
                    : new DriverLatch(d.Name, false, null, "not checked yet", _pending.Contains(d.Name), time.GetUtcNow())).ToList();
                return new EstopStatus(state.Engaged, state.EngagedAt, state.Source, state.Reason, state.Refusal, state.ReleasedAt, state.ReleasedBy, list);
            }
        }
    }

    /// <summary>
    /// Engages everything. Runs to the end on the kernel's lifetime; <paramref name="cancellationToken"/> (the caller's)
    /// only stops the wait for the outcome.
    /// </summary>
    public Task<EstopOutcome> EngageAsync(string source, string? reason, CancellationToken cancellationToken)
        => Task.Run(() => EngageCoreAsync(source, reason), CancellationToken.None).WaitAsync(cancellationToken);

    /// <summary>Releases every driver, then the kernel: a person's decision (UI with a confirmation, or the CLI).</summary>
    public Task<EstopOutcome> ReleaseAsync(string by, string? note, CancellationToken cancellationToken)
        => Task.Run(() => ReleaseCoreAsync(by, note), CancellationToken.None).WaitAsync(cancellationToken);

    private async Task<EstopOutcome> EngageCoreAsync(string source, string? reason)
    {
        var watch = Stopwatch.StartNew();
        latch.Engage(source, reason);
        var targets = EstopTargets.From(drivers.Config.Enabled);
        // Workers are killed while the drivers stop their robots: neither waits for the other.
        var terminate = Task.Run(processes.TerminateAll, CancellationToken.None);
        var results = await client.EngageAllAsync(targets, new EngageRequest { Source = source, Reason = reason }, DriverDeadline, _life.Token);
        var terminated = await terminate;
        lock (_lock)
        {
            // Those that did not latch now are tried again by the watch until they do.
            _pending.UnionWith(results.Where(r => !r.Answered || r.Engaged == false).Select(r => r.Driver));
        }
        Record(results);
        var outcome = new EstopOutcome("engage", source, results.All(r => r.Ok), true, terminated, results, Math.Round(watch.Elapsed.TotalMilliseconds, 1));
        LogEngaged(logger, source, outcome.ElapsedMs, terminated.Count, string.Join("; ", results.Select(r => $"{r.Driver}: {r.Summary}")));
        Audit(outcome, reason);
        hub.Publish("estop", outcome, KernelHostJson.Default.EstopOutcome);
        PublishStatus();
        return outcome;
    }

    private async Task<EstopOutcome> ReleaseCoreAsync(string by, string? note)
    {
        lock (_lock)
        {
            _tickUnderWay?.Cancel();
        }
        await _tick.WaitAsync(_life.Token);
        try
        {
            return await ReleaseDriversThenKernelAsync(by, note);
        }
        finally
        {
            _tick.Release();
        }
    }

    private async Task<EstopOutcome> ReleaseDriversThenKernelAsync(string by, string? note)
    {
        var watch = Stopwatch.StartNew();
        lock (_lock)
        {
            _pending.Clear();
        }
        var targets = EstopTargets.From(drivers.Config.Enabled);
        // Drivers first, the kernel last: until the kernel is released it never mistakes a driver still engaged for a new stop.
        var results = await client.ReleaseAllAsync(targets, new ReleaseRequest { By = by, Confirm = true, Note = note }, DriverDeadline, _life.Token);
        lock (_lock)
        {
            _pending.Clear();
        }
        Record(results);
        latch.Release(by);
        var stillEngaged = results.Where(r => r.Engaged == true).ToList();
        var outcome = new EstopOutcome("release", by, results.All(r => r.Ok || !r.Answered), false, [], results, Math.Round(watch.Elapsed.TotalMilliseconds, 1));
        LogReleased(logger, by, string.Join("; ", results.Select(r => $"{r.Driver}: {r.Summary}")));
        Audit(outcome, note);
        hub.Publish("estop_release", outcome, KernelHostJson.Default.EstopOutcome);
        PublishStatus();
        if (stillEngaged.Count > 0)
        {
            LogStillEngaged(logger, string.Join(", ", stillEngaged.Select(r => r.Driver)));
        }
        return outcome;
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _life.Token);
        if (latch.IsEngaged)
        {
            // A kernel that starts engaged makes sure every driver is latched too (idempotent for those that are).
            LogStartedEngaged(logger, latch.Refusal ?? "");
            lock (_lock)
            {
                _pending.UnionWith(drivers.All.Select(d => d.Name));
            }
        }
        using var timer = new PeriodicTimer(WatchInterval, time);
        do
        {
            try
            {
                await WatchOnceAsync(stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWatchFailed(logger, e.Message);
            }
        }
        while (await WaitTickAsync(timer, stop.Token));
    }

    private static async Task<bool> WaitTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task WatchOnceAsync(CancellationToken cancellationToken)
    {
        await _tick.WaitAsync(cancellationToken);
        using var underWay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        lock (_lock)
        {
            _tickUnderWay = underWay;
        }
        try
        {
            await WatchDriversAsync(underWay.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A release took over; the next tick reads the drivers again.
        }
        finally
        {
            lock (_lock)
            {
                _tickUnderWay = null;
            }
            _tick.Release();
        }
    }

    private async Task WatchDriversAsync(CancellationToken cancellationToken)
    {
        // A release under way (drivers first, then the kernel) must not look like a new stop: only a tick that began and
        // ended with the kernel released, and no release in between, may take a driver's engaged latch for a new stop.
        var before = latch.State;
        var targets = EstopTargets.From(drivers.Config.Enabled);
        string[] pending;
        lock (_lock)
        {
            pending = [.. _pending];
        }
        if (latch.IsEngaged && pending.Length > 0)
        {
            // Drivers that were down or slow at the press are tried again until they latch.
            var retry = await client.EngageAllAsync(targets.Where(t => pending.Contains(t.Name)),
                new EngageRequest { Source = latch.State.Source ?? EstopContract.Sources.Kernel, Reason = latch.State.Reason }, DriverDeadline, cancellationToken);
            Record(retry);
            foreach (var r in retry.Where(r => r.Answered))
            {
                LogRetried(logger, r.Driver, r.Summary);
            }
        }
        var states = await client.StateAllAsync(targets, DriverDeadline, cancellationToken);
        Record(states);
        var after = latch.State;
        // Only a stop newer than the kernel's last release: a driver that missed that release (it was down) shows as
        // engaged on its own, but does not stop everything again.
        var fresh = states.FirstOrDefault(s => s.Engaged == true && ReadState(s) is { } state
            && (after.ReleasedAt is not { } released || state.EngagedAt is not { } at || at > released));
        if (!before.Engaged && !after.Engaged && before.ReleasedAt == after.ReleasedAt && fresh is { } engaged)
        {
            // A stop engaged outside the kernel (rosa estop, an agent's emergency_stop, curl) stops everything.
            var seen = ReadState(engaged);
            var source = seen?.Source ?? EstopContract.Sources.Kernel;
            LogObserved(logger, engaged.Driver, source);
            var why = $"{engaged.Driver}'s emergency stop was engaged {EstopContract.Sources.Describe(source)}";
            await EngageCoreAsync(source, seen?.Reason is { } reason ? $"{why}: {reason}" : why);
            return;
        }
        PublishStatus();
    }

    private static EstopState? ReadState(DriverEstopResult result)
    {
        try
        {
            return result.Answer is { ValueKind: JsonValueKind.Object } answer ? answer.Deserialize(EstopJson.Default.EstopState) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Record(IEnumerable<DriverEstopResult> results)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            foreach (var r in results)
            {
                var previous = _drivers.GetValueOrDefault(r.Driver);
                // A release or state read that failed tells nothing new about the latch: keep what was known.
                var engaged = r.Answered ? r.Engaged : previous?.Engaged;
                _drivers[r.Driver] = new DriverLatch(r.Driver, r.Answered, engaged, r.Summary, false, now);
                if (r.Action == "engage" && r.Answered && r.Engaged != false)
                {
                    _pending.Remove(r.Driver);
                }
            }
        }
    }

    private void PublishStatus()
    {
        var status = Status;
        // Only changes go out; the time of each check does not count as a change.
        var key = JsonSerializer.Serialize(status with { Drivers = [.. status.Drivers.Select(d => d with { CheckedAt = default })] }, KernelHostJson.Default.EstopStatus);
        lock (_lock)
        {
            if (key == _lastPublished)
            {
                return;
            }
            _lastPublished = key;
        }
        hub.Publish("estop_state", status, KernelHostJson.Default.EstopStatus);
    }

    private void Audit(EstopOutcome outcome, string? reason)
    {
        var arguments = JsonSerializer.Serialize(new Dictionary<string, object?> { ["source"] = outcome.By, ["reason"] = reason });
        database.Audit(outcome.By, "estop", outcome.Action, arguments, JsonSerializer.Serialize(outcome), !outcome.Ok, outcome.ElapsedMs);
    }

    /// <inheritdoc/>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _life.CancelAsync();
        await base.StopAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _life.Dispose();
        _tick.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "EMERGENCY STOP engaged by {Source} in {Ms} ms; {Terminated} worker(s) terminated; {Drivers}")]
    private static partial void LogEngaged(ILogger logger, string source, double ms, int terminated, string drivers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emergency stop released by {By}: {Drivers}")]
    private static partial void LogReleased(ILogger logger, string by, string drivers);

    [LoggerMessage(Level = LogLevel.Error, Message = "After the release these drivers are still engaged (their release failed): {Drivers}")]
    private static partial void LogStillEngaged(ILogger logger, string drivers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The kernel starts with its emergency stop engaged ({Refusal}); every driver is latched again.")]
    private static partial void LogStartedEngaged(ILogger logger, string refusal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} reports its emergency stop engaged ({Source}); stopping the whole system.")]
    private static partial void LogObserved(ILogger logger, string driver, string source);

    [LoggerMessage(Level = LogLevel.Information, Message = "Emergency stop reached {Driver} on a retry: {Summary}")]
    private static partial void LogRetried(ILogger logger, string driver, string summary);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watching the drivers' emergency stops failed: {Reason}")]
    private static partial void LogWatchFailed(ILogger logger, string reason);
}

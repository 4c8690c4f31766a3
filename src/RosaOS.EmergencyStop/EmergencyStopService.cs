using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosaOS.EmergencyStop;

/// <summary>
/// Engage, halt and release of one driver: the latch plus the driver's <see cref="IEmergencyStopEffects"/>. The
/// effects run on their own deadline, never on the caller's token, so a caller that goes away mid-stop does not
/// abandon it. A driver that starts engaged re-applies its effects until its robot has been reached once.
/// </summary>
public sealed partial class EmergencyStopService(EmergencyStopLatch latch, IEmergencyStopEffects effects, TimeProvider time,
    ILogger<EmergencyStopService> logger) : BackgroundService
{
    /// <summary>How long the answer waits for the effects; past it the answer says the stop is not confirmed.</summary>
    public static readonly TimeSpan EffectsDeadline = TimeSpan.FromSeconds(1.5);

    /// <summary>How long the effects may go on after the answer before they are given up.</summary>
    public static readonly TimeSpan EffectsLimit = TimeSpan.FromSeconds(10);

    /// <summary>Pause between attempts to reach the robot when starting engaged.</summary>
    public static readonly TimeSpan ReapplyInterval = TimeSpan.FromSeconds(1);

    /// <summary>The latch.</summary>
    public EmergencyStopLatch Latch => latch;

    /// <summary>
    /// Engages the latch and stops the robot. Idempotent: engaging again stops again and keeps the first time and
    /// source. <paramref name="cancellationToken"/> only stops the wait for the answer, never the stop itself.
    /// </summary>
    public Task<StopAnswer> EngageAsync(string source, string? reason, CancellationToken cancellationToken)
        => RunAsync(source, reason, latching: true).WaitAsync(cancellationToken);

    /// <summary>Stops the robot without latching (the stop a supervisor uses when a worker's kernel died).</summary>
    public Task<StopAnswer> HaltAsync(string source, CancellationToken cancellationToken)
        => RunAsync(source, null, latching: false).WaitAsync(cancellationToken);

    /// <summary>Releases the latch: only for a person, through the UI or the command line (the HTTP endpoint checks).</summary>
    public ReleaseAnswer Release(string by, string? note)
    {
        var (state, was) = latch.Release(by);
        var answer = new ReleaseAnswer { Driver = latch.Driver, Engaged = state.Engaged, WasEngaged = was, ReleasedAt = state.ReleasedAt, ReleasedBy = state.ReleasedBy };
        if (was)
        {
            latch.AppendHistory("release", JsonSerializer.Serialize(answer with { ReleasedBy = note is null ? by : $"{by} ({note})" }, EstopJson.Default.ReleaseAnswer));
        }
        return answer;
    }

    private async Task<StopAnswer> RunAsync(string source, string? reason, bool latching)
    {
        var watch = Stopwatch.StartNew();
        EstopState state;
        var already = false;
        var persisted = Task.CompletedTask;
        if (latching)
        {
            (state, already, persisted) = latch.Engage(source, reason);
        }
        else
        {
            state = latch.State;
        }
        var report = await StopWithinDeadlineAsync();
        await persisted;
        var answer = new StopAnswer
        {
            Driver = latch.Driver,
            Engaged = latch.IsEngaged,
            AlreadyEngaged = already,
            EngagedAt = state.EngagedAt,
            Source = latching ? state.Source : source,
            Reachable = report.Reachable,
            Stopped = report.Stopped,
            Problems = report.Problems,
            ElapsedMs = Math.Round(watch.Elapsed.TotalMilliseconds, 1),
        };
        LogStopped(logger, latch.Driver, latching ? "engage" : "halt", source, answer.ElapsedMs, report.Reachable, string.Join("; ", report.Stopped), string.Join("; ", report.Problems));
        latch.AppendHistory(latching ? "engage" : "halt", JsonSerializer.Serialize(answer with { Source = source }, EstopJson.Default.StopAnswer));
        return answer;
    }

    /// <summary>
    /// Runs the effects and answers within <see cref="EffectsDeadline"/>. The deadline bounds the answer, not the stop: effects
    /// still under way go on (up to <see cref="EffectsLimit"/>) and their late result is logged and kept in the history.
    /// </summary>
    private async Task<StopReport> StopWithinDeadlineAsync()
    {
        var limit = new CancellationTokenSource(EffectsLimit, time);
        var stopping = RunEffectsAsync(limit.Token);
        _ = stopping.ContinueWith(_ => limit.Dispose(), TaskScheduler.Default);
        try
        {
            return await stopping.WaitAsync(EffectsDeadline, time);
        }
        catch (TimeoutException)
        {
            _ = stopping.ContinueWith(late =>
            {
                LogLate(logger, latch.Driver, late.Result.Reachable, string.Join("; ", late.Result.Stopped), string.Join("; ", late.Result.Problems));
                latch.AppendHistory("late", JsonSerializer.Serialize(new StopAnswer
                {
                    Driver = latch.Driver,
                    Engaged = latch.IsEngaged,
                    Reachable = late.Result.Reachable,
                    Stopped = late.Result.Stopped,
                    Problems = late.Result.Problems,
                }, EstopJson.Default.StopAnswer));
            }, TaskScheduler.Default);
            return new StopReport(false, [], [$"the robot did not confirm the stop within {EffectsDeadline.TotalSeconds:0.#} s (still trying; the outcome goes to the log)"]);
        }
    }

    private async Task<StopReport> RunEffectsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await effects.StopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new StopReport(false, [], [$"the robot did not confirm the stop within {EffectsLimit.TotalSeconds:0.#} s"]);
        }
        catch (Exception e)
        {
            // The effects must not throw, but a stop must always answer.
            return new StopReport(false, [], [$"stopping failed: {e.Message}"]);
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Yield so host start-up never waits on the robot.
        await Task.Yield();
        WarmUp();
        if (!latch.IsEngaged)
        {
            try
            {
                using var limit = new CancellationTokenSource(EffectsLimit, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, limit.Token);
                await effects.WarmUpAsync(linked.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // A robot that is not there yet is not a reason to fail: the stop itself reports it.
                LogWarmUpFailed(logger, latch.Driver, e.Message);
            }
        }
        while (latch.IsEngaged && !stoppingToken.IsCancellationRequested)
        {
            var report = await StopWithinDeadlineAsync();
            if (report.Reachable)
            {
                LogReapplied(logger, latch.Driver, string.Join("; ", report.Stopped));
                return;
            }
            try
            {
                await Task.Delay(ReapplyInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The first stop after a start must not pay for compiling its own code: run the contract's serialisation and the
    /// refusal's formatting once (the driver's effects are not run; they would stop a robot someone else may be moving).
    /// </summary>
    private void WarmUp()
    {
        var request = JsonSerializer.Deserialize("""{"source":"ui","reason":"warm-up"}""", EstopJson.Default.EngageRequest)!;
        var refusal = EmergencyStopLatch.RefusalFor(time.GetUtcNow(), request.Source, request.Reason);
        _ = JsonSerializer.Serialize(new StopAnswer { Driver = latch.Driver, Source = refusal, Stopped = ["warm-up"] }, EstopJson.Default.StopAnswer);
        _ = JsonSerializer.Serialize(latch.State, EstopJson.Default.EstopState);
        _ = JsonSerializer.Deserialize("""{"by":"ui","confirm":true}""", EstopJson.Default.ReleaseRequest);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Driver}: warming up the stop failed: {Reason}")]
    private static partial void LogWarmUpFailed(ILogger logger, string driver, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver}: the stop that was not confirmed in time ended: robot reached: {Reachable}; stopped: {Stopped}; problems: {Problems}")]
    private static partial void LogLate(ILogger logger, string driver, bool reachable, string stopped, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} {Action} from {Source} in {Ms} ms; robot reached: {Reachable}; stopped: {Stopped}; problems: {Problems}")]
    private static partial void LogStopped(ILogger logger, string driver, string action, string source, double ms, bool reachable, string stopped, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} started with its emergency stop engaged and stopped its robot again: {Stopped}")]
    private static partial void LogReapplied(ILogger logger, string driver, string stopped);
}

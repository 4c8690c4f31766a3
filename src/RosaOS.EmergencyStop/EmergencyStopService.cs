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
    /// <summary>How long the effects may take before the answer says what is still outstanding.</summary>
    public static readonly TimeSpan EffectsDeadline = TimeSpan.FromSeconds(1.5);

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

    private async Task<StopReport> StopWithinDeadlineAsync()
    {
        using var deadline = new CancellationTokenSource(EffectsDeadline, time);
        try
        {
            return await effects.StopAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new StopReport(false, [], [$"the robot did not confirm the stop within {EffectsDeadline.TotalSeconds:0.#} s"]);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} {Action} from {Source} in {Ms} ms; robot reached: {Reachable}; stopped: {Stopped}; problems: {Problems}")]
    private static partial void LogStopped(ILogger logger, string driver, string action, string source, double ms, bool reachable, string stopped, string problems);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Driver} started with its emergency stop engaged and stopped its robot again: {Stopped}")]
    private static partial void LogReapplied(ILogger logger, string driver, string stopped);
}

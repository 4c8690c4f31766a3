using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using RosaOS.EmergencyStop;
using RosaOS.ReachyMini.Client;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Mcp.ReachyMini.Motion;

/// <summary>A move this server started, for stop_move's answer.</summary>
public sealed record StartedMove(Guid Uuid, string Description, DateTimeOffset StartedAt);

/// <summary>How a move this server waited for ended.</summary>
public sealed record MoveEnd(Guid Uuid, bool Completed, double ElapsedS);

/// <summary>
/// The one path of every head, body and antenna motion of this server (tools, the speech loop's gestures, face
/// centring): the daemon runs one move at a time and silently drops a second one, so starting a move waits (bounded)
/// for the running one to end, under a lock that keeps this server's own callers in order. Every move stays
/// stoppable by <see cref="StopAllAsync"/>; while the emergency stop is engaged no move starts, and the moves
/// queued behind the lock are dropped the moment it engages.
/// </summary>
public sealed partial class MotionController(IReachyDaemon daemon, EmergencyStopLatch estop, TimeProvider time, ILogger<MotionController> logger) : IDisposable
{
    /// <summary>Longest wait for a running move to end before a new one is refused.</summary>
    public static readonly TimeSpan BusyWait = TimeSpan.FromSeconds(20);

    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly ConcurrentDictionary<Guid, StartedMove> _started = new();

    private long _lastStartTicks;

    /// <summary>The daemon (real robot or <c>rosa sim</c>).</summary>
    public IReachyDaemon Daemon => daemon;

    /// <summary>
    /// When this server last started (or was about to start) a move, UTC; the head-touch detector takes head motion
    /// around it for the robot's own, not a hand's.
    /// </summary>
    public DateTimeOffset LastMoveStartedAt => new(Interlocked.Read(ref _lastStartTicks), TimeSpan.Zero);

    /// <summary>Starts a goto once no other move runs; returns its id.</summary>
    public Task<Guid> StartGotoAsync(GotoRequest request, string description, CancellationToken cancellationToken)
        => StartAsync(ct => daemon.GotoAsync(request, ct), description, cancellationToken);

    /// <summary>
    /// Starts a move computed from the robot's present state, once no other move runs (the state is read
    /// after the previous move ended, so relative moves compose).
    /// </summary>
    public Task<Guid> StartAsync(Func<CancellationToken, Task<Guid>> start, string description, CancellationToken cancellationToken)
        => StartCoreAsync(start, description, waitForIdle: true, cancellationToken);

    /// <summary>Stops whatever runs, then starts the move (emotions interrupt the current move, as in the original).</summary>
    public async Task<Guid> StartAfterStoppingAsync(Func<CancellationToken, Task<Guid>> start, string description, CancellationToken cancellationToken)
    {
        estop.ThrowIfEngaged();
        await StopAllAsync(cancellationToken);
        return await StartCoreAsync(start, description, waitForIdle: true, cancellationToken);
    }

    private async Task<Guid> StartCoreAsync(Func<CancellationToken, Task<Guid>> start, string description, bool waitForIdle, CancellationToken cancellationToken)
    {
        estop.ThrowIfEngaged();
        // Queued and in-flight starts end the moment the emergency stop engages.
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, estop.MotionToken);
        try
        {
            await _startLock.WaitAsync(linked.Token);
            try
            {
                if (waitForIdle)
                {
                    await WaitForIdleAsync(linked.Token);
                }
                estop.ThrowIfEngaged();
                Interlocked.Exchange(ref _lastStartTicks, time.GetUtcNow().UtcTicks);
                var uuid = await start(linked.Token);
                Interlocked.Exchange(ref _lastStartTicks, time.GetUtcNow().UtcTicks);
                _started[uuid] = new StartedMove(uuid, description, time.GetUtcNow());
                LogStarted(description, uuid);
                return uuid;
            }
            finally
            {
                _startLock.Release();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && estop.Refusal is { } refusal)
        {
            LogDropped(description);
            throw new EmergencyStopEngagedException(refusal);
        }
    }

    /// <summary>
    /// The emergency stop's motion part (the latch is already engaged, so nothing new starts): stops every running
    /// move at once, then again once the start lock is free, so a start that raced with the engage is caught too.
    /// </summary>
    public async Task<IReadOnlyList<string>> EmergencyStopAsync(CancellationToken cancellationToken)
    {
        // One attempt per call: an unreachable robot is reported at once, not after retries' backoff.
        using var once = DaemonHttp.SingleAttempt();
        var stopped = new List<string>(await StopAllAsync(cancellationToken));
        await _startLock.WaitAsync(cancellationToken);
        try
        {
            stopped.AddRange(await StopAllAsync(cancellationToken));
        }
        finally
        {
            _startLock.Release();
        }
        return stopped;
    }

    private async Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        var since = time.GetTimestamp();
        while (true)
        {
            var running = await daemon.GetRunningMovesAsync(cancellationToken);
            if (running.Count == 0)
            {
                return;
            }
            if (time.GetElapsedTime(since) > BusyWait)
            {
                var names = string.Join(", ", running.Select(Describe));
                throw new MotionBusyException(
                    $"The robot is still busy with another move after {BusyWait.TotalSeconds:0} s ({names}). Call stop_move to interrupt it, then try again.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
        }
    }

    /// <summary>Waits until the move ended (completed or stopped) and says which, within <paramref name="expectedS"/> + 3 s.</summary>
    public async Task<MoveEnd> WaitAsync(Guid uuid, double expectedS, CancellationToken cancellationToken)
    {
        var since = time.GetTimestamp();
        await daemon.WaitForMoveEndAsync(uuid, TimeSpan.FromSeconds(expectedS + 3), cancellationToken);
        var elapsed = time.GetElapsedTime(since).TotalSeconds;
        _started.TryRemove(uuid, out _);
        // A move stopped early vanishes from the running list before its duration is up.
        return new MoveEnd(uuid, elapsed >= expectedS - 0.15, elapsed);
    }

    /// <summary>Stops every running move (started by anyone) and describes each; empty when nothing ran.</summary>
    public async Task<IReadOnlyList<string>> StopAllAsync(CancellationToken cancellationToken)
    {
        var running = await daemon.GetRunningMovesAsync(cancellationToken);
        var messages = new List<string>();
        foreach (var uuid in running)
        {
            try
            {
                await daemon.StopMoveAsync(uuid, cancellationToken);
                messages.Add($"stopped {Describe(uuid)}");
            }
            catch (ReachyDaemonException e) when (e.Failure == DaemonFailure.HttpStatus)
            {
                // The real daemon answers 500 for a move that finished between the listing and the stop.
                messages.Add($"{Describe(uuid)} had already finished");
            }
            _started.TryRemove(uuid, out _);
            LogStopped(uuid);
        }
        return messages;
    }

    /// <inheritdoc/>
    public void Dispose() => _startLock.Dispose();

    private string Describe(Guid uuid)
        => _started.TryGetValue(uuid, out var move)
            ? string.Create(CultureInfo.InvariantCulture, $"{move.Description} (move {uuid}, running {(time.GetUtcNow() - move.StartedAt).TotalSeconds:0.0} s)")
            : $"move {uuid} (started by another client)";

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Description} as move {Uuid}.")]
    private partial void LogStarted(string description, Guid uuid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped move {Uuid}.")]
    private partial void LogStopped(Guid uuid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped {Description}: the emergency stop engaged before it started.")]
    private partial void LogDropped(string description);
}

/// <summary>A move could not start because another one kept running.</summary>
public sealed class MotionBusyException : Exception
{
    public MotionBusyException()
    {
    }

    public MotionBusyException(string message) : base(message)
    {
    }

    public MotionBusyException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

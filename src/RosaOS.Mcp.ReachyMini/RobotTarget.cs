using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Client;

namespace RosaOS.Mcp.ReachyMini;

/// <summary>What the daemon behind <c>rosa reachy</c> drives.</summary>
public enum RobotKind
{
    /// <summary><c>rosa sim</c>: simulated speaker, microphone and camera behind its <c>/sim/…</c> routes.</summary>
    Simulator,

    /// <summary>A real Reachy Mini: local audio devices (or the daemon's media routes) and the USB camera.</summary>
    Real,
}

/// <summary>
/// The one place that decides "simulator or real robot": a single successful probe of the daemon
/// (<see cref="ReachyDaemonClient.IsSimulatorAsync"/>), started when <c>rosa reachy</c> starts and kept for the life of the
/// process. The daemon may come up after this server, so the probe is repeated (0.5 s doubling to 10 s) until it answers;
/// the speaker, the camera and the speech loop all read the answer here and pick their implementation from it.
/// </summary>
public sealed partial class RobotTarget(ReachyDaemonClient daemon, TimeProvider time, ILogger<RobotTarget> logger) : BackgroundService
{
    private static readonly TimeSpan s_firstRetry = TimeSpan.FromSeconds(0.5);
    private static readonly TimeSpan s_maxRetry = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _probe = new(1, 1);
    private RobotKind? _kind;

    /// <summary>The decision, or null while the daemon has not answered yet.</summary>
    public RobotKind? Known => _kind;

    /// <summary>
    /// The decision; when not known yet, asks the daemon now (one probe at a time across callers).
    /// </summary>
    /// <exception cref="ReachyDaemonException">The daemon did not answer; nothing is decided yet.</exception>
    public async Task<RobotKind> GetAsync(CancellationToken cancellationToken)
    {
        if (_kind is { } known)
        {
            return known;
        }
        await _probe.WaitAsync(cancellationToken);
        try
        {
            if (_kind is { } decided)
            {
                return decided;
            }
            var kind = await daemon.IsSimulatorAsync(cancellationToken) ? RobotKind.Simulator : RobotKind.Real;
            _kind = kind;
            LogDecided(daemon.BaseAddress, kind == RobotKind.Simulator ? "the simulator (rosa sim)" : "a real Reachy Mini");
            return kind;
        }
        finally
        {
            _probe.Release();
        }
    }

    /// <summary>The decision, waiting (with backoff) until the daemon answers.</summary>
    public async Task<RobotKind> WaitAsync(CancellationToken cancellationToken)
    {
        var delay = s_firstRetry;
        var said = false;
        while (true)
        {
            try
            {
                return await GetAsync(cancellationToken);
            }
            catch (ReachyDaemonException ex)
            {
                if (!said)
                {
                    said = true;
                    LogDaemonNotReady(daemon.BaseAddress, ex.Reason);
                }
                await Task.Delay(delay, time, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, s_maxRetry.Ticks));
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Decides at start, in the background, so neither the MCP endpoint nor the first spoken sentence waits on the probe.</remarks>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        _probe.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The daemon at {Daemon} is {Kind}.")]
    private partial void LogDecided(Uri daemon, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting for the daemon at {Daemon} to tell simulator from real robot ({Reason}).")]
    private partial void LogDaemonNotReady(Uri daemon, string reason);
}

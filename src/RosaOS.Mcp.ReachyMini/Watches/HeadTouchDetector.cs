using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.EmergencyStop;
using RosaOS.Mcp.ReachyMini.Emotions;
using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.ReachyMini.Client;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Mcp.ReachyMini.Watches;

/// <summary>The head was moved by hand: how far from where it rested, and in which motor mode.</summary>
public sealed record HeadTouch(double AngleDeg, double OffsetMm, MotorControlMode? Mode, DateTimeOffset At)
{
    /// <summary>For the kernel's event text.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"head moved by hand {AngleDeg:0.#}° and {OffsetMm:0} mm from where it rested, motors {Mode switch
        {
            MotorControlMode.Enabled => "enabled",
            MotorControlMode.Disabled => "disabled",
            MotorControlMode.GravityCompensation => "gravity_compensation",
            _ => "unknown",
        }}");
}

/// <summary>What /health shows of the detector.</summary>
public sealed record HeadTouchStatus(bool Running, bool Resting, bool Reaction, string Emotion, long Touches, long Reactions, DateTimeOffset? LastTouchAt, string? LastReaction)
{
    /// <summary>The snake_case shape /health shows.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["running"] = Running,
        ["resting"] = Resting,
        ["reaction"] = Reaction,
        ["emotion"] = Emotion,
        ["touches"] = Touches,
        ["reactions"] = Reactions,
        ["last_touch_at"] = LastTouchAt?.ToString("O", CultureInfo.InvariantCulture),
        ["last_reaction"] = LastReaction,
    };
}

/// <summary>
/// Notices the head being moved by hand (the original's head-pat module; issue 18) from what every daemon reports: the
/// measured head pose (<c>GET /api/state/full</c>) and the running moves (<c>GET /api/move/running</c>), sampled every
/// 100 ms. The daemon's REST API does not report the commanded target, so "beyond what motion explains" is read as: while
/// no move runs, none started from this server within the settle time, and the motor mode did not change, the measured
/// pose leaves the pose it rested at by more than <see cref="AngleThresholdDeg"/> or <see cref="OffsetThresholdMm"/>
/// for two samples in a row. It is one touch until the head comes back (or rests still elsewhere, as a compliant head
/// left where the hand put it). Each touch raises <see cref="Touched"/> (the head_touched watches) and, unless turned off,
/// plays an emotion through the <see cref="MotionController"/>, so the emergency stop refuses it like any other motion.
/// </summary>
public sealed partial class HeadTouchDetector(
    MotionController motion, EmergencyStopLatch estop, ReachyServerOptions options, TimeProvider time, ILogger<HeadTouchDetector> logger) : BackgroundService
{
    public const double AngleThresholdDeg = 6;
    public const double OffsetThresholdMm = 8;
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    /// <summary>How long after a move the head may still settle (the real servos lag their target).</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(600);

    /// <summary>No second reaction sooner than this after one started (a hand resting on the head is not many pats).</summary>
    public static readonly TimeSpan ReactionCooldown = TimeSpan.FromSeconds(8);

    private const int StillSamplesToRebase = 20;
    private long _touches;
    private long _reactions;
    private DateTimeOffset? _lastTouchAt;
    private DateTimeOffset _lastReactionAt = DateTimeOffset.MinValue;
    private string? _lastReaction;
    private volatile bool _running;

    // True while the head rests and a hand would be noticed (false during and just after the robot's own motion).
    private volatile bool _resting;

    /// <summary>Raised on the detector's loop for each touch; handlers must not block.</summary>
    public event Action<HeadTouch>? Touched;

    public HeadTouchStatus Status => new(_running, _resting, options.HeadPat, options.HeadPatEmotion, Interlocked.Read(ref _touches),
        Interlocked.Read(ref _reactions), _lastTouchAt, _lastReaction);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _running = true;
        double[]? rest = null;
        double[]? previous = null;
        var quietSince = time.GetUtcNow();
        MotorControlMode? lastMode = null;
        var streak = 0;
        var touching = false;
        var still = 0;
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(Period, time, stoppingToken);
            FullState state;
            IReadOnlyList<Guid> running;
            try
            {
                // The state first, the moves after: a move that moved the head in this sample is listed by then.
                state = await motion.Daemon.GetFullStateAsync(stoppingToken);
                running = await motion.Daemon.GetRunningMovesAsync(stoppingToken);
                if (failing)
                {
                    failing = false;
                    LogDaemonBack();
                }
            }
            catch (ReachyDaemonException ex)
            {
                if (!failing)
                {
                    failing = true;
                    LogDaemonLost(ex.Reason);
                }
                rest = null;
                touching = false;
                _resting = false;
                continue;
            }
            var now = time.GetUtcNow();
            if (state.HeadPose is not { } pose)
            {
                continue;
            }
            var matrix = pose.M is { } m ? m.ToArray() : Transform.FromXyzRpy(pose.X, pose.Y, pose.Z, pose.Roll, pose.Pitch, pose.Yaw);
            if (running.Count > 0 || motion.LastMoveStartedAt > now - Settle || state.ControlMode != lastMode)
            {
                // The robot's own motion (or a mode change: a head let go of sags): nothing to judge until it has settled.
                lastMode = state.ControlMode;
                quietSince = now;
                rest = null;
                streak = 0;
                touching = false;
                _resting = false;
                previous = matrix;
                continue;
            }
            if (now - quietSince < Settle || rest is null)
            {
                rest = matrix;
                previous = matrix;
                continue;
            }
            _resting = true;
            var (offset, angle, _) = Transform.Distance(rest, matrix);
            var (_, step, _) = Transform.Distance(previous ?? matrix, matrix);
            previous = matrix;
            var angleDeg = angle * 180 / Math.PI;
            var offsetMm = offset * 1000;
            var away = angleDeg >= AngleThresholdDeg || offsetMm >= OffsetThresholdMm;
            if (!touching)
            {
                streak = away ? streak + 1 : 0;
                if (streak >= 2)
                {
                    touching = true;
                    still = 0;
                    OnTouch(new HeadTouch(angleDeg, offsetMm, state.ControlMode, now), stoppingToken);
                }
                continue;
            }
            // One touch lasts until the head is back near its rest, or rests still where the hand left it (compliant motors).
            still = step * 180 / Math.PI < 0.5 ? still + 1 : 0;
            if (angleDeg < AngleThresholdDeg / 2 && offsetMm < OffsetThresholdMm / 2)
            {
                touching = false;
                streak = 0;
            }
            else if (still >= StillSamplesToRebase)
            {
                rest = matrix;
                touching = false;
                streak = 0;
            }
        }
    }

    private void OnTouch(HeadTouch touch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _touches);
        _lastTouchAt = touch.At;
        LogTouched(touch.AngleDeg, touch.OffsetMm);
        try
        {
            Touched?.Invoke(touch);
        }
#pragma warning disable CA1031 // A watch's handler must not stop the detector.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogHandlerFailed(ex.Message);
        }
        if (options.HeadPat && touch.At - _lastReactionAt >= ReactionCooldown)
        {
            _lastReactionAt = touch.At;
            _ = Task.Run(() => ReactAsync(cancellationToken), cancellationToken);
        }
    }

    private async Task ReactAsync(CancellationToken cancellationToken)
    {
        var variants = EmotionCatalog.Default.VariantsOf(options.HeadPatEmotion) ?? [];
        if (variants.Count == 0)
        {
            return;
        }
#pragma warning disable CA5394 // Not security-sensitive: interchangeable takes of one emotion.
        var variant = variants[Random.Shared.Next(variants.Count)];
#pragma warning restore CA5394
        try
        {
            // Through the motion controller: refused while the emergency stop is engaged, dropped if it engages meanwhile.
            estop.ThrowIfEngaged();
            var uuid = await motion.StartAfterStoppingAsync(
                ct => motion.Daemon.PlayRecordedMoveAsync(EmotionCatalog.Dataset, variant, ct), $"head-pat reaction '{options.HeadPatEmotion}' ({variant})", cancellationToken);
            Interlocked.Increment(ref _reactions);
            _lastReaction = $"{options.HeadPatEmotion} ({variant}, move {uuid})";
        }
        catch (EmergencyStopEngagedException ex)
        {
            _lastReaction = "refused: " + ex.Message;
            LogReactionSkipped(ex.Message);
        }
        catch (Exception ex) when (ex is ReachyDaemonException or MotionBusyException)
        {
            _lastReaction = "failed: " + ex.Message;
            LogReactionSkipped(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Head touched: moved by hand {AngleDeg:0.#}° and {OffsetMm:0} mm from where it rested.")]
    private partial void LogTouched(double angleDeg, double offsetMm);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A head-touch handler failed: {Error}")]
    private partial void LogHandlerFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No head-pat reaction: {Why}")]
    private partial void LogReactionSkipped(string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Head-touch detection paused: the daemon is not answering ({Reason}).")]
    private partial void LogDaemonLost(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Head-touch detection resumed.")]
    private partial void LogDaemonBack();
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// The one robot this server drives: its rosbridge connection, safety envelope, long-lived publishers,
/// running motions (continuous publishing) and action goals, so that stop can end all of them at once.
/// While the emergency stop is engaged no motion begins and a goal sent meanwhile is cancelled at once.
/// </summary>
public sealed partial class RobotSession : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task<RosPublisher>> _publishers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _motions = new();
    private readonly ConcurrentDictionary<string, RosActionGoal> _goals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _deadmen = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _detect = new(1, 1);
    private readonly ILogger<RobotSession> _logger;
    private readonly EmergencyStopLatch _estop;
    private long _nextMotion;

    public RobotSession(RosRobotOptions options, EmergencyStopLatch estop, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Options = options;
        _estop = estop ?? throw new ArgumentNullException(nameof(estop));
        _logger = loggerFactory.CreateLogger<RobotSession>();
        Client = new RosBridgeClient(new RosBridgeOptions { Url = new Uri(options.Rosbridge) }, loggerFactory.CreateLogger<RosBridgeClient>());
        Api = new RosApi(Client);
        Safety = new RobotSafety(options.Safety);
        Images = new ImageSaver(options.ImagesDir ?? Path.Combine(Hosting.RosaEnvironment.DataDirectory, "images"), options.Name);
        // The stop's zero velocity must not wait for a new publisher to connect: advertise it as soon as the robot is there.
        Client.ConnectionChanged += (connected, reason) =>
        {
            if (connected)
            {
                _ = PrepareStopPublisherAsync();
            }
        };
    }

    public RosRobotOptions Options { get; }

    public RosBridgeClient Client { get; }

    public RosApi Api { get; }

    public RobotSafety Safety { get; }

    public ImageSaver Images { get; }

    /// <summary>Motions (continuous publishing) running now.</summary>
    public int ActiveMotions => _motions.Count;

    /// <summary>Goals this server sent that have not finished.</summary>
    public IReadOnlyCollection<RosActionGoal> ActiveGoals => [.. _goals.Values];

    /// <summary>Detects the ROS version once (ROS 1 needs pkg/Type names, ROS 2 has action ops).</summary>
    public async Task<int> RosVersionAsync(CancellationToken cancellationToken)
    {
        if (Api.RosVersion != 0)
        {
            return Api.RosVersion;
        }
        await _detect.WaitAsync(cancellationToken);
        try
        {
            if (Api.RosVersion == 0)
            {
                var (version, distro) = await Api.DetectVersionAsync(cancellationToken);
                LogVersion(version, distro);
            }
            return Api.RosVersion;
        }
        finally
        {
            _detect.Release();
        }
    }

    /// <summary>A publisher kept for the robot's lifetime (velocity watchdogs need a steady publisher); the flag says it is new.</summary>
    public async Task<(RosPublisher Publisher, bool Fresh)> PublisherAsync(string topic, string type, CancellationToken cancellationToken)
    {
        var fresh = false;
        var task = _publishers.GetOrAdd(topic, _ =>
        {
            fresh = true;
            return Client.AdvertiseAsync(topic, type, CancellationToken.None);
        });
        try
        {
            var publisher = await task.WaitAsync(cancellationToken);
            if (publisher.Type != type)
            {
                throw new ArgumentException($"{topic} is already advertised here as {publisher.Type}, not {type}.");
            }
            return (publisher, fresh);
        }
        catch (RosBridgeException)
        {
            _publishers.TryRemove(topic, out _);
            throw;
        }
    }

    /// <summary>Why writes are refused now (the emergency stop), or null.</summary>
    public string? StopReason => _estop.Refusal;

    /// <summary>Throws <see cref="EmergencyStopEngagedException"/> while the emergency stop is engaged (before any write).</summary>
    public void ThrowIfStopped() => _estop.ThrowIfEngaged();

    /// <summary>
    /// Registers a motion that <see cref="StopAsync"/> can end; dispose the handle when the motion ends. Refused while the
    /// emergency stop is engaged, and ended the moment it engages.
    /// </summary>
    public (CancellationToken Token, IDisposable Handle) BeginMotion(CancellationToken requestAborted)
    {
        _estop.ThrowIfEngaged();
        var id = Interlocked.Increment(ref _nextMotion);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _estop.MotionToken);
        _motions[id] = cts;
        return (cts.Token, new Releaser(() =>
        {
            if (_motions.TryRemove(id, out var c))
            {
                c.Dispose();
            }
        }));
    }

    /// <summary>
    /// The dead-man of a single velocity message: unless another Twist on <paramref name="topic"/> renews it (or a publishing
    /// loop takes the topic over), zero velocity follows after the configured time. A zero Twist only disarms it.
    /// Returns the seconds until the zero, or null when it is off.
    /// </summary>
    public double? ArmDeadman(string topic, string type, RosPublisher publisher, bool moving)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        DisarmDeadman(topic);
        var seconds = Options.Safety.DeadmanSeconds;
        if (!moving || seconds <= 0)
        {
            return null;
        }
        var cts = new CancellationTokenSource();
        if (!_deadmen.TryAdd(topic, cts))
        {
            // Another call armed it in the same instant: that one's timer stands.
            cts.Dispose();
            return seconds;
        }
        _ = FireDeadmanAsync(topic, type, publisher, TimeSpan.FromSeconds(seconds), cts);
        return seconds;
    }

    /// <summary>Cancels the pending dead-man of <paramref name="topic"/> (a new command renews it or a loop owns the topic).</summary>
    public void DisarmDeadman(string topic)
    {
        if (_deadmen.TryRemove(topic, out var cts))
        {
            cts.Cancel();
            cts.Dispose();
        }
    }

    private async Task FireDeadmanAsync(string topic, string type, RosPublisher publisher, TimeSpan after, CancellationTokenSource cts)
    {
        try
        {
            await Task.Delay(after, _time, cts.Token);
            if (!_deadmen.TryRemove(new KeyValuePair<string, CancellationTokenSource>(topic, cts)))
            {
                return;
            }
            cts.Dispose();
            await publisher.PublishAsync(ZeroTwist(type), CancellationToken.None);
            LogDeadman(topic, after.TotalSeconds);
        }
        catch (OperationCanceledException)
        {
        }
        catch (RosBridgeException ex)
        {
            LogDeadmanFailed(topic, ex.Message);
        }
    }

    public void TrackGoal(RosActionGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        _goals[goal.Id] = goal;
        _ = goal.Result.ContinueWith(_ => _goals.TryRemove(goal.Id, out var _), TaskScheduler.Default);
        if (_estop.IsEngaged)
        {
            // Sent while the stop engaged (the stop's own cancel pass may have missed it): cancel it now.
            _ = goal.CancelAsync(CancellationToken.None);
            _estop.ThrowIfEngaged();
        }
    }

    public RosActionGoal? FindGoal(string id) => _goals.TryGetValue(id, out var goal) ? goal : null;

    /// <summary>
    /// Stops everything at once: ends the publishing loops, publishes zero velocity (first, and repeated), and cancels this
    /// server's goals, in parallel. Problems (a lost bridge) are reported, not thrown.
    /// </summary>
    public async Task<RobotStopResult> StopAsync(CancellationToken cancellationToken)
    {
        var motions = 0;
        foreach (var (_, cts) in _motions)
        {
            try
            {
                await cts.CancelAsync();
                motions++;
            }
            catch (ObjectDisposedException)
            {
            }
        }
        var problems = new List<string>();
        if (!Client.IsConnected)
        {
            problems.Add($"rosbridge at {Client.Url} is not connected: zero velocity could not be sent and goals could not be cancelled (the robot's own watchdog, if it has one, is the remaining guard)");
            LogStopped(motions, 0);
            return new RobotStopResult(false, motions, [], problems, Options.Safety.CmdVelTopic, false);
        }
        var zero = SendZeroAsync(cancellationToken);
        var cancels = await Task.WhenAll(_goals.Values.Select(async goal =>
        {
            try
            {
                await goal.CancelAsync(cancellationToken);
                return (goal.Id, Error: (string?)null);
            }
            catch (RosBridgeException ex)
            {
                LogStopFailed(goal.Id, ex.Message);
                return (goal.Id, Error: ex.Message);
            }
        }));
        problems.AddRange(cancels.Where(c => c.Error is not null).Select(c => $"goal {c.Id} could not be cancelled: {c.Error}"));
        var zeroSent = true;
        try
        {
            await zero;
        }
        catch (RosBridgeException ex)
        {
            zeroSent = false;
            problems.Add($"zero velocity on {Options.Safety.CmdVelTopic} could not be sent: {ex.Message}");
        }
        var cancelled = cancels.Where(c => c.Error is null).Select(c => c.Id).ToList();
        LogStopped(motions, cancelled.Count);
        return new RobotStopResult(zeroSent, motions, cancelled, problems, Options.Safety.CmdVelTopic, zeroSent);
    }

    private async Task SendZeroAsync(CancellationToken cancellationToken)
    {
        await RosVersionAsync(cancellationToken);
        var (publisher, fresh) = await PublisherAsync(Options.Safety.CmdVelTopic, Api.NormalizeType(Options.Safety.CmdVelType), cancellationToken);
        var zero = ZeroTwist(Options.Safety.CmdVelType);
        // Sent more than once: a just-advertised ROS 1 publisher may still be connecting to the base, and a single
        // command racing with the stop is overridden.
        for (var i = 0; i < (fresh ? 5 : 3); i++)
        {
            await publisher.PublishAsync(zero, cancellationToken);
            await Task.Delay(fresh ? 100 : 20, cancellationToken);
        }
    }

    private async Task PrepareStopPublisherAsync()
    {
        try
        {
            await RosVersionAsync(CancellationToken.None);
            await PublisherAsync(Options.Safety.CmdVelTopic, Api.NormalizeType(Options.Safety.CmdVelType), CancellationToken.None);
        }
        catch (Exception ex) when (ex is RosBridgeException or ArgumentException)
        {
            LogStopPublisherNotReady(Options.Safety.CmdVelTopic, ex.Message);
        }
    }

    public static JsonObject ZeroTwist(string type)
    {
        var twist = new JsonObject
        {
            ["linear"] = new JsonObject { ["x"] = 0.0, ["y"] = 0.0, ["z"] = 0.0 },
            ["angular"] = new JsonObject { ["x"] = 0.0, ["y"] = 0.0, ["z"] = 0.0 },
        };
        return type.EndsWith("TwistStamped", StringComparison.Ordinal) ? new JsonObject { ["twist"] = twist } : twist;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var topic in _deadmen.Keys)
        {
            DisarmDeadman(topic);
        }
        foreach (var (_, cts) in _motions)
        {
            await cts.CancelAsync();
        }
        await Client.DisposeAsync();
        _detect.Dispose();
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        public void Dispose() => release();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dead-man: no new velocity on {Topic} within {Seconds} s of a single command; sent zero velocity.")]
    private partial void LogDeadman(string topic, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-man could not send zero velocity on {Topic}: {Reason}")]
    private partial void LogDeadmanFailed(string topic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Robot runs ROS {Version} ({Distro}).")]
    private partial void LogVersion(int version, string distro);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop: ended {Motions} motions, cancelled {Goals} goals, sent zero velocity.")]
    private partial void LogStopped(int motions, int goals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop could not cancel goal {Goal}: {Reason}")]
    private partial void LogStopFailed(string goal, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not advertise the stop's velocity topic {Topic} yet: {Reason}")]
    private partial void LogStopPublisherNotReady(string topic, string reason);
}

/// <summary>What <see cref="RobotSession.StopAsync"/> did.</summary>
/// <param name="Reachable">False when rosbridge was not connected (nothing reached the robot).</param>
/// <param name="MotionsEnded">Publishing loops ended.</param>
/// <param name="GoalsCancelled">Ids of the goals whose cancel was sent.</param>
/// <param name="Problems">What failed, in words.</param>
/// <param name="CmdVelTopic">The velocity topic zeroed.</param>
/// <param name="ZeroSent">True when zero velocity was published.</param>
public sealed record RobotStopResult(bool Reachable, int MotionsEnded, IReadOnlyList<string> GoalsCancelled, IReadOnlyList<string> Problems, string CmdVelTopic, bool ZeroSent)
{
    /// <summary>The stop_robot tool's answer.</summary>
    public JsonObject ToJson() => new()
    {
        ["stopped"] = Reachable,
        ["motions_ended"] = MotionsEnded,
        ["goals_cancelled"] = new JsonArray([.. GoalsCancelled.Select(g => (JsonNode)JsonValue.Create(g))]),
        ["zero_velocity_on"] = ZeroSent ? CmdVelTopic : null,
        ["problems"] = new JsonArray([.. Problems.Select(p => (JsonNode)JsonValue.Create(p))]),
    };
}

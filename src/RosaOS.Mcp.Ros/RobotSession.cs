using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RosaOS.Configuration;
using RosaOS.RosBridge;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// The one robot this server drives: its rosbridge connection, safety envelope, long-lived publishers,
/// running motions (continuous publishing) and action goals, so that stop can end all of them at once.
/// </summary>
public sealed partial class RobotSession : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task<RosPublisher>> _publishers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _motions = new();
    private readonly ConcurrentDictionary<string, RosActionGoal> _goals = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _detect = new(1, 1);
    private readonly ILogger<RobotSession> _logger;
    private long _nextMotion;

    public RobotSession(RosRobotOptions options, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Options = options;
        _logger = loggerFactory.CreateLogger<RobotSession>();
        Client = new RosBridgeClient(new RosBridgeOptions { Url = new Uri(options.Rosbridge) }, loggerFactory.CreateLogger<RosBridgeClient>());
        Api = new RosApi(Client);
        Safety = new RobotSafety(options.Safety);
        Images = new ImageSaver(options.ImagesDir ?? Path.Combine(Hosting.RosaEnvironment.DataDirectory, "images"), options.Name);
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

    /// <summary>Registers a motion that <see cref="StopAsync"/> can end; dispose the handle when the motion ends.</summary>
    public (CancellationToken Token, IDisposable Handle) BeginMotion(CancellationToken requestAborted)
    {
        var id = Interlocked.Increment(ref _nextMotion);
        var cts = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _motions[id] = cts;
        return (cts.Token, new Releaser(() =>
        {
            if (_motions.TryRemove(id, out var c))
            {
                c.Dispose();
            }
        }));
    }

    public void TrackGoal(RosActionGoal goal)
    {
        _goals[goal.Id] = goal;
        _ = goal.Result.ContinueWith(_ => _goals.TryRemove(goal.Id, out var _), TaskScheduler.Default);
    }

    public RosActionGoal? FindGoal(string id) => _goals.TryGetValue(id, out var goal) ? goal : null;

    /// <summary>Stops everything at once: ends motions, publishes zero velocity, cancels this server's goals.</summary>
    public async Task<JsonObject> StopAsync(CancellationToken cancellationToken)
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
        var goals = new JsonArray();
        foreach (var goal in _goals.Values)
        {
            try
            {
                await goal.CancelAsync(cancellationToken);
                goals.Add(goal.Id);
            }
            catch (RosBridgeException ex)
            {
                LogStopFailed(goal.Id, ex.Message);
            }
        }
        await RosVersionAsync(cancellationToken);
        var (publisher, fresh) = await PublisherAsync(Options.Safety.CmdVelTopic, Api.NormalizeType(Options.Safety.CmdVelType), cancellationToken);
        var zero = ZeroTwist(Options.Safety.CmdVelType);
        // Sent more than once: a just-advertised ROS 1 publisher may still be connecting to the base.
        for (var i = 0; i < (fresh ? 5 : 3); i++)
        {
            await publisher.PublishAsync(zero, cancellationToken);
            await Task.Delay(fresh ? 100 : 20, cancellationToken);
        }
        LogStopped(motions, goals.Count);
        return new JsonObject
        {
            ["stopped"] = true,
            ["motions_ended"] = motions,
            ["goals_cancelled"] = goals,
            ["zero_velocity_on"] = Options.Safety.CmdVelTopic,
        };
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Robot runs ROS {Version} ({Distro}).")]
    private partial void LogVersion(int version, string distro);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop: ended {Motions} motions, cancelled {Goals} goals, sent zero velocity.")]
    private partial void LogStopped(int motions, int goals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stop could not cancel goal {Goal}: {Reason}")]
    private partial void LogStopFailed(string goal, string reason);
}

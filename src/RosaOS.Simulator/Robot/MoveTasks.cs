using System.Collections.Concurrent;
using System.Threading.Channels;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Simulator.Robot;

/// <summary>
/// The REST-created move tasks (<c>/api/move/running</c>, <c>/api/move/stop</c>) and their
/// <c>/api/move/ws/updates</c> listeners: move_started on creation, then move_completed or move_cancelled.
/// A move dropped by the single-flight rule completes at once, as the daemon's task does.
/// </summary>
public sealed class MoveTasks(RobotCore robot)
{
    private readonly ConcurrentDictionary<Guid, MoveHandle> _running = new();
    private readonly ConcurrentDictionary<Channel<MoveUpdate>, byte> _listeners = new();

    /// <summary>Ids of the moves still running, oldest first is not guaranteed (the daemon's dict order).</summary>
    public IReadOnlyList<Guid> Running => [.. _running.Keys];

    /// <summary>Starts a move program as a REST task and returns its id.</summary>
    internal Guid Create(string kind, string? name, double nominalDuration, IReadOnlyList<MoveStep> steps)
    {
        var id = Guid.NewGuid();
        Notify("move_started", id);
        var handle = robot.Play(kind, name, nominalDuration, steps, id);
        _running[id] = handle;
        _ = handle.Completion.ContinueWith(t =>
        {
            _running.TryRemove(id, out _);
            Notify(t.Result == MoveOutcome.Cancelled ? "move_cancelled" : "move_completed", id);
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return id;
    }

    /// <summary>Cancels a running task; false when the id is unknown or finished (the daemon then answers 500).</summary>
    public async Task<bool> StopAsync(Guid id, CancellationToken cancellationToken)
    {
        if (!_running.TryGetValue(id, out var handle))
        {
            return false;
        }
        robot.Cancel(id);
        await handle.Completion.WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>Subscribes a listener; updates are queued (bounded 256, oldest dropped) until it unsubscribes.</summary>
    public Channel<MoveUpdate> Subscribe()
    {
        // Bounded so a stalled listener cannot grow memory; dropping the oldest keeps the latest state visible.
        var channel = Channel.CreateBounded<MoveUpdate>(new BoundedChannelOptions(256)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
        _listeners[channel] = 0;
        return channel;
    }

    /// <summary>Removes a listener.</summary>
    public void Unsubscribe(Channel<MoveUpdate> channel) => _listeners.TryRemove(channel, out _);

    private void Notify(string type, Guid id)
    {
        var update = new MoveUpdate { Type = type, Uuid = id, Details = "" };
        foreach (var listener in _listeners.Keys)
        {
            listener.Writer.TryWrite(update);
        }
    }
}

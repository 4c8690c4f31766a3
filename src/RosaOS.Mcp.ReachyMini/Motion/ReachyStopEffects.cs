using RosaOS.EmergencyStop;
using RosaOS.ReachyMini.Client;
using RosaOS.Speech;

namespace RosaOS.Mcp.ReachyMini.Motion;

/// <summary>
/// The Reachy Mini's emergency stop: speech stops and its queue is dropped, every running move is stopped (the daemon
/// then holds the present pose), and the moves queued in the motion controller, including the speech loop's listening
/// pose and turns toward a voice, are dropped and refused while the latch holds.
/// </summary>
public sealed class ReachyStopEffects(MotionController motion, SpeechQueue speech) : IEmergencyStopEffects
{
    /// <inheritdoc/>
    public async Task<StopReport> StopAsync(CancellationToken cancellationToken)
    {
        var stopped = new List<string>();
        var problems = new List<string>();
        var reachable = true;
        // Local and instant, so first: nothing waits on the robot for it.
        var (interrupted, dropped) = speech.InterruptAll("the emergency stop");
        try
        {
            var moves = await motion.EmergencyStopAsync(cancellationToken);
            stopped.AddRange(moves);
            stopped.Add("holding the present pose");
        }
        catch (ReachyDaemonException e)
        {
            reachable = false;
            problems.Add($"the robot is not reachable ({e.Call}: {e.Reason}); its moves could not be stopped from here");
        }
        if (interrupted)
        {
            stopped.Add("speech interrupted");
        }
        if (dropped > 0)
        {
            stopped.Add($"{dropped} queued utterance(s) dropped");
        }
        return new StopReport(reachable, stopped, problems);
    }

    /// <inheritdoc/>
    public async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        // The stop's own daemon calls, without effect: list the moves, and stop a move id that cannot exist.
        await motion.Daemon.GetRunningMovesAsync(cancellationToken);
        try
        {
            await motion.Daemon.StopMoveAsync(Guid.Empty, cancellationToken);
        }
        catch (ReachyDaemonException)
        {
            // Expected: there is no such move.
        }
    }
}

namespace RosaOS.EmergencyStop;

/// <summary>
/// What a driver does to stop its robot: the one piece each driver writes (Reachy Mini: stop moves, drop queued
/// ones, stop speech; ROS: end publishing loops, zero velocity, cancel goals). The latch, the HTTP endpoints, the
/// MCP tools and the refusal of motion tools are shared (<see cref="EmergencyStopSetup"/>).
/// </summary>
public interface IEmergencyStopEffects
{
    /// <summary>
    /// Stops every motion of the robot now and says what was stopped. Runs within a deadline given by
    /// <paramref name="cancellationToken"/>; a robot that cannot be reached is reported in the answer
    /// (<see cref="StopReport.Reachable"/> false), not thrown. Called again on every engage (idempotent),
    /// and once more when a driver starts with its latch engaged.
    /// </summary>
    Task<StopReport> StopAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Runs once at start so the first real stop does not pay for compiling its own code path. It must not move or stop
    /// anything (a robot may be moving for someone else); the default does nothing.
    /// </summary>
    Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What <see cref="IEmergencyStopEffects.StopAsync"/> did.</summary>
/// <param name="Reachable">False when the robot could not be reached, so it was not stopped by this call.</param>
/// <param name="Stopped">What was stopped, in words.</param>
/// <param name="Problems">What failed, in words.</param>
public sealed record StopReport(bool Reachable, IReadOnlyList<string> Stopped, IReadOnlyList<string> Problems);

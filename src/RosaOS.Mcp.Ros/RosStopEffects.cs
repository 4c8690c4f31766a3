using RosaOS.EmergencyStop;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// A ROS robot's emergency stop: every publishing loop of this server ends, zero velocity goes out on the robot's
/// velocity topic, and every action goal this server sent is cancelled; while latched, writes are refused (the MCP
/// filter and <see cref="RobotSession"/>).
/// </summary>
public sealed class RosStopEffects(RobotSession robot) : IEmergencyStopEffects
{
    /// <inheritdoc/>
    public async Task<StopReport> StopAsync(CancellationToken cancellationToken)
    {
        var result = await robot.StopAsync(cancellationToken);
        var stopped = new List<string>();
        if (result.MotionsEnded > 0)
        {
            stopped.Add($"ended {result.MotionsEnded} publishing loop(s)");
        }
        if (result.ZeroSent)
        {
            stopped.Add($"zero velocity on {result.CmdVelTopic}");
        }
        stopped.AddRange(result.GoalsCancelled.Select(g => $"cancelled goal {g}"));
        return new StopReport(result.Reachable, stopped, result.Problems);
    }
}

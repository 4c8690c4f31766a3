using ModelContextProtocol;
using RosaOS.EmergencyStop;
using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.ReachyMini.Client;

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>Turns failures into MCP tool errors whose text tells the model what happened and what it can do.</summary>
internal static class ToolErrors
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (ReachyDaemonException e)
        {
            throw new McpException(e.Failure switch
            {
                DaemonFailure.Unreachable => $"The robot is not reachable right now ({e.Call}: {e.Reason}). It may be restarting; try again in a few seconds.",
                DaemonFailure.Timeout => $"The robot did not answer in time ({e.Call}: {e.Reason}). Try again; if it persists the robot needs attention.",
                _ => $"The robot refused the command ({e.Call}: {e.Reason}).",
            }, e);
        }
        catch (EmergencyStopEngagedException e)
        {
            throw new McpException(e.Message, e);
        }
        catch (MotionBusyException e)
        {
            throw new McpException(e.Message, e);
        }
        catch (ArgumentException e)
        {
            throw new McpException(e.Message, e);
        }
    }
}

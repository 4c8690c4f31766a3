using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Server;
using RosaOS.Speech.Input;

namespace RosaOS.Mcp.ReachyMini.Tools;

/// <summary>Speech input tools: turn toward whoever is speaking.</summary>
[McpServerToolType]
public sealed class HearingTools(ISpeechRobot robot)
{
    [McpServerTool(Name = "move_to_audio", Destructive = false, Idempotent = false, OpenWorld = false, ReadOnly = false)]
    [Description("Turn Reachy Mini's head toward the person speaking, using the microphone array's direction of arrival " +
        "(head yaw = 90° − DoA angle, within ±180°, 2-second move), then centre the head on the face in view, if the camera sees one " +
        "within 3 frames. Only works while someone is speaking; otherwise the head stays put and the answer says why.")]
    public async Task<string> MoveToAudio(CancellationToken cancellationToken = default)
    {
        try
        {
            return await RosaOS.Speech.Input.MoveToAudio.RunAsync(robot, null, cancellationToken);
        }
        catch (RosaOS.EmergencyStop.EmergencyStopEngagedException e)
        {
            throw new McpException(e.Message, e);
        }
        catch (HttpRequestException e)
        {
            throw new McpException($"The robot is not reachable right now ({e.Message}). It may be restarting; try again in a few seconds.", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new McpException("The robot did not answer in time. Try again; if it persists the robot needs attention.", e);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new McpException($"The robot's direction-of-arrival answer was not understood ({e.Message}).", e);
        }
    }
}

using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Speech.Input;

/// <summary>What the speech loop asks of the robot; small so the loop can be tested without one.</summary>
public interface ISpeechRobot
{
    /// <summary>The microphone array's direction of arrival now, or null when the robot has none.</summary>
    Task<DoaInfo?> ReadDirectionAsync(CancellationToken cancellationToken);

    /// <summary>Turns the head to <paramref name="yawDegrees"/> (+ = left, within ±180), looking level.</summary>
    Task TurnHeadAsync(double yawDegrees, CancellationToken cancellationToken);

    /// <summary>
    /// After turning toward a voice, brings the face in view (if any) to the middle of the camera picture, as the original's
    /// <c>center_to_face</c> does after its DoA turn. Returns what happened in words, or null when this robot has no camera to
    /// centre with (the default).
    /// </summary>
    Task<string?> CenterOnFaceAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>Plays the listening pose (antennas wiggling, head held) until <paramref name="cancellationToken"/> fires, then returns.</summary>
    Task ListenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Shows that the request was heard (an attentive antenna and head gesture), without waiting for an LLM; returns once
    /// the gesture has started. The default does nothing (a robot without a body to gesture with).
    /// </summary>
    Task AcknowledgeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Engages the robot's latching emergency stop (the stop keyword); the default does nothing.</summary>
    Task EmergencyStopAsync(string reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Barge-in: stops the robot's speech at once and drops what is queued; true when something was playing or queued.
    /// The default (a robot without a voice) does nothing.
    /// </summary>
    bool StopSpeaking(string reason) => false;

    /// <summary>Whether the robot is speaking now and when it last finished speaking (UTC); the default never speaks.</summary>
    (bool Speaking, DateTime? FinishedAt) Voice => (false, null);
}

/// <summary>The original's <c>move_to_audio</c>: DoA angle → head yaw, then a goto.</summary>
public static class MoveToAudio
{
    /// <summary>
    /// DoA angle (degrees; 0 = left, 90 = front, 180 = right, 270 = back) to head yaw (degrees, + = left):
    /// yaw = 90 − (angle mod 360), wrapped to [−180, 180).
    /// </summary>
    public static double HeadYawDegrees(double doaDegrees)
    {
        var yaw = 90.0 - Mod(doaDegrees, 360.0);
        return Mod(yaw + 180.0, 360.0) - 180.0;
    }

    /// <summary>
    /// Turns the head toward <paramref name="direction"/>, or toward the robot's current DoA reading when null, then centres on
    /// the face in view (<see cref="ISpeechRobot.CenterOnFaceAsync"/>).
    /// Returns what happened in words (for the MCP tool and logs); a missing or speechless reading moves nothing.
    /// </summary>
    public static async Task<string> RunAsync(ISpeechRobot robot, DoaInfo? direction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(robot);
        direction ??= await robot.ReadDirectionAsync(cancellationToken);
        if (direction is null)
        {
            return "No direction of arrival is available (no microphone array, or nothing heard yet); the head did not move.";
        }
        if (!direction.SpeechDetected)
        {
            return "No speech is being detected, so the direction of arrival is not valid; the head did not move.";
        }
        if (!double.IsFinite(direction.Angle))
        {
            return "The direction of arrival reading was not a number; the head did not move.";
        }
        var doaDegrees = direction.Angle * 180.0 / Math.PI;
        var yaw = HeadYawDegrees(doaDegrees);
        await robot.TurnHeadAsync(yaw, cancellationToken);
        var turned = $"Moved head towards audio source: direction of arrival {doaDegrees:0.#}° → head yaw {yaw:0.#}°.";
        // Then, as the original does, centre on the speaker's face when the camera sees one.
        return await robot.CenterOnFaceAsync(cancellationToken) is { } centred ? $"{turned} {centred}" : turned;
    }

    private static double Mod(double value, double modulus) => ((value % modulus) + modulus) % modulus;
}

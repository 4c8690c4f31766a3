using System.Net.Http.Json;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Speech.Input;

/// <summary>What the speech loop asks of the robot; small so the loop can be tested without one.</summary>
public interface ISpeechRobot
{
    /// <summary>The microphone array's direction of arrival now, or null when the robot has none.</summary>
    Task<DoaInfo?> ReadDirectionAsync(CancellationToken cancellationToken);

    /// <summary>Turns the head to <paramref name="yawDegrees"/> (+ = left, within ±180), looking level.</summary>
    Task TurnHeadAsync(double yawDegrees, CancellationToken cancellationToken);

    /// <summary>Plays the listening pose (antennas wiggling, head held) until <paramref name="cancellationToken"/> fires, then returns.</summary>
    Task ListenAsync(CancellationToken cancellationToken);
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
    /// Turns the head toward <paramref name="direction"/>, or toward the robot's current DoA reading when null.
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
        return $"Moved head towards audio source: direction of arrival {doaDegrees:0.#}° → head yaw {yaw:0.#}°.";
    }

    private static double Mod(double value, double modulus) => ((value % modulus) + modulus) % modulus;
}

/// <summary>
/// <see cref="ISpeechRobot"/> over the daemon's REST API (the real daemon or <c>rosa sim</c>): GET /api/state/doa,
/// POST /api/move/goto, GET /api/state/full.
/// </summary>
public sealed class DaemonSpeechRobot(HttpClient http, Uri daemonUrl) : ISpeechRobot
{
    /// <summary>The original's listening wiggle: antennas to ∓20° and back, one second each way.</summary>
    private static readonly double s_wiggle = 20 * Math.PI / 180;

    /// <inheritdoc />
    public async Task<DoaInfo?> ReadDirectionAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(daemonUrl, "/api/state/doa"), cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<DoaInfo>(ReachyJson.Options, cancellationToken);
    }

    /// <inheritdoc />
    public async Task TurnHeadAsync(double yawDegrees, CancellationToken cancellationToken)
    {
        if (!double.IsFinite(yawDegrees))
        {
            throw new ArgumentOutOfRangeException(nameof(yawDegrees), yawDegrees, "The head yaw must be a finite number of degrees.");
        }
        // As the original's _go_to(head_yaw=…, duration=2): level head, antennas and body at rest.
        var request = new GotoRequest
        {
            HeadPose = AnyPose.FromXyzRpy(0, 0, 0, 0, 0, Math.Clamp(yawDegrees, -180, 180) * Math.PI / 180),
            Antennas = [0, 0],
            BodyYaw = 0,
            Duration = 2,
        };
        await GotoAsync(request, cancellationToken);
        // Return once the head is there, so what follows (the listening pose) starts from the new pose.
        await Task.Delay(TimeSpan.FromSeconds(request.Duration), cancellationToken);
    }

    /// <inheritdoc />
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        var state = await http.GetFromJsonAsync<FullState>(new Uri(daemonUrl, "/api/state/full"), ReachyJson.Options, cancellationToken);
        var head = state?.HeadPose;
        var up = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            await GotoAsync(new GotoRequest
            {
                HeadPose = head,
                Antennas = up ? [-s_wiggle, s_wiggle] : [0, 0],
                Duration = 1,
            }, cancellationToken);
            up = !up;
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private async Task GotoAsync(GotoRequest request, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(new Uri(daemonUrl, "/api/move/goto"), request, ReachyJson.Options, cancellationToken);
        response.EnsureSuccessStatusCode();
    }
}

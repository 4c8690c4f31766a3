using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Speech.Input;

namespace RosaOS.Mcp.ReachyMini.Speech;

/// <summary>
/// The speech loop's body (turn toward the voice, the listening wiggle, move_to_audio) through the one
/// <see cref="MotionController"/>, so the emergency stop stops and refuses these gestures like any other motion.
/// The direction of arrival is read from the daemon's <c>GET /api/state/doa</c>; face centring after the turn nudges the head
/// through the same controller.
/// </summary>
public sealed class MotionSpeechRobot(MotionController motion, RosaOS.EmergencyStop.EmergencyStopService? estop = null,
    RosaOS.Speech.SpeechQueue? speech = null, Func<CancellationToken, Task<string?>>? centerOnFace = null) : ISpeechRobot
{
    /// <inheritdoc />
    /// <remarks>The face centring given at construction (the camera, the face detector and head nudges through the motion controller).</remarks>
    public Task<string?> CenterOnFaceAsync(CancellationToken cancellationToken)
        => centerOnFace is null ? Task.FromResult<string?>(null) : centerOnFace(cancellationToken);

    /// <inheritdoc />
    public bool StopSpeaking(string reason)
    {
        if (speech is null)
        {
            return false;
        }
        var (interrupted, dropped) = speech.InterruptAll(reason);
        return interrupted || dropped > 0;
    }

    /// <inheritdoc />
    public (bool Speaking, DateTime? FinishedAt) Voice => speech?.Voice ?? (false, null);

    /// <inheritdoc />
    /// <remarks>The driver's own stop (the contract's engage): latch, speech dropped, every move stopped.</remarks>
    public async Task EmergencyStopAsync(string reason, CancellationToken cancellationToken)
    {
        if (estop is not null)
        {
            await estop.EngageAsync("voice", reason, cancellationToken);
        }
    }

    /// <summary>The original's listening wiggle: antennas to ∓20° and back, one second each way.</summary>
    private static readonly double s_wiggle = 20 * Math.PI / 180;

    /// <inheritdoc />
    public Task<DoaInfo?> ReadDirectionAsync(CancellationToken cancellationToken)
        => motion.Daemon.GetDirectionOfArrivalAsync(cancellationToken);

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
        var uuid = await motion.StartGotoAsync(request, "turn toward the voice", cancellationToken);
        // Return once the head is there, so what follows (the listening pose) starts from the new pose.
        await motion.WaitAsync(uuid, request.Duration, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Stops the listening wiggle (through the motion controller, so the emergency stop refuses it while engaged) and
    /// raises both antennas forward with a slight upward look, over 0.3 s, keeping the head's yaw.
    /// </remarks>
    public async Task AcknowledgeAsync(CancellationToken cancellationToken)
    {
        var state = await motion.Daemon.GetFullStateAsync(cancellationToken);
        var head = state.HeadPose;
        await motion.StartAfterStoppingAsync(ct => motion.Daemon.GotoAsync(new GotoRequest
        {
            HeadPose = head,
            Antennas = [s_attentive, -s_attentive],
            Duration = 0.3,
        }, ct), "acknowledge (heard you)", cancellationToken);
    }

    /// <summary>The acknowledgement: antennas 25° forward.</summary>
    private static readonly double s_attentive = 25 * Math.PI / 180;

    /// <inheritdoc />
    public async Task ListenAsync(CancellationToken cancellationToken)
    {
        var state = await motion.Daemon.GetFullStateAsync(cancellationToken);
        var head = state.HeadPose;
        var up = true;
        while (!cancellationToken.IsCancellationRequested)
        {
            var uuid = await motion.StartGotoAsync(new GotoRequest
            {
                HeadPose = head,
                Antennas = up ? [-s_wiggle, s_wiggle] : [0, 0],
                Duration = 1,
            }, "listening pose", cancellationToken);
            up = !up;
            await motion.WaitAsync(uuid, 1, cancellationToken);
        }
    }
}

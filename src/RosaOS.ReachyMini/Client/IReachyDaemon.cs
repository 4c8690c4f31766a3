using RosaOS.ReachyMini.Protocol;

namespace RosaOS.ReachyMini.Client;

/// <summary>
/// The Reachy Mini daemon's API as rosaOS uses it (reachy-mini-daemon.md §2), for the real robot and
/// <c>rosa sim</c> alike. Units are the wire's: metres and radians. Every call takes a cancellation token,
/// has a timeout, and fails with <see cref="ReachyDaemonException"/> naming the call and the reason.
/// </summary>
public interface IReachyDaemon
{
    /// <summary>The daemon's base address.</summary>
    Uri BaseAddress { get; }

    /// <summary><c>GET /api/daemon/status</c>.</summary>
    Task<DaemonStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/state/full</c> with control mode, head pose (XYZ-RPY), body yaw and antennas.</summary>
    Task<FullState> GetFullStateAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/state/present_head_pose</c> (XYZ-RPY).</summary>
    Task<AnyPose> GetPresentHeadPoseAsync(CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/goto</c>: starts an interpolated move and returns its id at once.</summary>
    Task<Guid> GotoAsync(GotoRequest request, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/set_target</c>; false when the daemon ignored it because a move is running.</summary>
    Task<bool> SetTargetAsync(FullBodyTarget target, CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/move/running</c>: ids of the moves running now.</summary>
    Task<IReadOnlyList<Guid>> GetRunningMovesAsync(CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/stop</c>: cancels one move; the robot stays where it stopped. Returns the daemon's message.</summary>
    Task<string> StopMoveAsync(Guid uuid, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/play/wake_up</c>.</summary>
    Task<Guid> WakeUpAsync(CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/play/goto_sleep</c>.</summary>
    Task<Guid> GotoSleepAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/move/recorded-move-datasets/list/{dataset}</c>.</summary>
    Task<IReadOnlyList<string>> ListRecordedMovesAsync(string dataset, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/move/play/recorded-move-dataset/{dataset}/{move}</c>.</summary>
    Task<Guid> PlayRecordedMoveAsync(string dataset, string move, CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/motors/status</c>.</summary>
    Task<MotorControlMode> GetMotorModeAsync(CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/motors/set_mode/{mode}</c>.</summary>
    Task SetMotorModeAsync(MotorControlMode mode, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/media/play_sound</c> with a file known to the daemon.</summary>
    Task PlaySoundAsync(string file, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/media/stop_sound</c>.</summary>
    Task StopSoundAsync(CancellationToken cancellationToken = default);

    /// <summary><c>GET /api/state/doa</c>: the microphone array's direction of arrival, or null when the daemon has none.</summary>
    Task<DoaInfo?> GetDirectionOfArrivalAsync(CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/media/sounds/upload</c> (multipart "file"): stores a WAV on the daemon; returns the path to play.</summary>
    Task<string> UploadSoundAsync(ReadOnlyMemory<byte> wav, string fileName, CancellationToken cancellationToken = default);

    /// <summary><c>POST /api/media/release</c>: the daemon (≥ 1.5) lets go of the camera and audio devices.</summary>
    Task ReleaseMediaAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until <paramref name="uuid"/> is no longer among the running moves (finished, stopped or dropped).</summary>
    /// <exception cref="ReachyDaemonException">With <see cref="DaemonFailure.Timeout"/> when it still runs after <paramref name="timeout"/>.</exception>
    Task WaitForMoveEndAsync(Guid uuid, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>
    /// Frames of <c>WS /api/state/ws/full</c> at <paramref name="frequencyHz"/>, reconnecting (with backoff) when
    /// the daemon drops or restarts, until cancelled.
    /// </summary>
    IAsyncEnumerable<FullState> StreamFullStateAsync(double frequencyHz = 10, CancellationToken cancellationToken = default);

    /// <summary>Events of <c>WS /api/move/ws/updates</c> (move_started/completed/failed/cancelled), reconnecting until cancelled.</summary>
    IAsyncEnumerable<MoveUpdate> StreamMoveUpdatesAsync(CancellationToken cancellationToken = default);
}

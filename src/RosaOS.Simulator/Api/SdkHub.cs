using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Geometry;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Datasets;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Api;

/// <summary>
/// The <c>/ws/sdk</c> server: every control tick the joint positions and head pose are serialised once and
/// queued to each client (bounded 100, oldest dropped, so a slow client loses old frames and never stalls
/// the others), the daemon status once a second, and client commands are applied fire-and-forget.
/// </summary>
public sealed partial class SdkHub : BackgroundService
{
    /// <summary>Per-client queue length, as the daemon's <c>ws_server</c>.</summary>
    public const int ClientQueue = 100;

    private readonly ConcurrentDictionary<Channel<byte[]>, byte> _clients = new();
    private readonly RobotCore _robot;
    private readonly DaemonService _daemon;
    private readonly DatasetCatalog _catalog;
    private readonly ILogger<SdkHub> _logger;
    private readonly SdkRecording _recording = new();

    internal SdkHub(RobotCore robot, DaemonService daemon, DatasetCatalog catalog, ILogger<SdkHub> logger)
    {
        _robot = robot;
        _daemon = daemon;
        _catalog = catalog;
        _logger = logger;
        robot.ControlTick += OnControlTick;
    }

    /// <summary>Connected clients.</summary>
    public int ClientCount => _clients.Count;

    /// <summary>Serves one accepted socket until it closes.</summary>
    public async Task ServeAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        // DropOldest: stale poses are worthless, and the broadcaster must never wait on a slow client.
        var queue = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(ClientQueue)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = false,
        });
        _clients[queue] = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sender = SendLoopAsync(socket, queue.Reader, stop.Token);
        try
        {
            await ReceiveLoopAsync(socket, queue, stop.Token);
        }
        finally
        {
            _clients.TryRemove(queue, out _);
            queue.Writer.TryComplete();
            await stop.CancelAsync();
            try
            {
                await sender;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>Queues a message to every client.</summary>
    public void Broadcast(byte[] message)
    {
        foreach (var client in _clients.Keys)
        {
            client.Writer.TryWrite(message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!_clients.IsEmpty)
            {
                Broadcast(ApiJson.Utf8(_daemon.Status()));
            }
        }
    }

    public override void Dispose()
    {
        _robot.ControlTick -= OnControlTick;
        base.Dispose();
    }

    private void OnControlTick(RobotSnapshot snapshot)
    {
        if (_clients.IsEmpty)
        {
            return;
        }
        Broadcast(ApiJson.Utf8(new JointPositionsMessage
        {
            HeadJointPositions = snapshot.HeadJoints,
            AntennasJointPositions = snapshot.Antennas,
        }));
        Broadcast(ApiJson.Utf8(new HeadPoseMessage
        {
            HeadPose = Transform.ToRows(snapshot.HeadPose.ToArray()),
        }));
    }

    private static async Task SendLoopAsync(WebSocket socket, ChannelReader<byte[]> reader, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in reader.ReadAllAsync(cancellationToken))
            {
                await socket.SendAsync(message, WebSocketMessageType.Text, true, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync(WebSocket socket, Channel<byte[]> queue, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (message.Length > ApiJson.MaxJsonBytes)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message over 1 MiB", CancellationToken.None);
                    return;
                }
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                Handle(text, queue);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    private void Handle(string text, Channel<byte[]> queue)
    {
        JsonObject? command;
        try
        {
            command = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            command = null;
        }
        if (command is null || command["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type))
        {
            LogInvalidCommand("not a JSON object with a \"type\"");
            return;
        }
        var errors = new FieldErrors();
        switch (type)
        {
            case "set_full_target":
            {
                var head = Matrix(errors, command, "head");
                var antennas = errors.Numbers(command, "antennas", 2, []);
                var bodyYaw = errors.Number(command, "body_yaw", []);
                if (!errors.Any)
                {
                    _robot.TrySetTarget(head, antennas, bodyYaw);
                }
                break;
            }
            case "set_target":
            {
                var head = Matrix(errors, command, "head");
                if (!errors.Any && head is not null)
                {
                    _robot.TrySetTarget(head, null, null);
                }
                break;
            }
            case "set_antennas":
            {
                var antennas = errors.Numbers(command, "antennas", 2, []);
                if (!errors.Any && antennas is not null)
                {
                    _robot.TrySetTarget(null, antennas, null);
                }
                break;
            }
            case "set_body_yaw":
            {
                var bodyYaw = errors.Number(command, "body_yaw", [], required: true);
                if (!errors.Any)
                {
                    _robot.TrySetTarget(null, null, bodyYaw);
                }
                break;
            }
            case "goto_target":
            {
                var plan = ReadGoto(errors, command, []);
                if (!errors.Any)
                {
                    _robot.Play("goto", null, plan.Duration, [new GotoStep(plan.Head, plan.Antennas, plan.BodyYaw, plan.Duration, plan.Method)]);
                }
                break;
            }
            case "task":
                HandleTask(command, errors, queue);
                return;
            case "wake_up":
                _robot.Play("wake_up", null, Behaviours.WakeUpNominalS, Behaviours.WakeUp());
                break;
            case "goto_sleep":
                _robot.Play("goto_sleep", null, Behaviours.GotoSleepNominalS, Behaviours.GotoSleep());
                break;
            case "play_recorded_move":
                PlayRecorded(command, errors);
                break;
            case "set_motor_mode":
            {
                var mode = command["mode"] is JsonValue m && m.TryGetValue<string>(out var s) ? s : null;
                MotorControlMode? parsed = mode switch
                {
                    "enabled" => MotorControlMode.Enabled,
                    "disabled" => MotorControlMode.Disabled,
                    "gravity_compensation" => MotorControlMode.GravityCompensation,
                    _ => null,
                };
                if (parsed is null)
                {
                    errors.Add("enum", ["mode"], "Input should be 'enabled', 'disabled' or 'gravity_compensation'", command["mode"]);
                }
                else
                {
                    _robot.MotorMode = parsed.Value;
                }
                break;
            }
            case "set_torque":
            {
                // SDK enable_motors()/disable_motors(). With ids the daemon sets per-motor torque, which the
                // mockup backend ignores; without ids it switches the whole robot's mode.
                if (command["on"] is not JsonValue o || !o.TryGetValue<bool>(out var on))
                {
                    errors.Add("bool_type", ["on"], "Input should be a valid boolean", command["on"]);
                }
                else if (command["ids"] is null)
                {
                    _robot.MotorMode = on ? MotorControlMode.Enabled : MotorControlMode.Disabled;
                }
                break;
            }
            case "set_gravity_compensation":
            {
                // The mockup backend stores the mode (nothing to compensate); "off" returns to enabled.
                if (command["enabled"] is JsonValue g && g.TryGetValue<bool>(out var gravity))
                {
                    _robot.MotorMode = gravity ? MotorControlMode.GravityCompensation : MotorControlMode.Enabled;
                }
                else
                {
                    errors.Add("bool_type", ["enabled"], "Input should be a valid boolean", command["enabled"]);
                }
                break;
            }
            case "start_recording":
                _recording.Start();
                break;
            case "append_record":
                if (command["record"] is JsonObject record)
                {
                    if (!_recording.Append(record) && _recording.Dropped == 1)
                    {
                        LogRecordingFull(SdkRecording.MaxRecords);
                    }
                }
                else
                {
                    errors.Add("dict_type", ["record"], "Input should be a valid dictionary", command["record"]);
                }
                break;
            case "stop_recording":
                // The daemon publishes the frames once, to every client; the SDK's stop_recording() waits 5 s for them.
                Broadcast(_recording.Stop());
                break;
            case "get_imu" or "get_motor_mode" or "get_state" or "get_version" or "get_hardware_id":
                // Queries answer through a response callback that /ws/sdk discards (fire-and-forget), as on the daemon.
                return;
            case "set_automatic_body_yaw":
            {
                if (command["enabled"] is JsonValue e && e.TryGetValue<bool>(out var enabled))
                {
                    _robot.AutomaticBodyYaw = enabled;
                }
                else
                {
                    errors.Add("bool_type", ["enabled"], "Input should be a valid boolean", command["enabled"]);
                }
                break;
            }
            case "play_sound":
            {
                if (command["file"] is JsonValue f && f.TryGetValue<string>(out var file) && file.Length > 0)
                {
                    _robot.Sound.PlayFile(file);
                }
                else
                {
                    errors.Add("string_type", ["file"], "Input should be a valid string", command["file"]);
                }
                break;
            }
            default:
                LogUnsupported(type);
                return;
        }
        if (errors.Any)
        {
            LogInvalidCommand($"{type}: {errors.Summary()}");
        }
    }

    private void HandleTask(JsonObject command, FieldErrors errors, Channel<byte[]> queue)
    {
        var id = command["uuid"] is JsonValue u && u.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? g : (Guid?)null;
        if (id is null)
        {
            LogInvalidCommand("task: missing or invalid uuid");
            return;
        }
        if (command["req"] is not JsonObject req)
        {
            Reply(queue, id.Value, "task: 'req' must be an object");
            return;
        }
        if (req.ContainsKey("move_name"))
        {
            // The daemon logs a warning and never answers a PlayMoveTaskRequest over /ws/sdk.
            LogUnsupported("task/move_name");
            return;
        }
        var plan = ReadGoto(errors, req, ["req"]);
        if (errors.Any)
        {
            Reply(queue, id.Value, errors.Summary());
            return;
        }
        var handle = _robot.Play("goto", null, plan.Duration, [new GotoStep(plan.Head, plan.Antennas, plan.BodyYaw, plan.Duration, plan.Method)], id);
        _ = handle.Completion.ContinueWith(
            t => Broadcast(ApiJson.Utf8(new TaskProgressMessage
            {
                Uuid = id.Value,
                Finished = true,
                Error = t.Result == MoveOutcome.Cancelled ? "cancelled" : null,
                Timestamp = DateTimeOffset.UtcNow,
            })),
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static void Reply(Channel<byte[]> queue, Guid id, string error)
        => queue.Writer.TryWrite(ApiJson.Utf8(new TaskProgressMessage
        {
            Uuid = id,
            Finished = true,
            Error = error,
            Timestamp = DateTimeOffset.UtcNow,
        }));

    private static GotoPlan ReadGoto(FieldErrors errors, JsonObject obj, object[] loc)
    {
        var head = Matrix(errors, obj, "head", loc);
        var antennas = errors.Numbers(obj, "antennas", 2, loc);
        if (antennas is not null && (errors.Angle(antennas[0], [.. loc, "antennas", 0], obj["antennas"]) is null
            | errors.Angle(antennas[1], [.. loc, "antennas", 1], obj["antennas"]) is null))
        {
            antennas = null;
        }
        var bodyYaw = errors.Angle(errors.Number(obj, "body_yaw", loc), [.. loc, "body_yaw"], obj["body_yaw"]);
        var duration = errors.Number(obj, "duration", loc) ?? 0.5;
        if (!(duration > 0 && duration <= MoveEndpoints.MaxDurationS))
        {
            errors.Add("value_error", [.. loc, "duration"], $"duration must be within (0, {MoveEndpoints.MaxDurationS}] s", obj["duration"]);
        }
        var method = obj.ContainsKey("method") ? MoveEndpoints.ReadInterpolation(errors, obj, "method", loc) : InterpolationMethod.MinJerk;
        if (antennas is not null)
        {
            RobotCore.ClampAntennas(antennas);
        }
        return new GotoPlan(head, antennas, bodyYaw, duration, method);
    }

    private static double[]? Matrix(FieldErrors errors, JsonObject obj, string name, object[]? loc = null)
    {
        loc ??= [];
        if (!obj.TryGetPropertyValue(name, out var node) || node is null)
        {
            return null;
        }
        // The SDK sends flatten().tolist() (16 values); nested rows are accepted too.
        if (node is JsonArray rows && rows.Count == 4 && rows.All(r => r is JsonArray))
        {
            node = new JsonArray([.. rows.SelectMany(r => r!.AsArray()).Select(v => v?.DeepClone())]);
        }
        var m = errors.NumbersFrom(node, 16, [.. loc, name]);
        if (m is not null && (!Transform.IsRigid(m) || Math.Abs(m[3]) > FieldErrors.MaxTranslation
            || Math.Abs(m[7]) > FieldErrors.MaxTranslation || Math.Abs(m[11]) > FieldErrors.MaxTranslation))
        {
            errors.Add("value_error", [.. loc, name], "not a rigid transform with a translation within ±1 m", node);
            return null;
        }
        return m;
    }

    private void PlayRecorded(JsonObject command, FieldErrors errors)
    {
        var moveName = command["move_name"] is JsonValue mv && mv.TryGetValue<string>(out var n) ? n : null;
        var dataset = command["dataset_name"] is JsonValue dv && dv.TryGetValue<string>(out var d) ? d : DatasetCatalog.EmotionsDataset;
        var initial = errors.Number(command, "initial_goto_duration", []) ?? 0;
        if (moveName is null)
        {
            errors.Add("missing", ["move_name"], "Field required", command);
            return;
        }
        if (initial is < 0 or > MoveEndpoints.MaxDurationS)
        {
            errors.Add("value_error", ["initial_goto_duration"], "must be within [0, 60] s", command["initial_goto_duration"]);
            return;
        }
        try
        {
            var move = _catalog.Get(dataset, moveName);
            _robot.Play("recorded", $"{dataset}/{moveName}", move.Duration + initial, MoveEndpoints.RecordedProgram(move, initial));
        }
        catch (Exception ex) when (ex is DatasetNotFoundException or InvalidDataException or JsonException or IOException)
        {
            errors.Add("value_error", ["move_name"], ex.Message, command["move_name"]);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring /ws/sdk command: {Reason}")]
    private partial void LogInvalidCommand(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignoring /ws/sdk command {Type}: not simulated.")]
    private partial void LogUnsupported(string type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording is full ({Max} records): later records are dropped until stop_recording.")]
    private partial void LogRecordingFull(int max);
}

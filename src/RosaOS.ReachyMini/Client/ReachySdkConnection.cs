using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.ReachyMini.Client;

/// <summary>
/// The daemon's SDK socket <c>/ws/sdk</c> (reachy-mini-daemon.md §2.7): 50 Hz joint positions and head pose,
/// 1 Hz daemon status, fire-and-forget commands, and gotos with completion (<c>task</c> → <c>task_progress</c>,
/// which honours the interpolation method, unlike REST). Reconnects by itself when the daemon restarts;
/// gotos waiting at that moment fail as unreachable.
/// </summary>
public sealed partial class ReachySdkConnection : IAsyncDisposable
{
    private readonly Uri _uri;
    private readonly ReachyDaemonClientOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<TaskProgressMessage>> _tasks = new();
    private readonly Channel<JointPositionsMessage> _joints;
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private Task _loop = Task.CompletedTask;

    private ReachySdkConnection(ReachyDaemonClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        var builder = new UriBuilder(new Uri(options.BaseAddress, "/ws/sdk")) { Scheme = options.BaseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" };
        _uri = builder.Uri;
        _joints = Channel.CreateBounded<JointPositionsMessage>(new BoundedChannelOptions(100)
        {
            // Like the daemon's own per-client queue: a slow reader sees the newest frames, never stale ones.
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = false,
            SingleWriter = true,
        });
    }

    /// <summary>Joint frames as they arrive (newest kept when the reader is slow).</summary>
    public ChannelReader<JointPositionsMessage> JointPositions => _joints.Reader;

    /// <summary>The last head pose (row-major 4×4), or null before the first frame.</summary>
    public IReadOnlyList<double>? LatestHeadPose { get; private set; }

    /// <summary>The last daemon status, or null before the first one (sent at 1 Hz).</summary>
    public DaemonStatus? LatestStatus { get; private set; }

    /// <summary>True while the socket is open.</summary>
    public bool IsConnected => _socket?.State == WebSocketState.Open;

    /// <summary>Connects and waits for the first frames (as the SDK's wait_for_connection does).</summary>
    public static async Task<ReachySdkConnection> ConnectAsync(ReachyDaemonClientOptions options, ILogger<ReachySdkConnection>? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var connection = new ReachySdkConnection(options, (ILogger?)logger ?? NullLogger.Instance);
        try
        {
            connection._socket = await connection.OpenAsync(cancellationToken);
            connection._loop = Task.Run(connection.ReceiveLoopAsync, CancellationToken.None);
            await connection._firstFrame.Task.WaitAsync(options.RequestTimeout, cancellationToken);
            return connection;
        }
        catch (TimeoutException)
        {
            await connection.DisposeAsync();
            throw new ReachyDaemonException("WS /ws/sdk", DaemonFailure.Timeout, $"no frame within {options.RequestTimeout.TotalSeconds:0.#} s");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends one command object (it must carry its <c>"type"</c>).</summary>
    public async Task SendAsync(JsonObject command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var socket = _socket;
        if (socket is null || socket.State != WebSocketState.Open)
        {
            throw new ReachyDaemonException("WS /ws/sdk", DaemonFailure.Unreachable, "the SDK socket is not connected (the daemon may be restarting)");
        }
        var bytes = Encoding.UTF8.GetBytes(command.ToJsonString());
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        catch (WebSocketException e)
        {
            throw new ReachyDaemonException("WS /ws/sdk", DaemonFailure.Unreachable, e.Message, null, e);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary><c>set_full_target</c>: head (row-major 4×4), antennas [right, left] and body yaw, radians; nulls keep the current value.</summary>
    public Task SetFullTargetAsync(IReadOnlyList<double>? head, IReadOnlyList<double>? antennas, double? bodyYaw, CancellationToken cancellationToken = default)
        => SendAsync(new JsonObject
        {
            ["type"] = "set_full_target",
            ["head"] = head is null ? null : Array(head, 16, nameof(head)),
            ["antennas"] = antennas is null ? null : Array(antennas, 2, nameof(antennas)),
            ["body_yaw"] = bodyYaw,
        }, cancellationToken);

    /// <summary>A goto through the <c>task</c> protocol; returns when the daemon reports it finished.</summary>
    public async Task GotoAsync(IReadOnlyList<double>? head, IReadOnlyList<double>? antennas, double? bodyYaw, double duration,
        InterpolationMethod method = InterpolationMethod.MinJerk, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(duration) || duration <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "A goto lasts a positive, finite number of seconds.");
        }
        var uuid = Guid.NewGuid();
        var done = new TaskCompletionSource<TaskProgressMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _tasks[uuid] = done;
        try
        {
            await SendAsync(new JsonObject
            {
                ["type"] = "task",
                ["uuid"] = uuid.ToString(),
                ["req"] = new JsonObject
                {
                    ["head"] = head is null ? null : Array(head, 16, nameof(head)),
                    ["antennas"] = antennas is null ? null : Array(antennas, 2, nameof(antennas)),
                    ["duration"] = duration,
                    ["method"] = JsonSerializer.SerializeToNode(method, (JsonTypeInfo<InterpolationMethod>)ReachyJson.Options.GetTypeInfo(typeof(InterpolationMethod))),
                    ["body_yaw"] = bodyYaw,
                },
                ["timestamp"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            }, cancellationToken);
            // The SDK waits duration + 1 s; a loaded machine gets a little more.
            var progress = await done.Task.WaitAsync(TimeSpan.FromSeconds(duration + 2), cancellationToken);
            if (progress.Error is { Length: > 0 } error)
            {
                throw new ReachyDaemonException("WS /ws/sdk task", DaemonFailure.HttpStatus, error);
            }
        }
        catch (TimeoutException)
        {
            throw new ReachyDaemonException("WS /ws/sdk task", DaemonFailure.Timeout, $"goto {uuid} not reported finished within {duration + 2:0.#} s");
        }
        finally
        {
            _tasks.TryRemove(uuid, out _);
        }
    }

    private async Task<ClientWebSocket> OpenAsync(CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.RequestTimeout);
        try
        {
            await socket.ConnectAsync(_uri, limit.Token);
            return socket;
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            socket.Dispose();
            throw new ReachyDaemonException("WS /ws/sdk", DaemonFailure.Unreachable, $"cannot connect to {_uri} ({e.Message})", null, e);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var delay = _options.ReconnectDelay;
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (!_stop.IsCancellationRequested)
        {
            var socket = _socket;
            try
            {
                if (socket is null || socket.State != WebSocketState.Open)
                {
                    socket?.Dispose();
                    _socket = socket = await OpenAsync(_stop.Token);
                    delay = _options.ReconnectDelay;
                    LogReconnected(_uri);
                }
                var result = await socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    throw new WebSocketException("closed by the daemon");
                }
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    Dispatch(message.GetBuffer().AsSpan(0, (int)message.Length));
                    message.SetLength(0);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is WebSocketException or ReachyDaemonException or IOException)
            {
                message.SetLength(0);
                FailPending(e.Message);
                LogDropped(e.Message);
                try
                {
                    await Task.Delay(delay, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                if (socket is not null)
                {
                    socket.Abort();
                }
            }
        }
    }

    private void Dispatch(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            var type = document.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
            switch (type)
            {
                case "joint_positions":
                    _joints.Writer.TryWrite(document.RootElement.Deserialize((JsonTypeInfo<JointPositionsMessage>)ReachyJson.Options.GetTypeInfo(typeof(JointPositionsMessage)))!);
                    _firstFrame.TrySetResult();
                    break;
                case "head_pose":
                    var pose = document.RootElement.Deserialize((JsonTypeInfo<HeadPoseMessage>)ReachyJson.Options.GetTypeInfo(typeof(HeadPoseMessage)))!;
                    LatestHeadPose = pose.HeadPose.SelectMany(row => row).ToArray();
                    break;
                case "daemon_status":
                    LatestStatus = document.RootElement.Deserialize((JsonTypeInfo<DaemonStatus>)ReachyJson.Options.GetTypeInfo(typeof(DaemonStatus)));
                    break;
                case "task_progress":
                    var progress = document.RootElement.Deserialize((JsonTypeInfo<TaskProgressMessage>)ReachyJson.Options.GetTypeInfo(typeof(TaskProgressMessage)))!;
                    if (progress.Finished && _tasks.TryGetValue(progress.Uuid, out var pending))
                    {
                        pending.TrySetResult(progress);
                    }
                    break;
                default:
                    break;
            }
        }
        catch (JsonException e)
        {
            LogBadFrame(e.Message);
        }
    }

    private void FailPending(string reason)
    {
        foreach (var (uuid, pending) in _tasks)
        {
            pending.TrySetException(new ReachyDaemonException("WS /ws/sdk task", DaemonFailure.Unreachable, $"connection lost during goto {uuid}: {reason}"));
        }
    }

    private static JsonArray Array(IReadOnlyList<double> values, int count, string name)
    {
        if (values.Count != count || values.Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException($"{name} must be {count} finite numbers.", name);
        }
        return [.. values.Select(v => (JsonNode?)v)];
    }

    /// <summary>Closes the socket and stops reconnecting.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        FailPending("connection closed");
        _socket?.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SDK socket {Uri} connected.")]
    private partial void LogReconnected(Uri uri);

    [LoggerMessage(Level = LogLevel.Information, Message = "SDK socket dropped ({Reason}); reconnecting.")]
    private partial void LogDropped(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SDK socket skipped an unreadable frame: {Reason}")]
    private partial void LogBadFrame(string reason);
}

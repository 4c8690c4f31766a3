using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.ReachyMini.Client;

/// <summary>
/// HTTP + WebSocket client of the Reachy Mini daemon (<see cref="IReachyDaemon"/>), plus the simulation-only
/// <c>/sim/…</c> routes of <c>rosa sim</c> (virtual speaker, move log). Thread-safe; one instance per daemon.
/// </summary>
public sealed partial class ReachyDaemonClient : IReachyDaemon, IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ReachyDaemonClientOptions _options;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates a client with its own handler chain (<see cref="DaemonHttp.CreateHandler"/>: pooled connections, safe calls
    /// retried on a transient failure); <paramref name="options"/> are validated here.
    /// </summary>
    public ReachyDaemonClient(ReachyDaemonClientOptions options, ILogger<ReachyDaemonClient>? logger = null)
        : this(new HttpClient(DaemonHttp.CreateHandler()), options, logger, ownsHttp: true)
    {
    }

    /// <summary>
    /// Creates a client over <paramref name="http"/>, typically <see cref="DaemonHttp.ClientName"/> from
    /// <see cref="IHttpClientFactory"/>; its base address is set from <paramref name="options"/>.
    /// </summary>
    public ReachyDaemonClient(HttpClient http, ReachyDaemonClientOptions options, ILogger<ReachyDaemonClient>? logger = null)
        : this(http, options, logger, ownsHttp: false)
    {
    }

    private ReachyDaemonClient(HttpClient http, ReachyDaemonClientOptions options, ILogger<ReachyDaemonClient>? logger, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _http = http;
        _ownsHttp = ownsHttp;
        // Per-call timeouts are linked cancellation tokens, so the client-wide one is off.
        _http.BaseAddress = options.BaseAddress;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <inheritdoc/>
    public Uri BaseAddress => _options.BaseAddress;

    /// <inheritdoc/>
    public Task<DaemonStatus> GetStatusAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, "/api/daemon/status", null, ReadAs<DaemonStatus>, cancellationToken);

    /// <inheritdoc/>
    public Task<FullState> GetFullStateAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, "/api/state/full?with_control_mode=true&with_head_pose=true&with_body_yaw=true&with_antenna_positions=true&with_head_joints=true",
            null, ReadAs<FullState>, cancellationToken);

    /// <inheritdoc/>
    public Task<AnyPose> GetPresentHeadPoseAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, "/api/state/present_head_pose", null, ReadAs<AnyPose>, cancellationToken);

    /// <inheritdoc/>
    public Task<Guid> GotoAsync(GotoRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync(HttpMethod.Post, "/api/move/goto", Json(request), ReadUuid, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<bool> SetTargetAsync(FullBodyTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return SendAsync(HttpMethod.Post, "/api/move/set_target", Json(target),
            body => JsonNode.Parse(body)?["status"]?.GetValue<string>() == "ok", cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<Guid>> GetRunningMovesAsync(CancellationToken cancellationToken = default)
        => SendAsync<IReadOnlyList<Guid>>(HttpMethod.Get, "/api/move/running", null,
            body => ReadAs<List<MoveUuid>>(body).Select(m => m.Uuid).ToArray(), cancellationToken);

    /// <inheritdoc/>
    public Task<string> StopMoveAsync(Guid uuid, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject { ["uuid"] = uuid.ToString() };
        return SendAsync(HttpMethod.Post, "/api/move/stop", Json(body),
            text => JsonNode.Parse(text)?["message"]?.GetValue<string>() ?? $"Stopped move with UUID: {uuid}", cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Guid> WakeUpAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "/api/move/play/wake_up", null, ReadUuid, cancellationToken);

    /// <inheritdoc/>
    public Task<Guid> GotoSleepAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "/api/move/play/goto_sleep", null, ReadUuid, cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<string>> ListRecordedMovesAsync(string dataset, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        return SendAsync<IReadOnlyList<string>>(HttpMethod.Get, $"/api/move/recorded-move-datasets/list/{EscapePath(dataset)}", null,
            ReadAs<List<string>>, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<Guid> PlayRecordedMoveAsync(string dataset, string move, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(move);
        return SendAsync(HttpMethod.Post, $"/api/move/play/recorded-move-dataset/{EscapePath(dataset)}/{Uri.EscapeDataString(move)}",
            null, ReadUuid, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<MotorControlMode> GetMotorModeAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, "/api/motors/status", null, body => ReadAs<MotorStatus>(body).Mode, cancellationToken);

    /// <inheritdoc/>
    public Task SetMotorModeAsync(MotorControlMode mode, CancellationToken cancellationToken = default)
    {
        var name = mode switch
        {
            MotorControlMode.Enabled => "enabled",
            MotorControlMode.Disabled => "disabled",
            MotorControlMode.GravityCompensation => "gravity_compensation",
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        return SendAsync(HttpMethod.Post, $"/api/motors/set_mode/{name}", null, _ => true, cancellationToken);
    }

    /// <inheritdoc/>
    public Task PlaySoundAsync(string file, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        return SendAsync(HttpMethod.Post, "/api/media/play_sound", Json(new JsonObject { ["file"] = file }), _ => true, cancellationToken);
    }

    /// <inheritdoc/>
    public Task StopSoundAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "/api/media/stop_sound", null, _ => true, cancellationToken);

    /// <inheritdoc/>
    public Task<DoaInfo?> GetDirectionOfArrivalAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Get, "/api/state/doa", null, body => body.Trim() is "null" or "" ? null : ReadAs<DoaInfo>(body), cancellationToken);

    /// <inheritdoc/>
    public Task<string> UploadSoundAsync(ReadOnlyMemory<byte> wav, string fileName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        var form = new MultipartFormDataContent();
        var file = new ReadOnlyMemoryContent(wav);
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", fileName);
        return SendAsync(HttpMethod.Post, "/api/media/sounds/upload", form,
            body => JsonNode.Parse(body)?["path"]?.GetValue<string>() ?? throw new InvalidOperationException("no 'path' in the answer"),
            cancellationToken);
    }

    /// <inheritdoc/>
    public Task ReleaseMediaAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "/api/media/release", null, _ => true, cancellationToken);

    /// <inheritdoc/>
    public async Task WaitForMoveEndAsync(Guid uuid, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while ((await GetRunningMovesAsync(limit.Token)).Contains(uuid))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(40), limit.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ReachyDaemonException("GET /api/move/running", DaemonFailure.Timeout,
                $"move {uuid} still running after {timeout.TotalSeconds:0.#} s");
        }
    }

    // ---- Simulation-only routes of `rosa sim` ----

    /// <summary>True when the daemon is <c>rosa sim</c> (it answers <c>GET /sim/speaker/log</c>); false for a real robot.</summary>
    public async Task<bool> IsSimulatorAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await SendAsync(HttpMethod.Get, "/sim/speaker/log", null, _ => true, cancellationToken);
        }
        catch (ReachyDaemonException e) when (e.Failure == DaemonFailure.HttpStatus)
        {
            return false;
        }
    }

    /// <summary>
    /// <c>POST /sim/speaker</c>: plays a WAV on the simulated speaker, logging <paramref name="text"/> with it; with
    /// <paramref name="wait"/> the call returns when playback ended or was interrupted.
    /// </summary>
    public Task<SpeakerLogEntry> PlayOnSimulatedSpeakerAsync(ReadOnlyMemory<byte> wav, string? text, bool wait, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder("/sim/speaker?wait=").Append(wait ? "true" : "false");
        if (!string.IsNullOrEmpty(text))
        {
            query.Append("&text=").Append(Uri.EscapeDataString(text));
        }
        var content = new ReadOnlyMemoryContent(wav);
        content.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        // Playback takes as long as the audio: the call timeout is added to the sound's own length.
        return SendAsync(HttpMethod.Post, query.ToString(), content, ReadAs<SpeakerLogEntry>, cancellationToken,
            wait ? TimeSpan.FromMinutes(10) : null);
    }

    /// <summary><c>POST /sim/speaker/stop</c>: interrupts the sound playing on the simulated speaker.</summary>
    public Task StopSimulatedSpeakerAsync(CancellationToken cancellationToken = default)
        => SendAsync(HttpMethod.Post, "/sim/speaker/stop", null, _ => true, cancellationToken);

    /// <summary><c>GET /sim/speaker/log</c>: what the simulated speaker played, oldest first.</summary>
    public Task<IReadOnlyList<SpeakerLogEntry>> GetSpeakerLogAsync(long? sinceId = null, CancellationToken cancellationToken = default)
        => SendAsync<IReadOnlyList<SpeakerLogEntry>>(HttpMethod.Get,
            sinceId is { } id ? $"/sim/speaker/log?since={id.ToString(CultureInfo.InvariantCulture)}" : "/sim/speaker/log",
            null, ReadAs<List<SpeakerLogEntry>>, cancellationToken);

    /// <summary><c>GET /sim/moves</c>: moves the simulated robot ran or dropped.</summary>
    public Task<IReadOnlyList<MoveLogEntry>> GetMoveLogAsync(CancellationToken cancellationToken = default)
        => SendAsync<IReadOnlyList<MoveLogEntry>>(HttpMethod.Get, "/sim/moves", null, ReadAs<List<MoveLogEntry>>, cancellationToken);

    // ---- WebSocket streams ----

    /// <inheritdoc/>
    public IAsyncEnumerable<FullState> StreamFullStateAsync(double frequencyHz = 10, CancellationToken cancellationToken = default)
    {
        if (!double.IsFinite(frequencyHz) || frequencyHz <= 0 || frequencyHz > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(frequencyHz), frequencyHz, "The state stream frequency is in (0, 200] Hz.");
        }
        var path = "/api/state/ws/full?frequency=" + frequencyHz.ToString(CultureInfo.InvariantCulture)
            + "&with_head_pose=true&with_body_yaw=true&with_antenna_positions=true&with_head_joints=true";
        return StreamAsync(path, ReadAs<FullState>, cancellationToken);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<MoveUpdate> StreamMoveUpdatesAsync(CancellationToken cancellationToken = default)
        => StreamAsync("/api/move/ws/updates", ReadAs<MoveUpdate>, cancellationToken);

    /// <summary>
    /// Messages of a daemon WebSocket, parsed by <paramref name="parse"/>. A dropped connection is reopened with
    /// exponential backoff; a frame that cannot be parsed is skipped (and logged), never ends the stream.
    /// </summary>
    private async IAsyncEnumerable<T> StreamAsync<T>(string path, Func<string, T> parse, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var uri = WebSocketUri(path);
        var delay = _options.ReconnectDelay;
        while (!cancellationToken.IsCancellationRequested)
        {
            var socket = await TryConnectAsync(uri, cancellationToken);
            if (socket is null)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
                continue;
            }
            using (socket)
            {
                delay = _options.ReconnectDelay;
                LogStreamConnected(path);
                while (true)
                {
                    var text = await TryReceiveTextAsync(socket, path, cancellationToken);
                    if (text is null)
                    {
                        break;
                    }
                    T item;
                    try
                    {
                        item = parse(text);
                    }
                    catch (Exception e) when (e is JsonException or ReachyDaemonException or InvalidOperationException)
                    {
                        LogStreamBadFrame(path, e.Message);
                        continue;
                    }
                    yield return item;
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            LogStreamDropped(path);
            await Task.Delay(delay, cancellationToken);
        }
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task<ClientWebSocket?> TryConnectAsync(Uri uri, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(10);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.RequestTimeout);
        try
        {
            await socket.ConnectAsync(uri, limit.Token);
            return socket;
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException or SocketException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            socket.Dispose();
            LogStreamConnectFailed(uri.AbsolutePath, e.Message);
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<string?> TryReceiveTextAsync(ClientWebSocket socket, string path, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return null;
                }
                message.Write(buffer, 0, result.Count);
                if (message.Length > 4 * 1024 * 1024)
                {
                    LogStreamBadFrame(path, "frame larger than 4 MiB");
                    return null;
                }
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private Uri WebSocketUri(string pathAndQuery)
    {
        var builder = new UriBuilder(new Uri(_options.BaseAddress, pathAndQuery))
        {
            Scheme = _options.BaseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        };
        return builder.Uri;
    }

    // ---- REST plumbing ----

    private async Task<T> SendAsync<T>(HttpMethod method, string pathAndQuery, HttpContent? content, Func<string, T> read,
        CancellationToken cancellationToken, TimeSpan? extraTime = null)
    {
        var call = $"{method} {pathAndQuery.Split('?')[0]}";
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_options.RequestTimeout + (extraTime ?? TimeSpan.Zero));
        using var request = new HttpRequestMessage(method, pathAndQuery) { Content = content };
        string body;
        HttpStatusCode status;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token);
            status = response.StatusCode;
            body = await response.Content.ReadAsStringAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ReachyDaemonException(call, DaemonFailure.Timeout,
                $"no answer from the daemon at {_options.BaseAddress} within {(_options.RequestTimeout + (extraTime ?? TimeSpan.Zero)).TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            throw new ReachyDaemonException(call, DaemonFailure.Unreachable,
                $"the daemon at {_options.BaseAddress} is unreachable ({e.HttpRequestError}: {e.InnerException?.Message ?? e.Message})", null, e);
        }
        LogCall(call, (int)status);
        if ((int)status is < 200 or > 299)
        {
            throw new ReachyDaemonException(call, DaemonFailure.HttpStatus, $"HTTP {(int)status}: {Detail(body)}", (int)status);
        }
        try
        {
            return read(body);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ReachyDaemonException(call, DaemonFailure.InvalidResponse, $"unreadable answer ({e.Message})", (int)status, e);
        }
    }

    /// <summary>The daemon's "detail" (FastAPI errors) or the body itself, shortened.</summary>
    private static string Detail(string body)
    {
        try
        {
            var detail = JsonNode.Parse(body)?["detail"];
            if (detail is not null)
            {
                return Shorten(detail is JsonValue v && v.TryGetValue<string>(out var s) ? s : detail.ToJsonString());
            }
        }
        catch (JsonException)
        {
        }
        return string.IsNullOrWhiteSpace(body) ? "(empty body)" : Shorten(body.Trim());
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";

    private static T ReadAs<T>(string body)
        => (T)(JsonSerializer.Deserialize(body, (JsonTypeInfo)ReachyJson.Options.GetTypeInfo(typeof(T)))
            ?? throw new JsonException($"null where a {typeof(T).Name} was expected"));

    private static Guid ReadUuid(string body) => ReadAs<MoveUuid>(body).Uuid;

    private static StringContent Json<T>(T value)
        => new(JsonSerializer.Serialize(value, (JsonTypeInfo<T>)ReachyJson.Options.GetTypeInfo(typeof(T))), Encoding.UTF8, "application/json");

    private static StringContent Json(JsonObject value)
        => new(value.ToJsonString(), Encoding.UTF8, "application/json");

    private static string EscapePath(string dataset) => string.Join('/', dataset.Split('/').Select(Uri.EscapeDataString));

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "Daemon call {Call} answered {Status}.")]
    private partial void LogCall(string call, int status);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Daemon stream {Path} connected.")]
    private partial void LogStreamConnected(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Daemon stream {Path} dropped; reconnecting.")]
    private partial void LogStreamDropped(string path);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Daemon stream {Path} could not connect: {Reason}")]
    private partial void LogStreamConnectFailed(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Daemon stream {Path} skipped a frame: {Reason}")]
    private partial void LogStreamBadFrame(string path, string reason);
}

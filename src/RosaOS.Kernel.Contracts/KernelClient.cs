using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RosaOS.Kernel.Contracts;

/// <summary>How a <see cref="KernelClient"/> reaches the kernel and retries.</summary>
public sealed class KernelClientOptions
{
    /// <summary>The kernel's origin; defaults to the HttpClient's BaseAddress, else http://localhost:8765/.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Where callbacks go when not at the origin's /event (the original's CALLBACK_URL).</summary>
    public Uri? EventUrl { get; set; }

    /// <summary>Where speech goes when not at the origin's /stt (the original's STT_CALLBACK_URL).</summary>
    public Uri? SttUrl { get; set; }

    /// <summary>Where tool-call reports go when not at the origin's /api/worker-tool-calls (ROSA_TOOL_CALL_URL).</summary>
    public Uri? ToolCallUrl { get; set; }

    /// <summary>Tries per request, the first included.</summary>
    public int Attempts { get; set; } = 5;

    /// <summary>How long one try may take (a chat turn is bounded by the caller's token instead: see <see cref="KernelClient.ChatAsync"/>).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the second try; doubled before each next one, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest wait between tries.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>A kernel answer: the status, the typed body when it was a success, the refusal's <c>error</c> otherwise, and the raw text.</summary>
public sealed record KernelReply<T>(int Status, T? Answer, string? Error, string Body)
{
    public bool Success => Status is >= 200 and < 300;
}

/// <summary>
/// The one client of the kernel's HTTP API (the worker, the speech loop, <c>rosa chat</c>, <c>rosa status</c>,
/// <c>rosa approvals</c>, <c>rosa estop</c>), with one retry policy: a request that never reached the kernel
/// (connection refused: it is restarting) is tried again, always; a request that may have reached it (a lost answer,
/// a timeout, a 5xx or 429) is tried again only when it carries an idempotency key, with the same key, so the kernel
/// takes it once. A 4xx is final. Waits double from <see cref="KernelClientOptions.FirstDelay"/>. Typed-client style:
/// takes its <see cref="HttpClient"/> (<c>services.AddHttpClient&lt;KernelClient&gt;()</c>).
/// </summary>
public sealed partial class KernelClient
{
    private readonly HttpClient _http;
    private readonly KernelClientOptions _options;
    private readonly ILogger _logger;
    private readonly Uri _base;

    /// <summary>One constructor, so a typed-client registration can build it; <paramref name="logger"/> gets the retries.</summary>
    public KernelClient(HttpClient http, KernelClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _options = options ?? new KernelClientOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Attempts, 1);
        _logger = logger ?? NullLogger.Instance;
        var origin = _options.BaseAddress ?? http.BaseAddress ?? new Uri("http://localhost:8765/");
        // Paths resolve under the base (a kernel behind a path prefix keeps it).
        _base = origin.AbsoluteUri.EndsWith('/') ? origin : new Uri(origin.AbsoluteUri + "/");
    }

    /// <summary>The kernel's origin.</summary>
    public Uri BaseAddress => _base;

    /// <summary>A worker's callback under its task's key.</summary>
    public Task<KernelReply<KernelAck>> PostEventAsync(EventRequest request, string idempotencyKey, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, _options.EventUrl ?? Url("/event"), Json(request, KernelJson.Default.EventRequest), KernelJson.Default.KernelAck,
            idempotencyKey, null, _options.AttemptTimeout, cancellationToken);

    /// <summary>What the robot heard, under the utterance's key (with the turn's traceparent).</summary>
    public Task<KernelReply<KernelAck>> PostSttAsync(SttRequest request, string idempotencyKey, string? traceParent, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, _options.SttUrl ?? Url("/stt"), Json(request, KernelJson.Default.SttRequest), KernelJson.Default.KernelAck,
            idempotencyKey, traceParent, _options.AttemptTimeout, cancellationToken);

    /// <summary>A tool call's report under its key.</summary>
    public Task<KernelReply<KernelAck>> ReportToolCallAsync(ToolCallReport report, string idempotencyKey, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, _options.ToolCallUrl ?? Url("/api/worker-tool-calls"), Json(report, KernelJson.Default.ToolCallReport),
            KernelJson.Default.KernelAck, idempotencyKey, null, _options.AttemptTimeout, cancellationToken);

    /// <summary>
    /// One chat turn; waits for the kernel's reply as long as <paramref name="cancellationToken"/> allows. /chat takes no
    /// idempotency key, so only a refused connection is tried again: a turn is never sent twice.
    /// </summary>
    public Task<KernelReply<ChatAnswer>> ChatAsync(ChatRequest request, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, Url("/chat"), Json(request, KernelJson.Default.ChatRequest), KernelJson.Default.ChatAnswer,
            null, null, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>The outgoing messages queued since the last call (the original's /updates).</summary>
    public Task<KernelReply<UpdatesAnswer>> UpdatesAsync(CancellationToken cancellationToken)
        => GetAsync("/updates", KernelJson.Default.UpdatesAnswer, cancellationToken);

    /// <summary>The tasks, running and recent.</summary>
    public Task<KernelReply<ProcessesAnswer>> ProcessesAsync(CancellationToken cancellationToken)
        => GetAsync("/api/processes", KernelJson.Default.ProcessesAnswer, cancellationToken);

    /// <summary><c>GET /health</c>: the kernel's version, uptime and queues.</summary>
    public Task<KernelReply<JsonObject>> HealthAsync(CancellationToken cancellationToken) => GetObjectAsync("/health", cancellationToken);

    /// <summary>The latest journal entries.</summary>
    public Task<KernelReply<JournalAnswer>> JournalAsync(int limit, CancellationToken cancellationToken)
        => GetAsync($"/api/journal?limit={limit}", KernelJson.Default.JournalAnswer, cancellationToken);

    /// <summary>A GET whose answer is read as a JSON object (the stop's and approvals' answers, owned by the drivers' contract).</summary>
    public Task<KernelReply<JsonObject>> GetObjectAsync(string path, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Get, Url(path), null, ObjectInfo, null, null, _options.AttemptTimeout, cancellationToken);

    /// <summary>Presses the stop (anyone may; pressing twice is pressing once, so it is retried).</summary>
    public Task<KernelReply<JsonObject>> EngageEstopAsync(EstopRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, Url("/api/estop"), Json(request, KernelJson.Default.EstopRequest), ObjectInfo,
            "estop:" + Guid.NewGuid().ToString("N"), null, timeout, cancellationToken);

    /// <summary>A person releases the stop.</summary>
    public Task<KernelReply<JsonObject>> ReleaseEstopAsync(EstopReleaseRequest request, TimeSpan timeout, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, Url("/api/estop/release"), Json(request, KernelJson.Default.EstopReleaseRequest), ObjectInfo,
            null, null, timeout, cancellationToken);

    /// <summary>A person approves or denies one waiting call.</summary>
    public Task<KernelReply<JsonObject>> DecideApprovalAsync(string driver, string id, bool approve, ApprovalDecisionBody body, CancellationToken cancellationToken)
        => SendAsync(HttpMethod.Post, Url($"/api/approvals/{Uri.EscapeDataString(driver)}/{Uri.EscapeDataString(id)}/{(approve ? "approve" : "deny")}"),
            Json(body, KernelJson.Default.ApprovalDecisionBody), ObjectInfo, null, null, _options.AttemptTimeout, cancellationToken);

    private static JsonTypeInfo<JsonObject> ObjectInfo => (JsonTypeInfo<JsonObject>)KernelJson.Default.GetTypeInfo(typeof(JsonObject))!;

    private Task<KernelReply<T>> GetAsync<T>(string path, JsonTypeInfo<T> answer, CancellationToken cancellationToken)
        // A GET changes nothing: every failure may be tried again.
        => SendAsync(HttpMethod.Get, Url(path), null, answer, "get", null, _options.AttemptTimeout, cancellationToken);

    private Uri Url(string path) => new(_base, path.TrimStart('/'));

    private static Func<HttpContent> Json<T>(T value, JsonTypeInfo<T> info) => () => JsonContent.Create(value, info);

    /// <summary>
    /// The retry policy. <paramref name="idempotencyKey"/> non-null marks a request that is safe to repeat (sent as the
    /// Idempotency-Key header on POSTs); "get" marks a GET.
    /// </summary>
    private async Task<KernelReply<T>> SendAsync<T>(HttpMethod method, Uri url, Func<HttpContent>? content, JsonTypeInfo<T> answer,
        string? idempotencyKey, string? traceParent, TimeSpan attemptTimeout, CancellationToken cancellationToken)
    {
        var repeatable = idempotencyKey is not null;
        var delay = _options.FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            string reason;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (attemptTimeout != Timeout.InfiniteTimeSpan)
            {
                timeout.CancelAfter(attemptTimeout);
            }
            try
            {
                using var request = new HttpRequestMessage(method, url) { Content = content?.Invoke() };
                if (idempotencyKey is not null && method == HttpMethod.Post)
                {
                    request.Headers.Add("Idempotency-Key", idempotencyKey);
                }
                if (traceParent is not null)
                {
                    request.Headers.TryAddWithoutValidation("traceparent", traceParent);
                }
                using var response = await _http.SendAsync(request, timeout.Token);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(timeout.Token);
                var transient = status >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests;
                if (!transient || !repeatable || attempt >= _options.Attempts)
                {
                    return Read(status, body, answer);
                }
                reason = $"{status} {response.StatusCode}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!repeatable || attempt >= _options.Attempts)
                {
                    throw new TimeoutException($"the kernel at {url.GetLeftPart(UriPartial.Authority)} did not answer within {attemptTimeout.TotalSeconds:0.#} s");
                }
                reason = $"no answer within {attemptTimeout.TotalSeconds:0.#} s";
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                // Refused: nothing reached the kernel, so even a request without a key may be sent again.
                var refused = e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
                if (!(repeatable || refused) || attempt >= _options.Attempts)
                {
                    throw;
                }
                reason = e.Message;
            }
            LogRetry(_logger, method.Method, url, attempt, reason, delay.TotalMilliseconds);
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxDelay.Ticks));
        }
    }

    private static KernelReply<T> Read<T>(int status, string body, JsonTypeInfo<T> answer)
    {
        T? value = default;
        string? error = null;
        try
        {
            if (status is >= 200 and < 300)
            {
                value = JsonSerializer.Deserialize(body, answer);
            }
            // A refusal is a problem document that keeps the original's "error"; "detail" is read when a proxy or a newer kernel sends only that.
            else if (JsonNode.Parse(body) is JsonObject refusal
                && (refusal["error"] ?? refusal["detail"]) is JsonValue e && e.TryGetValue<string>(out var text))
            {
                error = text;
            }
        }
        catch (JsonException)
        {
            // Not the kernel's JSON (a proxy's page): the caller sees the status and the raw body.
        }
        return new KernelReply<T>(status, value, error ?? (status is >= 200 and < 300 ? null : body), body);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Url} (try {Attempt}) failed: {Reason}; trying again in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, string method, Uri url, int attempt, string reason, double delayMs);
}

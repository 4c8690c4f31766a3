using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace RosaOS.Hosting;

/// <summary>
/// One trace per voice or chat turn, from the end of the user's speech (or the chat POST) to the first audio sample
/// played. Every process creates its spans with <see cref="ActivitySource"/>s named <see cref="SourceName"/>
/// (System.Diagnostics, so an OpenTelemetry SDK can export the same spans); the context crosses processes as a W3C
/// <c>traceparent</c>: an HTTP header to the kernel's /stt, a field of the worker's task, the MCP request's
/// <c>_meta</c> (the MCP SDK's own activities carry it). Each process sends its finished spans to the kernel
/// (<c>POST /api/turns/spans</c>), which keeps each turn's breakdown in its database.
/// </summary>
public static class TurnTracing
{
    /// <summary>The activity source name of every rosaOS turn span.</summary>
    public const string SourceName = "RosaOS.Turns";

    /// <summary>This assembly's source of turn spans (other projects create their own with the same name).</summary>
    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The MCP SDK's activity source: listened to only to carry the trace context through tool calls.</summary>
    public const string McpSourceName = "Experimental.ModelContextProtocol";

    /// <summary>The HTTP header and task field of the W3C trace context.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>Overrides where a process sends its spans (default: the kernel's origin + /api/turns/spans).</summary>
    public const string SpansUrlVariable = "ROSA_TURN_SPANS_URL";

    /// <summary>The kernel route that takes spans.</summary>
    public const string SpansPath = "/api/turns/spans";

    /// <summary>Span names (the breakdown's steps).</summary>
    public static class Spans
    {
        public const string VoiceTurn = "voice.turn";
        public const string EndOfUtterance = "speech.end_of_utterance";
        public const string Acknowledge = "speech.acknowledge";
        public const string Transcribe = "speech.transcribe";
        public const string Post = "speech.post";
        public const string ChatReceived = "chat.received";
        public const string KernelTurn = "kernel.turn";
        public const string LlmRequest = "llm.request";
        public const string ToolCall = "tool.call";
        public const string WorkerTask = "worker.task";
        public const string Speak = "speak.queued";
        public const string Synthesis = "tts.first_chunk";
        public const string FirstSample = "audio.first_sample";
    }

    /// <summary>The context of a <c>traceparent</c> value, or default when absent or malformed.</summary>
    public static ActivityContext Parse(string? traceParent)
        => traceParent is { Length: > 0 and < 128 } && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;

    /// <summary>The <c>traceparent</c> of <paramref name="activity"/> (W3C format), or null.</summary>
    public static string? Format(Activity? activity) => activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>Where this process sends spans: <see cref="SpansUrlVariable"/>, else the origin of <paramref name="kernelUrl"/> + /api/turns/spans.</summary>
    public static Uri? SpansUrl(string? kernelUrl)
    {
        var explicitUrl = RosaEnvironment.Get(SpansUrlVariable);
        if (explicitUrl is not null)
        {
            return Uri.TryCreate(explicitUrl, UriKind.Absolute, out var u) ? u : null;
        }
        return kernelUrl is not null && Uri.TryCreate(kernelUrl, UriKind.Absolute, out var k) ? new Uri(k, SpansPath) : null;
    }

    /// <summary>A finished span as stored and sent.</summary>
    public static TurnSpan ToSpan(Activity activity, string process)
    {
        ArgumentNullException.ThrowIfNull(activity);
        Dictionary<string, string>? tags = null;
        foreach (var (key, value) in activity.Tags)
        {
            if (value is not null)
            {
                (tags ??= new(StringComparer.Ordinal))[key] = value;
            }
        }
        return new TurnSpan(activity.TraceId.ToHexString(), activity.SpanId.ToHexString(),
            activity.ParentSpanId == default ? null : activity.ParentSpanId.ToHexString(), activity.OperationName, process,
            (activity.StartTimeUtc - DateTime.UnixEpoch).TotalMilliseconds,
            activity.Duration.TotalMilliseconds, tags);
    }
}

/// <summary>One finished span of a turn (wire and storage shape).</summary>
public sealed record TurnSpan(
    [property: JsonPropertyName("trace_id")] string TraceId,
    [property: JsonPropertyName("span_id")] string SpanId,
    [property: JsonPropertyName("parent_id")] string? ParentId,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("process")] string Process,
    [property: JsonPropertyName("start_ms")] double StartUnixMs,
    [property: JsonPropertyName("duration_ms")] double DurationMs,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, string>? Attributes);

/// <summary>A batch of spans (body of POST /api/turns/spans).</summary>
public sealed record TurnSpanBatch([property: JsonPropertyName("spans")] IReadOnlyList<TurnSpan> Spans);

/// <summary>
/// Listens to this process's turn spans and hands each finished one to a sink (the kernel's database, or an HTTP
/// forwarder). Also enables the MCP SDK's activities inside a trace, so its requests carry the trace context in
/// <c>_meta</c>; those are not recorded. Spans are only created inside a trace (a parent exists) or by the code that
/// starts one.
/// </summary>
public sealed partial class TurnSpanCollector : IAsyncDisposable
{
    private readonly ActivityListener _listener;
    private readonly Channel<TurnSpan> _spans;
    private readonly Task _pump;
    private readonly string _process;
    private readonly ILogger _logger;
    private readonly TracerProvider? _export;
    private long _dropped;

    /// <summary>Starts listening; finished spans go to <paramref name="sink"/> in batches, off the caller's path.</summary>
    public TurnSpanCollector(string process, Func<IReadOnlyList<TurnSpan>, CancellationToken, Task> sink, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _process = process;
        _logger = logger;
        // Bounded, drop-oldest: a kernel that is down costs old spans, never memory or the turn's time.
        _spans = Channel.CreateBounded<TurnSpan>(new BoundedChannelOptions(2048) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is TurnTracing.SourceName or TurnTracing.McpSourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> o) =>
                o.Source.Name == TurnTracing.SourceName || o.Parent.TraceId != default ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = a =>
            {
                if (a.Source.Name == TurnTracing.SourceName)
                {
                    _spans.Writer.TryWrite(TurnTracing.ToSpan(a, _process));
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
        // The same spans to an OpenTelemetry collector, when one is configured (every process that collects spans).
        _export = TurnExport.Start(process, logger);
        _pump = Task.Run(() => PumpAsync(sink));
    }

    /// <summary>Spans lost because the sink could not keep up or failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A collector that POSTs batches to <paramref name="url"/> (the kernel).</summary>
    public static TurnSpanCollector ToKernel(string process, Uri url, HttpClient http, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(http);
        var failing = false;
        return new TurnSpanCollector(process, async (batch, ct) =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await http.PostAsJsonAsync(url, new TurnSpanBatch(batch), timeout.Token);
                response.EnsureSuccessStatusCode();
                failing = false;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                if (!failing)
                {
                    LogSendFailed(logger, batch.Count, url, e.Message);
                }
                failing = true;
            }
        }, logger);
    }

    private async Task PumpAsync(Func<IReadOnlyList<TurnSpan>, CancellationToken, Task> sink)
    {
        var batch = new List<TurnSpan>(64);
        while (await _spans.Reader.WaitToReadAsync())
        {
            while (batch.Count < 256 && _spans.Reader.TryRead(out var span))
            {
                batch.Add(span);
            }
            try
            {
                await sink(batch.ToArray(), CancellationToken.None);
            }
            catch (Exception e)
            {
                Interlocked.Add(ref _dropped, batch.Count);
                LogSinkFailed(_logger, batch.Count, e.Message);
            }
            batch.Clear();
        }
    }

    /// <summary>Stops listening and sends what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        _spans.Writer.TryComplete();
        await _pump.WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Flushes what is batched, bounded so an unreachable collector cannot hold up a shutdown.
        _export?.Shutdown(2000);
        _export?.Dispose();
    }

    /// <summary>Milliseconds as text for span attributes.</summary>
    public static string Ms(double ms) => ms.ToString("0.###", CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not send {Count} turn span(s) to {Url}: {Reason} (said once per outage).")]
    private static partial void LogSendFailed(ILogger logger, int count, Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store {Count} turn span(s): {Reason}.")]
    private static partial void LogSinkFailed(ILogger logger, int count, string reason);
}

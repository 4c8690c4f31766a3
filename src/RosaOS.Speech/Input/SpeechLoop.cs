using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RosaOS.Kernel.Contracts;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Speech.Audio;

namespace RosaOS.Speech.Input;

/// <summary>Settings of the speech loop; defaults are the original's.</summary>
public sealed class SpeechLoopOptions
{
    /// <summary>The original's default kernel endpoint.</summary>
    public static readonly Uri DefaultCallbackUrl = new("http://localhost:8765/stt");

    /// <summary>The word that wakes the robot (original: "hello"); matched as whole words, case-insensitively.</summary>
    public string WakeWord { get; set; } = "hello";

    /// <summary>Where transcripts go as <c>{"text": …}</c> (STT_CALLBACK_URL).</summary>
    public Uri CallbackUrl { get; set; } = DefaultCallbackUrl;

    /// <summary>How long to wait for the request after the wake word (original: 20 s).</summary>
    public TimeSpan FollowUpTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The follow-up window: for this long after the robot finishes speaking, an utterance that starts then is taken as a
    /// request without the wake word (0 switches it off). Only utterances that start after the speech ended count, so the
    /// robot's own voice heard by its microphone is never taken for an answer.
    /// </summary>
    public TimeSpan FollowUpWindow { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Utterances waiting for transcription (original: 8); more are dropped with a warning.</summary>
    public int QueueCapacity { get; set; } = 8;

    /// <summary>How often the direction of arrival is sampled while capturing (original: 0.15 s).</summary>
    public TimeSpan DirectionPollInterval { get; set; } = TimeSpan.FromSeconds(0.15);

    /// <summary>Longest pause before reopening a failed microphone (doubles from 0.5 s up to this).</summary>
    public TimeSpan MaxCaptureRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts to deliver a transcript while the kernel is down or failing (5xx).</summary>
    public int CallbackAttempts { get; set; } = 3;

    /// <summary>Utterance segmentation.</summary>
    public SegmenterOptions Segmenter { get; set; } = new();

    /// <summary>
    /// The offline keyword that engages the emergency stop (pocketsphinx keyword spotting); null (the default) switches it
    /// off. Opt-in (<c>--stop-keyword</c>): short words such as "stock" or "top" can also trigger it; see docs/speech-input.md.
    /// </summary>
    public string? StopKeyword { get; set; }

    /// <summary>The pocketsphinx program used for the stop keyword.</summary>
    public string PocketSphinxExecutable { get; set; } = "pocketsphinx_continuous";

    /// <summary>Throws when a value is unusable.</summary>
    public void Validate()
    {
        if (PocketSphinxTranscriber.Normalise(WakeWord ?? "").Length == 0)
        {
            throw new ArgumentException("The wake word must contain letters.");
        }
        if (!CallbackUrl.IsAbsoluteUri || (CallbackUrl.Scheme != Uri.UriSchemeHttp && CallbackUrl.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"STT_CALLBACK_URL must be an absolute http(s) URL, not {CallbackUrl}.");
        }
        if (FollowUpTimeout <= TimeSpan.Zero || FollowUpTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(FollowUpTimeout), FollowUpTimeout, "The follow-up timeout must be within (0, 10 min].");
        }
        if (FollowUpWindow < TimeSpan.Zero || FollowUpWindow > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(FollowUpWindow), FollowUpWindow, "The follow-up window must be within [0, 10 min].");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CallbackAttempts, 1);
        Segmenter.Validate();
    }
}

/// <summary>What the loop is doing, for /health, MCP and logs (snake_case on the wire).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SpeechLoopState>))]
public enum SpeechLoopState
{
    /// <summary>Not running.</summary>
    [JsonStringEnumMemberName("stopped")]
    Stopped,

    /// <summary>Listening for the wake word.</summary>
    [JsonStringEnumMemberName("waiting_for_wake_word")]
    WaitingForWakeWord,

    /// <summary>Heard the wake word; turning toward the speaker.</summary>
    [JsonStringEnumMemberName("turning")]
    Turning,

    /// <summary>In the listening pose, waiting for the request.</summary>
    [JsonStringEnumMemberName("listening")]
    Listening,

    /// <summary>Transcribing and posting the request.</summary>
    [JsonStringEnumMemberName("posting")]
    Posting,
}

/// <summary>A snapshot of the loop's counters.</summary>
public sealed record SpeechLoopStatus
{
    /// <summary>Current state.</summary>
    public SpeechLoopState State { get; init; }

    /// <summary>True while audio arrives from the microphone.</summary>
    public bool Capturing { get; init; }

    /// <summary>Utterances cut from the audio.</summary>
    public long Utterances { get; init; }

    /// <summary>Utterances dropped because the transcription queue was full.</summary>
    public long DroppedQueueFull { get; init; }

    /// <summary>Times the wake word was heard.</summary>
    public long WakeUps { get; init; }

    /// <summary>Times the wake word stopped the robot's own speech (barge-in).</summary>
    public long BargeIns { get; init; }

    /// <summary>Requests taken without the wake word inside the follow-up window.</summary>
    public long FollowUps { get; init; }

    /// <summary>Utterances heard and ignored: neither the wake word nor inside the follow-up window.</summary>
    public long Ignored { get; init; }

    /// <summary>True while the robot takes speech as a request: after the wake word, or inside the follow-up window.</summary>
    public bool Listening { get; init; }

    /// <summary>When the follow-up window closes (UTC), while it is open.</summary>
    public DateTime? FollowUpUntil { get; init; }

    /// <summary>Transcripts delivered to the callback.</summary>
    public long Posted { get; init; }

    /// <summary>Transcripts that could not be delivered.</summary>
    public long PostFailures { get; init; }

    /// <summary>The last words transcribed.</summary>
    public string? LastTranscript { get; init; }

    /// <summary>The last fault, in words, or null.</summary>
    public string? LastError { get; init; }
}

/// <summary>One cut of speech with the direction it came from (the latest valid DoA reading while it lasted).</summary>
/// <param name="Audio">The voiced audio with its pre-roll.</param>
/// <param name="Direction">Where it came from, when known.</param>
/// <param name="EndedAt">When the segmenter decided it had ended (UTC; after the trailing silence), or null.</param>
/// <param name="StartedAt">When its speech began (UTC; the cut time less its length, pre-roll excluded), or null.</param>
public sealed record Utterance(AudioClip Audio, DoaInfo? Direction, DateTime? EndedAt = null, DateTime? StartedAt = null);

/// <summary>
/// The robot's ear, as the original's background loop: microphone → VAD segmenter → bounded queue of utterances →
/// transcription → wake word → turn toward the voice and listening pose → the next utterance is transcribed and
/// POSTed as <c>{"text": …}</c> to the kernel. Faults are logged, retried or dropped with a reason; the loop only
/// ends when its token is cancelled.
/// </summary>
public sealed partial class SpeechLoop
{
    /// <summary>Turn spans (same name as RosaOS.Hosting's TurnTracing.SourceName): each voice turn's trace starts here.</summary>
    private static readonly ActivitySource Turns = new("RosaOS.Turns");

    private readonly IAudioSource _source;
    private readonly IVoiceActivityDetector _vad;
    private readonly ISpeechToText _stt;
    private readonly ISpeechRobot _robot;
    private readonly HttpClient _http;
    private readonly KernelClient _kernel;
    private readonly SpeechLoopOptions _options;
    private readonly ILogger _logger;
    private readonly Regex _wake;
    private readonly Lock _gate = new();
    private SpeechLoopStatus _status = new();
    private (DoaInfo Reading, long At)? _direction;
    private Channel<float[]>? _stopBlocks;

    /// <summary>Creates the loop; <see cref="RunAsync"/> runs it.</summary>
    public SpeechLoop(IAudioSource source, IVoiceActivityDetector vad, ISpeechToText stt, ISpeechRobot robot, HttpClient http,
        SpeechLoopOptions options, ILogger<SpeechLoop> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _vad = vad ?? throw new ArgumentNullException(nameof(vad));
        _stt = stt ?? throw new ArgumentNullException(nameof(stt));
        _robot = robot ?? throw new ArgumentNullException(nameof(robot));
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _options = options;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        // Each try gets 5 s; waits of 0.5 s, 1 s, … between them (retries are logged by the client).
        _kernel = new KernelClient(http, new KernelClientOptions
        {
            SttUrl = options.CallbackUrl, Attempts = options.CallbackAttempts, AttemptTimeout = TimeSpan.FromSeconds(5), FirstDelay = TimeSpan.FromSeconds(0.5),
        }, logger);
        var wake = PocketSphinxTranscriber.Normalise(options.WakeWord);
        _wake = new Regex($@"(?:^|\s){Regex.Escape(wake)}(?:\s|$)", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>The loop's state and counters now.</summary>
    public SpeechLoopStatus Status
    {
        get
        {
            SpeechLoopStatus status;
            lock (_gate)
            {
                status = _status;
            }
            var until = FollowUpUntil(DateTime.UtcNow);
            return status with { Listening = status.State == SpeechLoopState.Listening || until is not null, FollowUpUntil = until };
        }
    }

    /// <summary>When the follow-up window closes, if it is open at <paramref name="now"/> (the robot finished speaking less than the window ago).</summary>
    private DateTime? FollowUpUntil(DateTime now)
    {
        if (_options.FollowUpWindow <= TimeSpan.Zero)
        {
            return null;
        }
        var (speaking, finishedAt) = _robot.Voice;
        return !speaking && finishedAt is { } f && now < f + _options.FollowUpWindow ? f + _options.FollowUpWindow : null;
    }

    /// <summary>
    /// True when <paramref name="utterance"/> began inside the follow-up window: after the robot's speech ended (so its own
    /// voice never counts) and before the window closed, with the robot silent since.
    /// </summary>
    private bool InFollowUpWindow(Utterance utterance)
    {
        if (_options.FollowUpWindow <= TimeSpan.Zero || utterance.StartedAt is not { } started)
        {
            return false;
        }
        var (speaking, finishedAt) = _robot.Voice;
        return !speaking && finishedAt is { } f && started >= f && started <= f + _options.FollowUpWindow;
    }

    /// <summary>Runs capture and the wake-word loop until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // Bounded like the original's queue.Queue(maxsize=8); the capture side uses TryWrite and drops (with a warning)
        // when full, so a slow transcription service never stalls the microphone. One reader (the loop), one writer (capture).
        var queue = Channel.CreateBounded<Utterance>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        LogStarting(_logger, _source.Description, _vad.Name, _stt.Name, _options.WakeWord, _options.CallbackUrl);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // The stop keyword hears the raw microphone, not utterances: it must not wait for the segmenter's 1.5 s of silence.
        var spotter = Task.CompletedTask;
        if (_options.StopKeyword is { } keyword && PocketSphinxTranscriber.Normalise(keyword).Length > 0)
        {
            _stopBlocks = Channel.CreateBounded<float[]>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true });
            var spotting = new StopKeywordSpotter(keyword, _options.PocketSphinxExecutable, _logger);
            spotter = Task.Run(() => spotting.RunAsync(_stopBlocks.Reader,
                ct => _robot.EmergencyStopAsync($"the stop keyword \"{spotting.Keyword}\" was heard", ct), stop.Token), CancellationToken.None);
        }
        var capture = Task.Run(() => CaptureAsync(queue.Writer, stop.Token), CancellationToken.None);
        var direction = Task.Run(() => PollDirectionAsync(stop.Token), CancellationToken.None);
        var listening = Task.Run(() => PublishListeningAsync(stop.Token), CancellationToken.None);
        try
        {
            await MainAsync(queue.Reader, stop.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stop.CancelAsync();
            _stopBlocks?.Writer.TryComplete();
            await Task.WhenAll(capture, direction, spotter, listening).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Update(s => s with { State = SpeechLoopState.Stopped, Capturing = false });
            LogStopped(_logger);
        }
    }

    private async Task MainAsync(ChannelReader<Utterance> queue, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Update(s => s with { State = SpeechLoopState.WaitingForWakeWord });
            var utterance = await queue.ReadAsync(cancellationToken);
            var transcribeStart = DateTime.UtcNow;
            var text = await TranscribeAsync(utterance, cancellationToken);
            var transcribeEnd = DateTime.UtcNow;
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }
            var normalised = PocketSphinxTranscriber.Normalise(text);
            var match = _wake.Match(normalised);
            if (!match.Success)
            {
                if (InFollowUpWindow(utterance))
                {
                    // An answer right after the robot spoke: a request without the wake word.
                    LogFollowUp(_logger, text, _options.FollowUpWindow.TotalSeconds);
                    Update(s => s with { State = SpeechLoopState.Posting, FollowUps = s.FollowUps + 1 });
                    var acknowledged = AcknowledgeAsync(cancellationToken);
                    await PostTracedAsync(text, utterance, transcribeStart, transcribeEnd, acknowledged, cancellationToken);
                    continue;
                }
                LogNotWakeWord(_logger, text);
                Update(s => s with { Ignored = s.Ignored + 1 });
                continue;
            }
            // Only the trigger matters: older utterances were said before the robot was addressed.
            while (queue.TryRead(out _))
            {
            }
            // Barge-in: addressed while speaking, the robot stops talking (what was queued is dropped) and listens.
            var bargedIn = _robot.StopSpeaking("the wake word (barge-in)");
            Update(s => s with { State = SpeechLoopState.Turning, WakeUps = s.WakeUps + 1, BargeIns = s.BargeIns + (bargedIn ? 1 : 0) });
            LogWakeWord(_logger, text, bargedIn);
            // "hello, what do you see" in one breath: the words after the wake word are the request.
            var rest = normalised[(match.Index + match.Length)..].Trim();
            if (rest.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 2)
            {
                // Heard at once: acknowledge and post before turning, so the turn's 2 s goto does not delay the answer.
                var acknowledged = AcknowledgeAsync(cancellationToken);
                await PostTracedAsync(rest, utterance, transcribeStart, transcribeEnd, acknowledged, cancellationToken);
                await TurnTowardAsync(utterance.Direction, cancellationToken);
                continue;
            }
            await TurnTowardAsync(utterance.Direction, cancellationToken);

            using var listening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var pose = ListenAsync(listening.Token);
            try
            {
                Update(s => s with { State = SpeechLoopState.Listening });
                Utterance? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    wait.CancelAfter(_options.FollowUpTimeout);
                    try
                    {
                        next = await queue.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        LogNoFollowUp(_logger, _options.FollowUpTimeout.TotalSeconds);
                    }
                }
                if (next is null)
                {
                    continue;
                }
                // The request has ended: show at once that it was heard (no LLM involved), then transcribe it.
                await listening.CancelAsync();
                await pose;
                var acknowledged = AcknowledgeAsync(cancellationToken);
                Update(s => s with { State = SpeechLoopState.Posting });
                transcribeStart = DateTime.UtcNow;
                var request = await TranscribeAsync(next, cancellationToken);
                transcribeEnd = DateTime.UtcNow;
                if (string.IsNullOrEmpty(request))
                {
                    LogEmptyRequest(_logger);
                    await acknowledged;
                    continue;
                }
                await PostTracedAsync(request, next, transcribeStart, transcribeEnd, acknowledged, cancellationToken);
            }
            finally
            {
                await listening.CancelAsync();
                await pose;
            }
        }
    }

    /// <summary>Starts the acknowledgement gesture; completes with the time it started (null when the robot refused or failed).</summary>
    private async Task<(DateTime Start, DateTime? Started)> AcknowledgeAsync(CancellationToken cancellationToken)
    {
        var start = DateTime.UtcNow;
        try
        {
            await _robot.AcknowledgeAsync(cancellationToken);
            return (start, DateTime.UtcNow);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRobotFault(_logger, "acknowledge the request", ex.Message);
            return (start, null);
        }
    }

    /// <summary>
    /// Posts the request inside the turn's trace: the root span starts when the utterance was cut (end of speech plus the
    /// segmenter's silence), with the transcription, the acknowledgement and the POST as its children; the POST carries
    /// the trace to the kernel as a W3C traceparent header.
    /// </summary>
    private async Task PostTracedAsync(string text, Utterance utterance, DateTime transcribeStart, DateTime transcribeEnd,
        Task<(DateTime Start, DateTime? Started)> acknowledged, CancellationToken cancellationToken)
    {
        var previous = Activity.Current;
        Activity.Current = null;
        var endedAt = utterance.EndedAt ?? transcribeStart;
        using var turn = Turns.StartActivity("voice.turn", ActivityKind.Producer, default(ActivityContext), startTime: endedAt);
        try
        {
            turn?.SetTag("text", text);
            turn?.SetTag("silence_wait_ms", (_options.Segmenter.SilenceEndSeconds * 1000).ToString("0", System.Globalization.CultureInfo.InvariantCulture));
            using (var transcribe = Turns.StartActivity("speech.transcribe", ActivityKind.Internal, default(ActivityContext), startTime: transcribeStart))
            {
                transcribe?.SetTag("engine", _stt.Name);
                transcribe?.SetEndTime(transcribeEnd);
            }
            using (var post = Turns.StartActivity("speech.post", ActivityKind.Client))
            {
                await PostAsync(text, post?.Id, cancellationToken);
            }
            RecordAcknowledgement(await acknowledged);
        }
        finally
        {
            Activity.Current = previous;
        }
    }

    private static void RecordAcknowledgement((DateTime Start, DateTime? Started) ack)
    {
        using var span = Turns.StartActivity("speech.acknowledge", ActivityKind.Internal, default(ActivityContext), startTime: ack.Start);
        span?.SetTag("started", ack.Started is null ? "false" : "true");
        span?.SetEndTime(ack.Started ?? DateTime.UtcNow);
    }

    private async Task<string?> TranscribeAsync(Utterance utterance, CancellationToken cancellationToken)
    {
        try
        {
            var text = await _stt.TranscribeAsync(utterance.Audio, cancellationToken);
            LogHeard(_logger, utterance.Audio.DurationSeconds, text);
            Update(s => s with { LastTranscript = text });
            return text;
        }
        catch (TranscriptionException ex)
        {
            LogTranscriptionDropped(_logger, utterance.Audio.DurationSeconds, ex.Message);
            Update(s => s with { LastError = $"transcription: {ex.Message}" });
            return null;
        }
    }

    private async Task TurnTowardAsync(DoaInfo? direction, CancellationToken cancellationToken)
    {
        try
        {
            var outcome = await MoveToAudio.RunAsync(_robot, direction, cancellationToken);
            LogTurned(_logger, outcome);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRobotFault(_logger, "turn toward the speaker", ex.Message);
            Update(s => s with { LastError = $"move_to_audio: {ex.Message}" });
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _robot.ListenAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogRobotFault(_logger, "play the listening pose", ex.Message);
        }
    }

    private async Task PostAsync(string text, string? traceParent, CancellationToken cancellationToken)
    {
        // One key per utterance, the same on every retry (the kernel client's policy): a retry whose first answer was lost
        // is not a second request.
        var idempotencyKey = "stt:" + Guid.NewGuid().ToString("N");
        string reason;
        try
        {
            var reply = await _kernel.PostSttAsync(new SttRequest(text), idempotencyKey, traceParent, cancellationToken);
            if (reply.Success)
            {
                LogPosted(_logger, _options.CallbackUrl, text);
                Update(s => s with { Posted = s.Posted + 1 });
                return;
            }
            reason = $"{reply.Status} {(HttpStatusCode)reply.Status}";
        }
        catch (TimeoutException)
        {
            reason = "no answer within 5 s";
        }
        catch (HttpRequestException ex)
        {
            reason = ex.Message;
        }
        LogPostDropped(_logger, _options.CallbackUrl, _options.CallbackAttempts, reason, text);
        Update(s => s with { PostFailures = s.PostFailures + 1, LastError = $"kernel: {reason}" });
    }

    private async Task CaptureAsync(ChannelWriter<Utterance> queue, CancellationToken cancellationToken)
    {
        var segmenter = new UtteranceSegmenter(_vad, _options.Segmenter);
        var retry = TimeSpan.FromSeconds(0.5);
        long capturedSamples = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var block in _source.CaptureAsync(cancellationToken))
                {
                    if (capturedSamples == 0)
                    {
                        LogCapturing(_logger, _source.Description);
                        Update(s => s with { Capturing = true });
                    }
                    capturedSamples += block.Length;
                    _stopBlocks?.Writer.TryWrite(block);
                    retry = TimeSpan.FromSeconds(0.5);
                    foreach (var samples in segmenter.Push(block))
                    {
                        var now = DateTime.UtcNow;
                        // The clip holds pre-roll, speech and the trailing silence that ended it: its speech began this long ago.
                        var started = now - TimeSpan.FromSeconds((double)samples.Length / AudioMath.SpeechRate) + TimeSpan.FromSeconds(_options.Segmenter.PreRollSeconds);
                        var utterance = new Utterance(new AudioClip(samples, AudioMath.SpeechRate), TakeDirection(samples.Length), now, started);
                        Update(s => s with { Utterances = s.Utterances + 1 });
                        if (!queue.TryWrite(utterance))
                        {
                            LogQueueFull(_logger, _options.QueueCapacity);
                            Update(s => s with { DroppedQueueFull = s.DroppedQueueFull + 1 });
                        }
                    }
                }
                if (!cancellationToken.IsCancellationRequested)
                {
                    throw new AudioSourceException($"{_source.Description} ended.");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogCaptureFailed(_logger, _source.Description, ex.Message, retry.TotalSeconds);
                Update(s => s with { Capturing = false, LastError = $"microphone: {ex.Message}" });
                capturedSamples = 0;
                segmenter.Reset();
                try
                {
                    await Task.Delay(retry, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, _options.MaxCaptureRetryDelay.Ticks));
            }
        }
    }

    /// <summary>
    /// Tells the kernel when the robot starts and stops listening (<c>POST /api/listening</c> beside the STT callback), so the
    /// UI can show it: checked every 0.1 s, sent on change; best effort (a kernel that is down only misses the indicator).
    /// </summary>
    private async Task PublishListeningAsync(CancellationToken cancellationToken)
    {
        var url = new Uri(_options.CallbackUrl, "/api/listening");
        ListeningNotice? sent = null;
        var failures = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(0.1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var status = Status;
                var notice = new ListeningNotice(status.Listening,
                    !status.Listening ? null : status.State == SpeechLoopState.Listening ? "wake_word" : "follow_up", status.FollowUpUntil);
                if (sent is not null && sent.Listening == notice.Listening && sent.Reason == notice.Reason)
                {
                    continue;
                }
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(2));
                    using var response = await _http.PostAsync(url, JsonContent.Create(notice, SpeechJson.Default.ListeningNotice), timeout.Token);
                    // A kernel without the endpoint (404) will not learn it later either: stop asking until the state changes.
                    sent = notice;
                    failures = 0;
                }
                catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    if (failures++ == 0)
                    {
                        LogListeningNotSent(_logger, url, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PollDirectionAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        using var timer = new PeriodicTimer(_options.DirectionPollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    var reading = await _robot.ReadDirectionAsync(cancellationToken);
                    failures = 0;
                    if (reading is { SpeechDetected: true } && double.IsFinite(reading.Angle))
                    {
                        lock (_gate)
                        {
                            _direction = (reading, Environment.TickCount64);
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A robot without DoA or a daemon restarting: keep the loop, say so once per outage.
                    if (failures++ == 0)
                    {
                        LogDirectionUnavailable(_logger, ex.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The latest valid direction heard during the utterance that just ended (plus a second of slack), then forgets it.</summary>
    private DoaInfo? TakeDirection(int utteranceSamples)
    {
        var window = (long)(utteranceSamples * 1000.0 / AudioMath.SpeechRate) + 1000;
        lock (_gate)
        {
            var found = _direction is { } d && Environment.TickCount64 - d.At <= window ? d.Reading : null;
            _direction = null;
            return found;
        }
    }

    private void Update(Func<SpeechLoopStatus, SpeechLoopStatus> change)
    {
        lock (_gate)
        {
            _status = change(_status);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech loop: microphone {Source}, VAD {Vad}, transcription {Stt}, wake word \"{WakeWord}\", posting to {Callback}.")]
    private static partial void LogStarting(ILogger logger, string source, string vad, string stt, string wakeWord, Uri callback);

    [LoggerMessage(Level = LogLevel.Information, Message = "Speech loop stopped.")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Capturing from {Source}.")]
    private static partial void LogCapturing(ILogger logger, string source);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Microphone {Source} failed: {Reason}; retrying in {Seconds} s.")]
    private static partial void LogCaptureFailed(ILogger logger, string source, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "STT queue is full ({Capacity} utterances waiting); dropping an utterance.")]
    private static partial void LogQueueFull(ILogger logger, int capacity);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Heard {Seconds:0.00} s of speech: \"{Text}\".")]
    private static partial void LogHeard(ILogger logger, double seconds, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Follow-up without the wake word (within {Seconds} s of the robot's speech): \"{Text}\".")]
    private static partial void LogFollowUp(ILogger logger, string text, double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Not the wake word: \"{Text}\".")]
    private static partial void LogNotWakeWord(ILogger logger, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wake word heard: \"{Text}\" (speech stopped for it: {BargedIn}).")]
    private static partial void LogWakeWord(ILogger logger, string text, bool bargedIn);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Outcome}")]
    private static partial void LogTurned(ILogger logger, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not {Action}: {Reason}.")]
    private static partial void LogRobotFault(ILogger logger, string action, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "No speech within {Seconds} s after the wake word; listening for it again.")]
    private static partial void LogNoFollowUp(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The request after the wake word was not intelligible; listening for the wake word again.")]
    private static partial void LogEmptyRequest(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping a {Seconds:0.00} s utterance: transcription failed: {Reason}.")]
    private static partial void LogTranscriptionDropped(ILogger logger, double seconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Posted to {Url}: \"{Text}\".")]
    private static partial void LogPosted(ILogger logger, Uri url, string text);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped the transcript after up to {Attempts} attempt(s) to {Url} ({Reason}): \"{Text}\".")]
    private static partial void LogPostDropped(ILogger logger, Uri url, int attempts, string reason, string text);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not tell {Url} whether the robot is listening: {Reason}.")]
    private static partial void LogListeningNotSent(ILogger logger, Uri url, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Direction of arrival unavailable: {Reason}.")]
    private static partial void LogDirectionUnavailable(ILogger logger, string reason);
}

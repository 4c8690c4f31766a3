using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting.Watches;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Speech.Input;
using RosaOS.Vision;
using RosaOS.Vision.Camera;
using RosaOS.Vision.Faces;

namespace RosaOS.Mcp.ReachyMini.Watches;

/// <summary>A Reachy Mini watch: a face appears, a known person is recognised, sound comes from a direction, or the head is moved by hand.</summary>
public sealed class ReachyWatch : Watch
{
    public const string FaceAppears = "face_appears";
    public const string PersonRecognised = "person_recognised";
    public const string SoundFrom = "sound_from";
    public const string HeadTouched = "head_touched";

    public static readonly IReadOnlyList<string> Conditions = [FaceAppears, PersonRecognised, SoundFrom, HeadTouched];

    /// <summary>person_recognised: only this person (a save_image_person name); null for anyone known.</summary>
    public string? Person { get; init; }

    /// <summary>sound_from: the direction in the daemon's DoA convention (degrees: 0 = left, 90 = front, 180 = right).</summary>
    public double? DirectionDeg { get; init; }

    /// <summary>sound_from: how far from <see cref="DirectionDeg"/> still counts, degrees.</summary>
    public double? ToleranceDeg { get; init; }

    public override JsonObject ToJson()
    {
        var json = base.ToJson();
        json["person"] = Person;
        json["direction_deg"] = DirectionDeg;
        json["tolerance_deg"] = ToleranceDeg;
        return json;
    }
}

/// <summary>
/// The Reachy Mini's watches (issue 16) on the shared <see cref="WatchRegistry{TWatch}"/> (store, cap, expiry, debounce,
/// posting to the kernel). Faces are looked for in one camera frame a second and sound directions in the daemon's
/// direction of arrival four times a second, only while a watch needs them and shared by all watches; a head touch comes
/// from the <see cref="HeadTouchDetector"/>. Face and sound watches fire on the change (a face that appears, a voice that
/// starts from that side), like the ROS crossings: what already holds when the watch is added does not fire.
/// </summary>
public sealed partial class ReachyWatches : WatchRegistry<ReachyWatch>
{
    public static readonly TimeSpan FacePeriod = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SoundPeriod = TimeSpan.FromMilliseconds(250);
    private readonly ILogger<ReachyWatches> _logger;
    private readonly SharedSample<IReadOnlyList<string?>> _faces;
    private readonly SharedSample<DoaInfo?> _sound;

    public ReachyWatches(ReachyServerOptions options, ICameraSource camera, PeopleRegistry people, ISpeechRobot ears, HeadTouchDetector head,
        TimeProvider time, ILogger<ReachyWatches> logger)
        : base(options?.Name ?? throw new ArgumentNullException(nameof(options)), options.Watches, time, logger)
    {
        ArgumentNullException.ThrowIfNull(head);
        _logger = logger;
        _faces = new SharedSample<IReadOnlyList<string?>>(async ct =>
        {
            var jpeg = await camera.CaptureJpegAsync(ct);
            using var frame = BoundedImage.Decode(jpeg, "the camera frame");
            return [.. people.Recognize(frame).Select(f => f.Name)];
        }, FacePeriod / 2, time);
        _sound = new SharedSample<DoaInfo?>(ears.ReadDirectionAsync, SoundPeriod / 2, time);
        head.Touched += OnTouched;
    }

    private void OnTouched(HeadTouch touch)
    {
        foreach (var watch in List().Where(w => w.Condition == ReachyWatch.HeadTouched))
        {
            Fire(watch, touch.Describe());
        }
    }

    protected override async Task RunAsync(ReachyWatch watch, CancellationToken cancellationToken)
    {
        if (watch.Condition == ReachyWatch.HeadTouched)
        {
            // Fired by the detector's event; nothing to poll.
            await Task.Delay(Timeout.InfiniteTimeSpan, Time, cancellationToken);
            return;
        }
        var face = watch.Condition is ReachyWatch.FaceAppears or ReachyWatch.PersonRecognised;
        var failing = false;
        while (true)
        {
            try
            {
                var (holds, what) = face ? await FacesAsync(watch, cancellationToken) : await SoundAsync(watch, cancellationToken);
                failing = false;
                // A change from "not holding" fires; the first observation only sets the side (what holds already is not news).
                if (holds && watch.Held == false)
                {
                    Fire(watch, what);
                }
                SetHeld(watch, holds);
            }
#pragma warning disable CA1031 // Camera, vision or daemon trouble of any kind: the watch keeps trying (logged once per stretch).
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                if (!failing)
                {
                    failing = true;
                    LogObserveFailed(watch.Id, ex.Message);
                }
            }
            await Task.Delay(face ? FacePeriod : SoundPeriod, Time, cancellationToken);
        }
    }

    private async Task<(bool Holds, string What)> FacesAsync(ReachyWatch watch, CancellationToken cancellationToken)
    {
        var names = await _faces.GetAsync(cancellationToken);
        if (watch.Condition == ReachyWatch.FaceAppears)
        {
            var known = names.Where(n => n is not null).ToList();
            return (names.Count > 0, names.Count == 1 ? $"a face in view{(known.Count == 1 ? $": {known[0]}" : "")}"
                : $"{names.Count} faces in view{(known.Count > 0 ? $", known: {string.Join(", ", known)}" : "")}");
        }
        var matching = names.Where(n => n is not null && (watch.Person is null || string.Equals(n, watch.Person, StringComparison.OrdinalIgnoreCase))).ToList();
        return (matching.Count > 0, $"recognised {string.Join(", ", matching)}");
    }

    private async Task<(bool Holds, string What)> SoundAsync(ReachyWatch watch, CancellationToken cancellationToken)
    {
        var doa = await _sound.GetAsync(cancellationToken);
        if (doa is not { SpeechDetected: true })
        {
            return (false, "");
        }
        var degrees = ((doa.Angle * 180 / Math.PI) % 360 + 360) % 360;
        var difference = Math.Abs(((degrees - watch.DirectionDeg!.Value) % 360 + 540) % 360 - 180);
        return (difference <= watch.ToleranceDeg!.Value, string.Create(CultureInfo.InvariantCulture, $"sound from {degrees:0}° (0 = left, 90 = front, 180 = right)"));
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        _faces.Dispose();
        _sound.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Watch {Id} cannot observe its condition now: {Error}; retrying.")]
    private partial void LogObserveFailed(string id, string error);
}

/// <summary>One reading shared by every watch that needs it: taken again only when the last one is older than <c>maxAge</c>.</summary>
internal sealed class SharedSample<T>(Func<CancellationToken, Task<T>> read, TimeSpan maxAge, TimeProvider time) : IDisposable
{
    public void Dispose() => _lock.Dispose();

    private readonly SemaphoreSlim _lock = new(1, 1);
    private (T Value, DateTimeOffset At)? _last;

    public async Task<T> GetAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && time.GetUtcNow() - last.At < maxAge)
            {
                return last.Value;
            }
            var value = await read(cancellationToken);
            _last = (value, time.GetUtcNow());
            return value;
        }
        finally
        {
            _lock.Release();
        }
    }
}

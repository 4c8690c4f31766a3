using Microsoft.Extensions.Logging;
using RosaOS.ReachyMini.Protocol;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator.Audio;

/// <summary>
/// The simulated robot speaker: one sound at a time, later sounds wait their turn (as on an audio device),
/// each played for its real duration and logged (bounded to the last 1000 entries). Nothing is audible; the
/// log is what tests and tools read.
/// </summary>
public sealed partial class VirtualSpeaker(DaemonSounds sounds, ILogger<VirtualSpeaker> logger, TimeProvider time) : ISoundPlayer, IDisposable
{
    private const int LogCapacity = 1000;

    /// <summary>Where the daemon keeps uploaded sounds; play_sound looks there for bare names.</summary>
    public const string UploadDirectory = "/tmp/reachy_mini_sounds";

    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _reportedMissing = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<SpeakerLogEntry> _log = [];
    private long _nextId;
    private long? _playingId;
    private CancellationTokenSource? _playing;

    /// <summary>
    /// Queues a sound and returns its id at once plus a task that ends with its final log entry once it has
    /// played (or was interrupted). The sound keeps playing if the caller stops waiting.
    /// </summary>
    public (long Id, Task<SpeakerLogEntry> Played) Enqueue(string source, string? text, string? file, double durationS, int sampleRate, int channels, int bits, string format, long bytes)
    {
        var id = Interlocked.Increment(ref _nextId);
        var template = new SpeakerLogEntry
        {
            Id = id,
            Text = text,
            Source = source,
            File = file,
            DurationS = durationS,
            SampleRate = sampleRate,
            Channels = channels,
            BitsPerSample = bits,
            Format = format,
            Bytes = bytes,
        };
        return (id, PlayInTurnAsync(template));
    }

    /// <summary>Interrupts the sound playing now; returns its id or null when silent.</summary>
    public long? Stop()
    {
        lock (_lock)
        {
            if (_playing is null)
            {
                return null;
            }
            _playing.Cancel();
            return _playingId;
        }
    }

    /// <summary>Entries with an id above <paramref name="since"/>, oldest first.</summary>
    public IReadOnlyList<SpeakerLogEntry> Log(long since = 0)
    {
        lock (_lock)
        {
            return _log.Where(e => e.Id > since).ToList();
        }
    }

    /// <summary>The daemon's play_sound: an absolute path, a name in the upload folder or a built-in sound; unreadable files play
    /// as silence of length 0 and are logged once per file (not on every move that plays them).</summary>
    public void PlayFile(string file)
    {
        var path = sounds.ResolveContained(file);
        WavInfo? info = null;
        long size = 0;
        if (path is null)
        {
            // The daemon answers 200 for any name (its media server only logs); this one logs that it read nothing.
            LogOutsideSoundFolders(file);
            _ = Enqueue("file", null, Path.GetFileName(file), 0, 0, 0, 0, "", 0);
            return;
        }
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length <= DaemonSounds.MaxSoundBytes)
            {
                var bytes = File.ReadAllBytes(path);
                size = bytes.Length;
                info = WavInfo.Parse(bytes);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            LogUnreadable(path, ex.Message);
        }
        // A built-in sound this machine cannot have was explained once at start; any other missing file is said once.
        if (info is null && !sounds.IsMissingBuiltIn(file) && _reportedMissing.TryAdd(path, true))
        {
            LogSoundMissing(file);
        }
        _ = Enqueue("file", null, Path.GetFileName(file), info?.DurationS ?? 0, info?.SampleRate ?? 0, info?.Channels ?? 0,
            info?.BitsPerSample ?? 0, info?.Format ?? "", size);
    }

    public void Dispose() => _turn.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "play_sound {File}: not played, only files in the sound folders (uploads, built-in sounds) are read")]
    private partial void LogOutsideSoundFolders(string file);

    private async Task<SpeakerLogEntry> PlayInTurnAsync(SpeakerLogEntry template)
    {
        await _turn.WaitAsync().ConfigureAwait(false);
        using var playing = new CancellationTokenSource();
        var entry = template with { StartedAt = time.GetUtcNow() };
        lock (_lock)
        {
            _playing = playing;
            _playingId = entry.Id;
            if (_log.Count >= LogCapacity)
            {
                _log.RemoveAt(0);
            }
            _log.Add(entry);
        }
        LogPlaying(entry.Id, entry.Source, entry.DurationS, entry.Text ?? entry.File ?? "");
        var interrupted = false;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(entry.DurationS), time, playing.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            interrupted = true;
        }
        finally
        {
            entry = entry with { EndedAt = time.GetUtcNow(), Interrupted = interrupted };
            lock (_lock)
            {
                var index = _log.FindLastIndex(e => e.Id == entry.Id);
                if (index >= 0)
                {
                    _log[index] = entry;
                }
                _playing = null;
                _playingId = null;
            }
            _turn.Release();
        }
        return entry;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Speaker playing #{Id} ({Source}, {Duration:F2} s): {What}")]
    private partial void LogPlaying(long id, string source, double duration, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sound file {File} not found or unreadable; logged as a silent sound (the daemon answers ok too). Said once per file.")]
    private partial void LogSoundMissing(string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sound file {Path} unreadable: {Reason}")]
    private partial void LogUnreadable(string path, string reason);
}

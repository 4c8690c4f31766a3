using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RosaOS.Simulator.Datasets;

/// <summary>Why a dataset or move lookup failed; the message is the 404 detail.</summary>
internal sealed class DatasetNotFoundException(string message) : Exception(message);

/// <summary>
/// Finds recorded-move datasets the way the daemon does: explicit <c>--dataset NAME=DIR</c> mappings, then
/// <c>--datasets DIR</c> roots (<c>owner/name/</c> folders or the Hugging Face cache layout), then the Hugging Face
/// cache, then a download from the Hub into that cache (<see cref="HubClient"/>; one download per dataset at a time,
/// progress in the log, a failure said once with its reason). A dataset folder holds <c>*.json</c> moves at its root
/// or under <c>data/</c>, with optional sidecar sounds of the same stem.
/// </summary>
internal sealed partial class DatasetCatalog(SimOptions options, HubClient hub, TimeProvider time, ILogger<DatasetCatalog> logger)
{
    /// <summary>How long a failed download is remembered (its reason answered at once) before a request tries again.</summary>
    private static readonly TimeSpan s_retryAfter = TimeSpan.FromMinutes(1);

    /// <summary>The daemon's default emotions dataset.</summary>
    public const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    private static readonly string[] s_soundExtensions = [".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac"];

    private readonly ConcurrentDictionary<string, RecordedMove> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _downloads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Reason, DateTimeOffset At)> _failures = new(StringComparer.Ordinal);

    /// <summary>
    /// The folder of a dataset, downloading it from the Hub first when no local copy exists (as the daemon does on a cold
    /// cache); a <see cref="DatasetNotFoundException"/> says why when there is none.
    /// </summary>
    public async Task<string> ResolveAsync(string dataset, CancellationToken cancellationToken)
    {
        if (Local(dataset) is { } local)
        {
            return local;
        }
        try
        {
            return await Download(dataset).WaitAsync(cancellationToken);
        }
        catch (HubDownloadException e)
        {
            throw NotAvailable(dataset, e.Message);
        }
    }

    /// <summary>
    /// The folder of a dataset now, without waiting: a local copy or a finished download. Otherwise the download starts
    /// in the background and the exception says so (for the WebSocket commands, which cannot wait on the network).
    /// </summary>
    public string Resolve(string dataset)
    {
        if (Local(dataset) is { } local)
        {
            return local;
        }
        var download = Download(dataset);
        if (download.IsCompletedSuccessfully)
        {
            return download.Result;
        }
        if (download.Exception?.InnerException is HubDownloadException e)
        {
            throw NotAvailable(dataset, e.Message);
        }
        throw new DatasetNotFoundException($"Dataset {dataset} is being downloaded from the Hugging Face Hub; try again when the sim's log says it is ready.");
    }

    /// <summary>Starts fetching a dataset in the background unless a local copy exists (the daemon's preload at start).</summary>
    public void Preload(string dataset)
    {
        if (Local(dataset) is null)
        {
            _ = Download(dataset);
        }
    }

    /// <summary>Move names (file stems), sorted.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string dataset, CancellationToken cancellationToken)
    {
        var root = await ResolveAsync(dataset, cancellationToken);
        return MoveFiles(root).Select(f => Path.GetFileNameWithoutExtension(f)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Loads a move (cached after the first read), downloading its dataset first if needed.</summary>
    public async Task<RecordedMove> GetAsync(string dataset, string move, CancellationToken cancellationToken)
        => Load(await ResolveAsync(dataset, cancellationToken), dataset, move);

    /// <summary>Loads a move of a dataset that is available now (see <see cref="Resolve"/>).</summary>
    public RecordedMove Get(string dataset, string move) => Load(Resolve(dataset), dataset, move);

    private RecordedMove Load(string root, string dataset, string move)
    {
        var key = root + "\n" + move;
        if (_cache.TryGetValue(key, out var cached))
        {
            return cached;
        }
        var file = MoveFiles(root).FirstOrDefault(f => string.Equals(Path.GetFileNameWithoutExtension(f), move, StringComparison.Ordinal))
            ?? throw new DatasetNotFoundException($"Move {move} not found in recorded moves library {dataset}");
        var stem = Path.Combine(Path.GetDirectoryName(file)!, move);
        var sound = s_soundExtensions.Select(e => stem + e).FirstOrDefault(File.Exists);
        var loaded = RecordedMove.Load(file, move, sound);
        _cache[key] = loaded;
        return loaded;
    }

    /// <summary>Logs where datasets will be looked for (at start).</summary>
    public void Describe()
    {
        foreach (var (name, dir) in options.DatasetMappings)
        {
            var exists = Directory.Exists(dir);
            LogMapping(name, dir, exists);
        }
        foreach (var root in options.DatasetRoots)
        {
            var exists = Directory.Exists(root);
            LogRoot(root, exists);
        }
    }

    private static void Validate(string dataset)
    {
        if (string.IsNullOrWhiteSpace(dataset) || dataset.Contains("..", StringComparison.Ordinal))
        {
            throw new DatasetNotFoundException($"Repository Not Found for url: {HubSettings.DefaultEndpoint}/api/datasets/{dataset}/revision/main.");
        }
    }

    private string? Local(string dataset)
    {
        Validate(dataset);
        return Candidates(dataset).FirstOrDefault(Directory.Exists);
    }

    /// <summary>The one download of a dataset (shared by every request); a failure is remembered for a minute, then retried.</summary>
    private Task<string> Download(string dataset)
    {
        if (_failures.TryGetValue(dataset, out var failure) && time.GetUtcNow() - failure.At < s_retryAfter)
        {
            return Task.FromException<string>(new HubDownloadException(failure.Reason));
        }
        var lazy = _downloads.GetOrAdd(dataset, name => new Lazy<Task<string>>(() => Task.Run(() => DownloadAsync(name))));
        return lazy.Value;
    }

    private async Task<string> DownloadAsync(string dataset)
    {
        var settings = hub.Settings;
        if (!settings.Offline)
        {
            var endpoint = settings.Endpoint.ToString();
            LogDownloading(dataset, endpoint, settings.CacheDirectory);
        }
        var started = time.GetTimestamp();
        try
        {
            var folder = await hub.SnapshotAsync(dataset, "main", new ProgressLog(this, time), CancellationToken.None);
            _failures.TryRemove(dataset, out _);
            var seconds = time.GetElapsedTime(started).TotalSeconds;
            LogReady(dataset, folder, seconds);
            return folder;
        }
        catch (HubDownloadException e)
        {
            // Said once per reason: the requests that follow get the same answer without a new log line.
            var previous = _failures.TryGetValue(dataset, out var before) ? before.Reason : null;
            _failures[dataset] = (e.Message, time.GetUtcNow());
            if (previous != e.Message)
            {
                if (dataset == EmotionsDataset)
                {
                    LogEmotionsUnavailable(e.Message);
                }
                else
                {
                    LogUnavailable(dataset, e.Message);
                }
            }
            throw;
        }
        finally
        {
            _downloads.TryRemove(dataset, out _);
        }
    }

    private static DatasetNotFoundException NotAvailable(string dataset, string reason)
        => new(reason.StartsWith("Repository Not Found", StringComparison.Ordinal)
            ? reason
            : $"Repository Not Found for url: {HubSettings.DefaultEndpoint}/api/datasets/{dataset}/revision/main. No local copy, and the download failed: {reason} "
                + "Start `rosa sim` with --dataset NAME=DIR or --datasets DIR to use a local folder.");

    private IEnumerable<string> Candidates(string dataset)
    {
        if (options.DatasetMappings.TryGetValue(dataset, out var mapped))
        {
            yield return mapped;
        }
        var cacheName = "datasets--" + dataset.Replace("/", "--", StringComparison.Ordinal);
        foreach (var root in options.DatasetRoots)
        {
            yield return Path.Combine(root, dataset);
            foreach (var folder in new[] { Path.Combine(root, cacheName), Path.Combine(root, "hub", cacheName) })
            {
                if (LatestSnapshot(folder) is { } snapshot)
                {
                    yield return snapshot;
                }
            }
        }
        if (hub.CachedSnapshot(dataset) is { } cached)
        {
            yield return cached;
        }
        else if (LatestSnapshot(hub.Settings.RepoFolder(dataset)) is { } snapshot)
        {
            yield return snapshot;
        }
    }

    // A cache laid out by hand may have no refs/main: take its newest snapshot.
    private static string? LatestSnapshot(string repoFolder)
    {
        var snapshots = Path.Combine(repoFolder, "snapshots");
        return Directory.Exists(snapshots)
            ? new DirectoryInfo(snapshots).GetDirectories().OrderByDescending(d => d.LastWriteTimeUtc).FirstOrDefault()?.FullName
            : null;
    }

    private static IEnumerable<string> MoveFiles(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.json");
        var data = Path.Combine(root, "data");
        return Directory.Exists(data) ? files.Concat(Directory.EnumerateFiles(data, "*.json")) : files;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading dataset {Dataset} from {Endpoint} into {Cache} (no local copy).")]
    private partial void LogDownloading(string dataset, string endpoint, string cache);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloading {Dataset}: {FilesDone}/{FilesTotal} files, {MbDone:F1}/{MbTotal:F1} MB ({Percent:F0} %).")]
    private partial void LogProgress(string dataset, int filesDone, int filesTotal, double mbDone, double mbTotal, double percent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {Dataset} is ready in {Folder} ({Seconds:F1} s).")]
    private partial void LogReady(string dataset, string folder, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Emotions are unavailable: {Reason} Everything else works; give a local copy with --dataset pollen-robotics/reachy-mini-emotions-library=DIR.")]
    private partial void LogEmotionsUnavailable(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dataset {Dataset} is unavailable: {Reason}")]
    private partial void LogUnavailable(string dataset, string reason);

    /// <summary>Logs progress at most every two seconds, and the last report.</summary>
    private sealed class ProgressLog(DatasetCatalog catalog, TimeProvider time) : IProgress<HubProgress>
    {
        private readonly Lock _lock = new();
        private long _last;

        public void Report(HubProgress value)
        {
            var done = value.FilesDone == value.FilesTotal;
            lock (_lock)
            {
                var now = time.GetTimestamp();
                if (!done && _last != 0 && time.GetElapsedTime(_last, now) < TimeSpan.FromSeconds(2))
                {
                    return;
                }
                if (done && _last < 0)
                {
                    return;
                }
                _last = done ? -1 : now;
            }
            var percent = value.BytesTotal > 0 ? 100.0 * value.BytesDone / value.BytesTotal : 100;
            catalog.LogProgress(value.Repo, value.FilesDone, value.FilesTotal, value.BytesDone / 1e6, value.BytesTotal / 1e6, percent);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {Name} -> {Dir} (exists: {Exists}).")]
    private partial void LogMapping(string name, string dir, bool exists);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset root {Dir} (exists: {Exists}).")]
    private partial void LogRoot(string dir, bool exists);
}

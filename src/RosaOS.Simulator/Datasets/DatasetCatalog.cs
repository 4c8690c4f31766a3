using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace RosaOS.Simulator.Datasets;

/// <summary>Why a dataset or move lookup failed; the message is the 404 detail.</summary>
internal sealed class DatasetNotFoundException(string message) : Exception(message);

/// <summary>
/// Finds recorded-move datasets the way the daemon does, without the network: explicit <c>--dataset NAME=DIR</c>
/// mappings, then <c>--datasets DIR</c> roots (<c>owner/name/</c> folders or the Hugging Face cache layout), then
/// the Hugging Face cache (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). A dataset folder holds
/// <c>*.json</c> moves at its root or under <c>data/</c>, with optional sidecar sounds of the same stem.
/// </summary>
internal sealed partial class DatasetCatalog(SimOptions options, ILogger<DatasetCatalog> logger)
{
    /// <summary>The daemon's default emotions dataset.</summary>
    public const string EmotionsDataset = "pollen-robotics/reachy-mini-emotions-library";

    private static readonly string[] s_soundExtensions = [".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac"];

    private readonly ConcurrentDictionary<string, RecordedMove> _cache = new(StringComparer.Ordinal);

    /// <summary>The folder of a dataset, or a <see cref="DatasetNotFoundException"/> saying how to provide one.</summary>
    public string Resolve(string dataset)
    {
        if (string.IsNullOrWhiteSpace(dataset) || dataset.Contains("..", StringComparison.Ordinal))
        {
            throw new DatasetNotFoundException($"Repository Not Found for url: https://huggingface.co/api/datasets/{dataset}/revision/main.");
        }
        foreach (var candidate in Candidates(dataset))
        {
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        LogNoDataset(dataset);
        throw new DatasetNotFoundException(
            $"Repository Not Found for url: https://huggingface.co/api/datasets/{dataset}/revision/main. "
            + $"The simulator has no local copy of '{dataset}' and does not download from the Hub; "
            + "start `rosa sim` with --dataset NAME=DIR or --datasets DIR.");
    }

    /// <summary>Move names (file stems), sorted.</summary>
    public IReadOnlyList<string> List(string dataset)
    {
        var root = Resolve(dataset);
        return MoveFiles(root).Select(f => Path.GetFileNameWithoutExtension(f)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Loads a move (cached after the first read).</summary>
    public RecordedMove Get(string dataset, string move)
    {
        var root = Resolve(dataset);
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

    private IEnumerable<string> Candidates(string dataset)
    {
        if (options.DatasetMappings.TryGetValue(dataset, out var mapped))
        {
            yield return mapped;
        }
        var cacheName = "datasets--" + dataset.Replace("/", "--", StringComparison.Ordinal);
        var roots = options.DatasetRoots.Concat(HuggingFaceCaches());
        foreach (var root in roots)
        {
            yield return Path.Combine(root, dataset);
            foreach (var hub in new[] { Path.Combine(root, cacheName), Path.Combine(root, "hub", cacheName) })
            {
                var snapshots = Path.Combine(hub, "snapshots");
                if (Directory.Exists(snapshots))
                {
                    var latest = new DirectoryInfo(snapshots).GetDirectories().OrderByDescending(d => d.LastWriteTimeUtc).FirstOrDefault();
                    if (latest is not null)
                    {
                        yield return latest.FullName;
                    }
                }
            }
        }
    }

    private static IEnumerable<string> HuggingFaceCaches()
    {
        if (Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } hubCache)
        {
            yield return hubCache;
        }
        if (Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home)
        {
            yield return Path.Combine(home, "hub");
        }
        var user = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (user.Length > 0)
        {
            yield return Path.Combine(user, ".cache", "huggingface", "hub");
        }
    }

    private static IEnumerable<string> MoveFiles(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.json");
        var data = Path.Combine(root, "data");
        return Directory.Exists(data) ? files.Concat(Directory.EnumerateFiles(data, "*.json")) : files;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No dataset '{Dataset}' is available: no --dataset mapping, no folder under --datasets, not in the Hugging Face cache, and the simulator does not download from the Hub. Provide one with --dataset {Dataset}=DIR.")]
    private partial void LogNoDataset(string dataset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset {Name} -> {Dir} (exists: {Exists}).")]
    private partial void LogMapping(string name, string dir, bool exists);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dataset root {Dir} (exists: {Exists}).")]
    private partial void LogRoot(string dir, bool exists);
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosaOS.Kernel;

/// <summary>What one retention pass removed.</summary>
public sealed record RetentionReport(TrimmedRows Rows, int Images, long ImageBytes, int LogFiles);

/// <summary>
/// Keeps the data folder bounded: at start and every --retention interval it deletes journal, history,
/// audit, turn-step and process rows past their age or row limits (then compacts the database), captured
/// and downloaded images past their age or the size limit (oldest first; the people registry is never
/// touched), and rotated logs older than the age limit (rosa up rotates the logs by size as it writes them).
/// </summary>
public sealed partial class Retention(KernelOptions options, KernelDatabase database, TimeProvider time, ILogger<Retention> logger) : BackgroundService
{
    /// <summary>Image folders that hold captures and downloads; people/ (the face registry) is the user's and is kept.</summary>
    private static readonly string[] s_imageFolders = ["reachy", "ros", "upload"];

    /// <summary>One pass; also run once at start before the API opens. A pass that fails is logged, never fatal.</summary>
    public RetentionReport? TryRunOnce()
    {
        try
        {
            return RunOnce();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            LogFailed(logger, e.Message);
            return null;
        }
    }

    private RetentionReport RunOnce()
    {
        var rows = database.Trim(options.KeepFor, options.KeepRows, options.KeepKeysFor);
        var (images, imageBytes) = TrimImages();
        var logs = TrimLogs();
        var report = new RetentionReport(rows, images, imageBytes, logs);
        if (rows.Total > 0 || images > 0 || logs > 0)
        {
            LogTrimmed(logger, rows.Events, rows.History, rows.Audit, rows.Steps, rows.Spans, rows.Processes, rows.Keys, images, imageBytes / (1024.0 * 1024), logs);
        }
        return report;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                TryRunOnce();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private (int Files, long Bytes) TrimImages()
    {
        var root = Path.Combine(options.DataDirectory, "images");
        var files = s_imageFolders.Select(f => Path.Combine(root, f)).Where(Directory.Exists)
            .SelectMany(d => new DirectoryInfo(d).EnumerateFiles("*", SearchOption.AllDirectories))
            .OrderBy(f => f.LastWriteTimeUtc).ToList();
        var cutoff = time.GetUtcNow().UtcDateTime - options.KeepImagesFor;
        var total = files.Sum(f => f.Length);
        var (count, bytes) = (0, 0L);
        foreach (var file in files)
        {
            if (file.LastWriteTimeUtc >= cutoff && total <= options.KeepImagesBytes)
            {
                break;
            }
            var length = file.Length;
            if (TryDelete(file))
            {
                total -= length;
                (count, bytes) = (count + 1, bytes + length);
            }
        }
        return (count, bytes);
    }

    private int TrimLogs()
    {
        var folder = Path.Combine(options.DataDirectory, "logs");
        if (!Directory.Exists(folder))
        {
            return 0;
        }
        var cutoff = time.GetUtcNow().UtcDateTime - options.KeepFor;
        // Only rotated files (NAME.N.log): the current NAME.log is open in its writer.
        return new DirectoryInfo(folder).EnumerateFiles("*.*.log")
            .Where(f => f.LastWriteTimeUtc < cutoff)
            .Count(TryDelete);
    }

    private bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogDeleteFailed(logger, file.FullName, e.Message);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention removed {Events} events, {History} history rows, {Audit} audit rows, {Steps} turn steps, {Spans} turn spans, {Processes} process rows, {Keys} idempotency keys, {Images} images ({ImageMiB:0.0} MiB), {Logs} old log files")]
    private static partial void LogTrimmed(ILogger logger, long events, long history, long audit, long steps, long spans, long processes, long keys, int images, double imageMiB, int logs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete {Path}: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string path, string reason);
}

using System.Text;

namespace RosaOS.Hosting;

/// <summary>How big a log may grow and how many old ones are kept.</summary>
/// <param name="MaxBytes">Size at which NAME.log is rotated to NAME.1.log.</param>
/// <param name="KeepFiles">Rotated files kept (NAME.1.log … NAME.N.log); older ones are deleted.</param>
public sealed record LogRotation(long MaxBytes, int KeepFiles)
{
    /// <summary>10 MiB per file and 5 old files: about 60 MiB per service at most.</summary>
    public static LogRotation Default { get; } = new(10L * 1024 * 1024, 5);

    /// <summary>ROSA_LOG_MAX_MB and ROSA_LOG_KEEP_FILES, else <see cref="Default"/>; a malformed value is an error.</summary>
    public static LogRotation FromEnvironment()
    {
        var rotation = Default;
        if (RosaEnvironment.Get("ROSA_LOG_MAX_MB") is { } mb)
        {
            rotation = rotation with
            {
                MaxBytes = double.TryParse(mb, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0 && m < 1e6
                    ? (long)(m * 1024 * 1024)
                    : throw new InvalidOperationException($"ROSA_LOG_MAX_MB={mb} is not a positive number of MiB."),
            };
        }
        if (RosaEnvironment.Get("ROSA_LOG_KEEP_FILES") is { } keep)
        {
            rotation = rotation with
            {
                KeepFiles = int.TryParse(keep, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var k) && k <= 1000
                    ? k
                    : throw new InvalidOperationException($"ROSA_LOG_KEEP_FILES={keep} is not a whole number 0..1000."),
            };
        }
        rotation.Validate();
        return rotation;
    }

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1024L, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepFiles, 0, nameof(KeepFiles));
    }
}

/// <summary>
/// An append-only log file (owner-readable only) that rotates itself by size: when NAME.log would pass
/// the limit it becomes NAME.1.log (older ones shift up, the oldest beyond the limit is deleted) and a new
/// NAME.log starts. The writer does the rotation itself, so no line is lost or written into a moved file.
/// Not thread-safe: callers serialise writes.
/// </summary>
public sealed class RotatingLogFile : IDisposable
{
    private static readonly UnixFileMode s_ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly LogRotation _rotation;
    private FileStream _stream;

    public RotatingLogFile(string path, LogRotation rotation)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        rotation.Validate();
        Path = System.IO.Path.GetFullPath(path);
        _rotation = rotation;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _stream = Open();
    }

    /// <summary>The current log file.</summary>
    public string Path { get; }

    /// <summary>The rotated file with index <paramref name="index"/> (1 is the newest).</summary>
    public string RotatedPath(int index)
        => System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $"{System.IO.Path.GetFileNameWithoutExtension(Path)}.{index}{System.IO.Path.GetExtension(Path)}");

    /// <summary>Appends one line and flushes it (a crash loses nothing already written).</summary>
    public void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        if (_stream.Length > 0 && _stream.Length + bytes.Length > _rotation.MaxBytes)
        {
            Rotate();
        }
        _stream.Write(bytes);
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();

    private void Rotate()
    {
        _stream.Dispose();
        if (_rotation.KeepFiles == 0)
        {
            File.Delete(Path);
        }
        else
        {
            File.Delete(RotatedPath(_rotation.KeepFiles));
            for (var i = _rotation.KeepFiles - 1; i >= 1; i--)
            {
                if (File.Exists(RotatedPath(i)))
                {
                    File.Move(RotatedPath(i), RotatedPath(i + 1));
                }
            }
            File.Move(Path, RotatedPath(1));
        }
        _stream = Open();
    }

    private FileStream Open()
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = s_ownerOnly;
        }
        return new FileStream(Path, options);
    }
}

using Microsoft.Extensions.Logging;

namespace RosaOS.Simulator.Audio;

/// <summary>
/// Where the daemon's own sounds are. The real daemon plays <c>wake_up.wav</c>, <c>go_sleep.wav</c>, <c>impatient1.wav</c>
/// and friends from its Python package (<c>reachy_mini/assets/</c>, shipped in the <c>reachy-mini</c> wheel on PyPI and in
/// the pollen-robotics/reachy_mini repository); they are not on the Hugging Face Hub. This simulator takes them from
/// <c>--sounds DIR</c> or from an installed reachy_mini package, and otherwise says once why they play as silence.
/// </summary>
public sealed partial class DaemonSounds
{
    /// <summary>The sounds of reachy_mini/assets/ that the daemon plays by bare name.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["wake_up.wav", "go_sleep.wav", "impatient1.wav", "confused1.wav", "dance1.wav", "count.wav"];

    private readonly ILogger<DaemonSounds> _logger;

    public DaemonSounds(SimOptions options, ILogger<DaemonSounds> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        Directory = options.SoundsDirectory ?? FindInstalledPackage();
    }

    /// <summary>The folder holding the built-in sounds, or null when this machine has none.</summary>
    public string? Directory { get; }

    /// <summary>Says at start where the built-in sounds come from, or why there are none.</summary>
    public void Describe()
    {
        if (Directory is null)
        {
            LogNoBuiltInSounds(string.Join(", ", BuiltIn));
        }
        else if (!File.Exists(Path.Combine(Directory, BuiltIn[0])))
        {
            LogFolderWithoutSounds(Directory, BuiltIn[0]);
        }
        else
        {
            LogBuiltInSounds(Directory);
        }
    }

    /// <summary>Largest sound file read for playback (the daemon's upload limit).</summary>
    public const long MaxSoundBytes = 25L * 1024 * 1024;

    /// <summary>
    /// The file the daemon would play for <paramref name="name"/>: an upload or a built-in sound by name, or an absolute path, but
    /// only inside the sound folders (uploads, built-in sounds): a request never makes the simulator read another file of this
    /// machine (<c>/etc/shadow</c>, <c>/dev/zero</c>). Null for a path outside them.
    /// </summary>
    public string? ResolveContained(string name)
    {
        var path = Resolve(name);
        var full = Path.GetFullPath(path);
        string resolved;
        try
        {
            resolved = new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            resolved = full; // no such file (or folder): nothing is read from it anyway
        }
        return new[] { VirtualSpeaker.UploadDirectory, Directory }.OfType<string>()
            .Any(folder => IsInside(resolved, folder) && IsInside(full, folder)) ? full : null;
    }

    private static bool IsInside(string path, string folder)
    {
        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return path.StartsWith(root, StringComparison.Ordinal);
    }

    /// <summary>The file the daemon would play for <paramref name="name"/>: a path as given, an upload, or a built-in sound.</summary>
    public string Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Path.IsPathRooted(name))
        {
            return name;
        }
        var upload = Path.Combine(VirtualSpeaker.UploadDirectory, Path.GetFileName(name));
        if (File.Exists(upload) || Directory is null)
        {
            return upload;
        }
        var asset = Path.Combine(Directory, Path.GetFileName(name));
        return File.Exists(asset) ? asset : upload;
    }

    /// <summary>True for a sound only the daemon's Python package has, while this machine has no copy of that package.</summary>
    public bool IsMissingBuiltIn(string name) => Directory is null && BuiltIn.Contains(Path.GetFileName(name), StringComparer.Ordinal);

    private static string? FindInstalledPackage()
    {
        var roots = new List<string> { "/usr/lib/python3/dist-packages" };
        foreach (var prefix in new[] { Environment.GetEnvironmentVariable("VIRTUAL_ENV"), "/usr/local", Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local") })
        {
            var lib = prefix is { Length: > 0 } ? Path.Combine(prefix, "lib") : null;
            if (lib is not null && System.IO.Directory.Exists(lib))
            {
                foreach (var python in System.IO.Directory.EnumerateDirectories(lib, "python3*"))
                {
                    roots.Add(Path.Combine(python, "site-packages"));
                    roots.Add(Path.Combine(python, "dist-packages"));
                }
            }
        }
        return roots.Select(r => Path.Combine(r, "reachy_mini", "assets")).FirstOrDefault(a => File.Exists(Path.Combine(a, BuiltIn[0])));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The daemon's built-in sounds ({Names}) are not on this machine: the real daemon ships them inside its Python package (reachy_mini/assets/ of the reachy-mini wheel on PyPI), which this machine cannot download. They are logged on the speaker as silent entries of length 0. Give their folder with --sounds DIR (or install reachy-mini with pip) to play them for their real duration.")]
    private partial void LogNoBuiltInSounds(string names);

    [LoggerMessage(Level = LogLevel.Warning, Message = "--sounds {Directory} has no {File}; the daemon's built-in sounds will play as silence.")]
    private partial void LogFolderWithoutSounds(string directory, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "The daemon's built-in sounds come from {Directory}.")]
    private partial void LogBuiltInSounds(string directory);
}

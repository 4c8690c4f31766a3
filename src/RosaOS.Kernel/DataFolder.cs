using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using RosaOS.Hosting;

namespace RosaOS.Kernel;

/// <summary>
/// The kernel's hold on its data folder: one kernel per folder (an exclusive lock on kernel.lock, with
/// kernel.owner naming the holder so a second kernel can say who has it), and the folder readable by its
/// owner only (0700, files 0600). The lock is released by the OS when the process dies, so a crash never
/// leaves a stale lock behind.
/// </summary>
public sealed partial class DataFolder : IDisposable
{
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly FileStream _lock;
    private readonly string _ownerPath;

    private DataFolder(string path, FileStream @lock, string ownerPath)
    {
        Path = path;
        _lock = @lock;
        _ownerPath = ownerPath;
    }

    /// <summary>The data folder (absolute).</summary>
    public string Path { get; }

    /// <summary>Takes the folder for this kernel; throws with a message naming the kernel that holds it.</summary>
    /// <param name="path">The data folder.</param>
    /// <param name="description">How this kernel is reached (its API address), written for the next one to read.</param>
    public static DataFolder Acquire(string path, string description)
    {
        path = System.IO.Path.GetFullPath(path);
        // Windows has no POSIX modes: there the folder keeps the ACL it inherits (a user profile's is owner-only).
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyFolder);
        }
        var lockPath = System.IO.Path.Combine(path, "kernel.lock");
        var ownerPath = System.IO.Path.Combine(path, "kernel.owner");
        FileStream stream;
        try
        {
            // FileShare.None takes an exclusive flock(2) on Linux and macOS, a sharing lock on Windows: a second kernel
            // fails here until this process exits.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = OwnerOnlyFile;
            }
            stream = new FileStream(lockPath, options);
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"another kernel ({Owner(ownerPath)}) is using the data folder {path}. "
                + "Stop it first, or give this one its own folder with ROSAOS_DATA_DIR.");
        }
        WriteOwner(ownerPath, description);
        Secure(path);
        return new DataFolder(path, stream, ownerPath);
    }

    /// <summary>Restates who holds the folder: a kernel started on port 0 knows its address only once it is bound.</summary>
    public void Describe(string description) => WriteOwner(_ownerPath, description);

    private static void WriteOwner(string ownerPath, string description)
    {
        var self = ProcessIdentity.Current;
        File.WriteAllText(ownerPath, JsonSerializer.Serialize(new OwnerRecord(self.Pid, self.StartTicks, DateTimeOffset.Now.ToString("O", CultureInfo.InvariantCulture), description), OwnerJson.Default.OwnerRecord));
    }

    /// <summary>Makes the folder and everything in it readable by its owner only (files written by other rosa processes included).</summary>
    public static void Secure(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        File.SetUnixFileMode(path, OwnerOnlyFolder);
        foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            try
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }
                entry.UnixFileMode = entry is DirectoryInfo ? OwnerOnlyFolder : OwnerOnlyFile;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file that is not ours (or vanished) keeps its mode; the folder's 0700 still hides it.
            }
        }
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_ownerPath);
        }
        catch (IOException)
        {
        }
        _lock.Dispose();
    }

    private static string Owner(string ownerPath)
    {
        try
        {
            var owner = JsonSerializer.Deserialize(File.ReadAllText(ownerPath), OwnerJson.Default.OwnerRecord);
            if (owner is not null)
            {
                var alive = new ProcessIdentity(owner.Pid, owner.StartTicks).IsAlive() ? "" : ", no longer alive";
                return $"pid {owner.Pid}, started {owner.StartedAt}, {owner.Description}{alive}";
            }
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
        }
        return "its details are not readable";
    }

    private sealed record OwnerRecord(int Pid, long StartTicks, string StartedAt, string Description);

    // Default options, as the reflection-based calls used (the same file format); source-generated so that a trimmed or
    // Native AOT build, which has no reflection-based JSON, can still take the data folder at start.
    [JsonSerializable(typeof(OwnerRecord))]
    private sealed partial class OwnerJson : JsonSerializerContext;
}

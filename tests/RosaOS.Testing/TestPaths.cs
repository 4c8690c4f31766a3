namespace RosaOS.Testing;

/// <summary>Where things are: the checkout, the built <c>rosa</c> program, shared test data, installed tools.</summary>
public static class TestPaths
{
    /// <summary>The repository root (the folder holding RosaOS.slnx).</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared data folder beside the checkout (../shared/data): emotions library, rosbridge transcripts.</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data"));

    /// <summary>The Reachy Mini emotions library (81 recorded moves).</summary>
    public static string EmotionsLibrary => Path.Combine(SharedData, "reachy-mini-emotions-library");

    /// <summary>The rosbridge transcripts recorded against rosbridge_suite.</summary>
    public static string RosbridgeTranscripts => Path.Combine(SharedData, "rosbridge-transcripts");

    /// <summary>Tools and assets installed by scripts/install.sh (node, npm packages, models, pictures).</summary>
    public static string ToolsDir => Environment.GetEnvironmentVariable("ROSAOS_TOOLS_DIR") is { Length: > 0 } dir
        ? dir : Path.Combine(RepoRoot, ".tools");

    /// <summary>Node 24 as scripts/install.sh installs it: npm's node-&lt;os&gt;-&lt;arch&gt; package for this machine.</summary>
    public static string NodeExecutable
    {
        get
        {
            var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
            var package = "node-" + (rid.StartsWith("osx-", StringComparison.Ordinal) ? "darwin-" + rid[4..] : rid);
            return OperatingSystem.IsWindows()
                ? Path.Combine(ToolsDir, "node", "node_modules", package, "bin", "node.exe")
                : Path.Combine(ToolsDir, "node", "node_modules", package, "bin", "node");
        }
    }

    /// <summary>The config folder shipped in the repository.</summary>
    public static string ConfigDir => Path.Combine(RepoRoot, "config");

    /// <summary>The built <c>rosa</c> program (apphost) of the same configuration as the running tests.</summary>
    public static string RosaExecutable { get; } = FindRosa();

    /// <summary>A fresh, empty directory under the test output that the caller owns.</summary>
    public static string NewTempDirectory(string prefix = "rosa")
    {
        var dir = Path.Combine(Path.GetTempPath(), "rosaos-tests", $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Folder for artifacts a person may want to look at after a run (screenshots, logs).</summary>
    public static string TestOutputDir
    {
        get
        {
            var dir = Path.Combine(RepoRoot, "artifacts", "test-output");
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RosaOS.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"RosaOS.slnx not found above {AppContext.BaseDirectory}.");
    }

    private static string FindRosa()
    {
        // Tests run from artifacts/bin/<TestProject>/<config>_<rid>/; rosa sits in artifacts/bin/RosaOS.Cli/<same>/.
        var configFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        var path = Path.Combine(RepoRoot, "artifacts", "bin", "RosaOS.Cli", configFolder, "rosa");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"The rosa program is not built at {path}; build the solution first.");
    }
}

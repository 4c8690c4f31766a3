using System.Globalization;

namespace RosaOS.Hosting;

/// <summary>
/// Reads the environment variables of the Python rosaOS (GROQ_API_KEY, REACHY_MCP_PORT, …) with the
/// defaults and meanings it gave them. Command-line flags take precedence over these.
/// </summary>
public static class RosaEnvironment
{
    /// <summary>The variable's value, or null when unset or blank.</summary>
    public static string? Get(string name)
    {
        var value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    /// <summary>The variable as a TCP port, or <paramref name="fallback"/>; a malformed value is an error, not silently ignored.</summary>
    public static int GetPort(string name, int fallback)
    {
        var value = Get(name);
        if (value is null)
        {
            return fallback;
        }
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
        {
            return port;
        }
        throw new InvalidOperationException($"{name}={value} is not a TCP port (1..65535).");
    }

    /// <summary>The repository root when running from a checkout (the folder holding RosaOS.slnx), else the current directory.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Configuration folder: ROSAOS_CONFIG_DIR, else ./config under the repository root.</summary>
    public static string ConfigDirectory => Get("ROSAOS_CONFIG_DIR") ?? Path.Combine(RepositoryRoot, "config");

    /// <summary>Data folder (database, images, logs): ROSAOS_DATA_DIR, else ./data under the repository root.</summary>
    public static string DataDirectory => Path.GetFullPath(Get("ROSAOS_DATA_DIR") ?? Path.Combine(RepositoryRoot, "data"));

    /// <summary>Folder of installed tools and assets fetched by scripts/install.sh (node, models, pictures).</summary>
    public static string ToolsDirectory => Get("ROSAOS_TOOLS_DIR") ?? Path.Combine(RepositoryRoot, ".tools");

    private static string FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "RosaOS.slnx")))
                {
                    return dir.FullName;
                }
            }
        }
        return Directory.GetCurrentDirectory();
    }
}

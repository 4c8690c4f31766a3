using System.Diagnostics;
using RosaOS.Testing;

namespace RosaOS.Configuration.Tests;

/// <summary>docs/install.md shows the packages each install profile takes; scripts/install.sh holds the one list.</summary>
public sealed class InstallListsTests
{
    [Theory]
    [InlineData("runtime")]
    [InlineData("test")]
    public async Task The_install_page_lists_exactly_what_the_installer_installs(string profile)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(TestPaths.RepoRoot, "scripts", "install.sh"), "list", profile])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi)!;
        var listed = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, process.ExitCode);
        var page = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepoRoot, "docs", "install.md"), TestContext.Current.CancellationToken);
        // The page quotes the listing of each profile in a fenced block headed by the command that prints it.
        var marker = $"$ scripts/install.sh list {profile}\n";
        var start = page.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/install.md has no block starting with '{marker.Trim()}'");
        var block = page[(start + marker.Length)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];
        Assert.Equal(listed.Trim(), block.Trim());
    }
}

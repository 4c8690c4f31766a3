using System.Diagnostics;
using RosaOS.Testing;

namespace RosaOS.Configuration.Tests;

/// <summary>
/// The Windows scripts (rosa.ps1, test.ps1, scripts/install.ps1) cannot run on Windows here, but PowerShell runs on
/// Linux: each must parse, and rosa.ps1 must install-check, publish (or find current) the ReadyToRun program and run it as
/// ./rosa does.
/// </summary>
public sealed class PowerShellScriptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Pwsh => Path.Combine(TestPaths.ToolsDir, "dotnet-tools", "pwsh");

    private static async Task<(int Code, string Output)> RunPwshAsync(string[] args, string? script = null, TimeSpan? limit = null)
    {
        Assert.True(File.Exists(Pwsh), $"PowerShell is installed by scripts/install.sh test ({Pwsh}).");
        var psi = new ProcessStartInfo(Pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.Environment["ROSAOS_TOOLS_DIR"] = TestPaths.ToolsDir;
        psi.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        psi.Environment["NO_COLOR"] = "1";
        if (script is not null)
        {
            psi.Environment["ROSA_SCRIPT"] = script;
        }
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(limit ?? TestTimeouts.Startup * 3);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Theory]
    [InlineData("rosa.ps1")]
    [InlineData("test.ps1")]
    [InlineData("scripts/install.ps1")]
    public async Task The_Windows_script_parses(string script)
    {
        var path = Path.Combine(TestPaths.RepoRoot, script);
        Assert.True(File.Exists(path), path);
        var (code, output) = await RunPwshAsync(["-Command",
            "$errors = $null; [void][System.Management.Automation.Language.Parser]::ParseFile($env:ROSA_SCRIPT, [ref]$null, [ref]$errors); "
            + "$errors | ForEach-Object { $_.Extent.StartLineNumber.ToString() + ': ' + $_.Message }; exit $errors.Count"], path);
        Assert.True(code == 0, $"{script} has parse errors:\n{output}");
    }

    [Fact]
    public async Task Rosa_ps1_runs_the_built_program_with_its_arguments()
    {
        // rosa.ps1 shares ./rosa's ReadyToRun publish and stamp: CI runs ./rosa first, so this only checks the stamp there;
        // after a source change (a developer's ./test.sh) the launcher publishes here, and crossgen takes minutes on two cores.
        var (code, output) = await RunPwshAsync(
            ["-File", Path.Combine(TestPaths.RepoRoot, "rosa.ps1"), "--help"], limit: TimeSpan.FromMinutes(20));
        Assert.True(code == 0, $"rosa.ps1 --help exited {code}:\n{output}");
        // The program's own help, listing its commands: the launcher found the publish and passed the argument on.
        Assert.Contains("estop", output, StringComparison.Ordinal);
        Assert.Contains("kernel", output, StringComparison.Ordinal);
    }
}

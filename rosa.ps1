# rosa.ps1: the Windows launcher (the counterpart of ./rosa): installs what is missing, builds rosaOS when its
# sources changed, then runs the rosa program with your arguments.  .\rosa.ps1 up    .\rosa.ps1 --help
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
& (Join-Path $root 'scripts/install.ps1') runtime
# The same ReadyToRun publish as ./rosa (issue 19): precompiled code, tiering off (RosaOS.Cli.csproj sets
# TieredCompilation=false in the publish's runtimeconfig), in its own artifacts pivot readytorun_<rid> so it never
# touches the plain build in release_<rid>/ that test.ps1 builds. Same folder and stamp as ./rosa, so on Linux (where
# the tests run this script under PowerShell 7) the two launchers share one publish.
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'rosa.exe' } else { 'rosa' }
$bin = Join-Path $root "artifacts/publish/RosaOS.Cli/readytorun_$rid/$exe"
$stamp = Join-Path $root 'artifacts/.rosa-published'
$stale = -not (Test-Path $bin) -or -not (Test-Path $stamp)
if (-not $stale) {
    # Skip MSBuild entirely (seconds on two cores) unless something it reads is newer than the last publish.
    $published = (Get-Item -Force $stamp).LastWriteTimeUtc
    $inputs = @(Get-ChildItem -Recurse -File -Force (Join-Path $root 'src') | Where-Object { $_.FullName -notmatch '[\\/]obj[\\/]' })
    $inputs += Get-Item (Join-Path $root 'Directory.Build.props'), (Join-Path $root 'Directory.Packages.props'), (Join-Path $root 'global.json')
    $stale = [bool]($inputs | Where-Object { $_.LastWriteTimeUtc -gt $published } | Select-Object -First 1)
}
if ($stale) {
    # Stamped at the start: sources changed while it builds are newer than the stamp, so the next run builds again.
    $next = "$stamp.next"
    New-Item -ItemType Directory -Force -Path (Split-Path $stamp) | Out-Null
    New-Item -ItemType File -Force -Path $next | Out-Null
    [Console]::Error.WriteLine('rosa: building (first run or sources changed; ReadyToRun-compiling takes a few minutes)...')
    dotnet publish (Join-Path $root 'src/RosaOS.Cli/RosaOS.Cli.csproj') -c Release -p:PublishReadyToRun=true `
        "-p:ArtifactsPivots=readytorun_$rid" -nologo -v quiet -clp:ErrorsOnly | ForEach-Object { [Console]::Error.WriteLine($_) }
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    Move-Item -Force -Path $next -Destination $stamp
}
& $bin @args
exit $LASTEXITCODE

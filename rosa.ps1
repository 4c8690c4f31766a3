# rosa.ps1: the Windows launcher (the counterpart of ./rosa): installs what is missing, builds rosaOS when its
# sources changed, then runs the rosa program with your arguments.  .\rosa.ps1 up    .\rosa.ps1 --help
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
& (Join-Path $root 'scripts/install.ps1') runtime
$rid = [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier
$exe = if ($IsWindows -or $env:OS -eq 'Windows_NT') { 'rosa.exe' } else { 'rosa' }
$bin = Join-Path $root "artifacts/bin/RosaOS.Cli/release_$rid/$exe"
$stamp = Join-Path $root 'artifacts/.rosa-built'
$stale = -not (Test-Path $bin) -or -not (Test-Path $stamp)
if (-not $stale) {
    $built = (Get-Item -Force $stamp).LastWriteTimeUtc
    $inputs = @(Get-ChildItem -Recurse -File (Join-Path $root 'src') | Where-Object { $_.FullName -notmatch '[\\/]obj[\\/]' })
    $inputs += Get-Item (Join-Path $root 'Directory.Build.props'), (Join-Path $root 'Directory.Packages.props'), (Join-Path $root 'global.json')
    $stale = [bool]($inputs | Where-Object { $_.LastWriteTimeUtc -gt $built } | Select-Object -First 1)
}
if ($stale) {
    [Console]::Error.WriteLine('rosa: building (first run or sources changed)...')
    dotnet build (Join-Path $root 'src/RosaOS.Cli/RosaOS.Cli.csproj') -c Release -nologo -v quiet -clp:ErrorsOnly | Write-Host
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    New-Item -ItemType File -Force -Path $stamp | Out-Null
}
& $bin @args
exit $LASTEXITCODE

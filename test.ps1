# test.ps1: the Windows counterpart of ./test.sh: installs what the tests need, builds, runs every test and prints
# "N passed, N failed" alone on its last line. Modules that need Linux-only parts (the ROS 1 graph, Debian's
# Chromium) fail there with a message naming what is missing; docs/platforms.md says what was verified where.
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
Set-Location $root
try { & (Join-Path $root 'scripts/install.ps1') test } catch { [Console]::Error.WriteLine("test.ps1: installing prerequisites failed: $_"); Write-Output '0 passed, 1 failed'; exit 1 }
$out = Join-Path $root 'artifacts/test-output'
New-Item -ItemType Directory -Force -Path $out | Out-Null
dotnet build RosaOS.slnx -c Release -nologo -v quiet -clp:ErrorsOnly | Write-Host
if ($LASTEXITCODE -ne 0) { [Console]::Error.WriteLine('test.ps1: the build failed'); Write-Output '0 passed, 1 failed'; exit 1 }
$log = Join-Path $out 'dotnet-test.log'
dotnet test --solution RosaOS.slnx -c Release --no-build --no-ansi --progress off --max-parallel-test-modules 2 --timeout 40m 2>&1 | Tee-Object -FilePath $log | Write-Host
$status = $LASTEXITCODE
function Field([string]$Name) {
    $m = Select-String -Path $log -Pattern "^\s+${Name}: (\d+)" | Select-Object -Last 1
    if ($m) { [int]$m.Matches[0].Groups[1].Value } else { 0 }
}
$passed = Field 'succeeded'; $failed = Field 'failed'; $errors = Field 'error'
# A crashed test host or a module with zero tests counts as a failure, never as silence.
if ($status -ne 0 -and $failed -eq 0) { $failed = [Math]::Max($errors, 1) }
Write-Output "$passed passed, $failed failed"
if ($failed -ne 0) { exit 1 }

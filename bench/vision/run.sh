#!/usr/bin/env bash
# Vision benchmark: simulated camera frame rate and per-frame face costs. Usage: bench/vision/run.sh [seconds-per-figure]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec dotnet run -c Release --file "$here/VisionBench.cs" -- "${ROSAOS_TOOLS_DIR:-$root/.tools}/skimage" "${1:-5}"

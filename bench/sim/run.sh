#!/usr/bin/env bash
# Benchmark of `rosa sim`: start-up time, control-loop jitter (p50/p99 over 30 s), /ws/sdk fan-out to 10 clients.
# Usage: bench/sim/run.sh [seconds=30]   (builds rosa as ./rosa does first; prints figures; leaves nothing running)
#   ROSA_BIN=path/to/rosa measures another build (e.g. the plain JIT build in artifacts/bin/ the tests use).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-30}"
if [[ -z "${ROSA_BIN:-}" ]]; then
  ./rosa --help > /dev/null 2>&1   # the ReadyToRun publish ./rosa runs, built outside the timing
  rosa=artifacts/publish/RosaOS.Cli/readytorun_$(scripts/rid.sh)/rosa
else
  rosa=$ROSA_BIN
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
"$rosa" sim --port "$port" > /tmp/rosa-sim-bench.$$.log 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; rm -f /tmp/rosa-sim-bench.$$.log' EXIT
until curl -sf "http://127.0.0.1:$port/api/daemon/status" >/dev/null; do sleep 0.02; done
answered=$(date +%s.%N)
until curl -sf "http://127.0.0.1:$port/api/daemon/status" | grep -q '"state":"running"'; do sleep 0.02; done
running=$(date +%s.%N)
echo "machine: $(nproc) vCPU, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), .NET $(dotnet --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 -c "print(f'start-up: first answer of /api/daemon/status after {($answered-$start)*1000:.0f} ms, state running (wake-up done) after {($running-$start)*1000:.0f} ms')"
dotnet run bench/sim/SimBench.cs -- "$port" "$pid" "$seconds"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

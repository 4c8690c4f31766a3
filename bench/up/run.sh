#!/usr/bin/env bash
# The footprint of the idle stack (issue 19): time from `rosa up` to "rosaOS is up." (cold data folder, no LLM),
# with the CPU time the stack's processes spent until then, then, once idle, per process the resident memory (RSS: every page mapped, the shared .NET runtime counted in
# each process) and the proportional set size (PSS: shared pages divided among the processes that map them),
# the CPU used over an idle window, and the time an orderly stop (SIGTERM, as Ctrl-C) takes.
# Usage: bench/up/run.sh [runs=3] [idle-seconds=10]   ROSA_BIN=path/to/rosa measures another build (e.g.
#   artifacts/bin/RosaOS.Cli/release_<rid>/rosa, the plain JIT build the tests use); DOTNET_* variables reach every process;
#   UP_ARGS="…" replaces the default `--no-ros` (UP_ARGS= measures the shipped stack with the simulated TurtleBot).
# Targets (issue 19): whole stack under 250 MiB, ready under 2 s; the idle simulator under 5 % of a core.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
idle=${2:-10}
if [[ -z "${ROSA_BIN:-}" ]]; then
  ./rosa --help > /dev/null 2>&1   # build once, outside the timing: the ReadyToRun publish ./rosa runs
  rosa=artifacts/publish/RosaOS.Cli/readytorun_$(scripts/rid.sh)/rosa
else
  rosa=$ROSA_BIN
fi
echo "machine: $(nproc) vCPU, load average at start $(cut -d' ' -f1-3 /proc/loadavg); binary $rosa"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }   # user + system, clock ticks
for i in $(seq "$runs"); do
  dir=$(mktemp -d)
  cp -r config "$dir/config"
  reachy=$(free_port); kernel=$(free_port); procs=$(free_port); sim=$(free_port)
  # Every fixed port of the shipped drivers.json moves to a free one, so runs never meet another stack's listeners.
  sed -i -e "s#http://localhost:5001/mcp#http://localhost:$reachy/mcp#" -e "s#http://localhost:5002/mcp#http://localhost:$(free_port)/mcp#" \
    -e "s#http://localhost:9091/mcp#http://localhost:$(free_port)/mcp#" -e "s#ws://127.0.0.1:9392#ws://127.0.0.1:$(free_port)#" "$dir/config/drivers.json"
  log="$dir/up.log"; : > "$log"
  start=$(date +%s.%N)
  env -u GROQ_API_KEY -u ANTHROPIC_API_KEY ROSAOS_CONFIG_DIR="$dir/config" ROSAOS_DATA_DIR="$dir/data" \
    REACHY_MCP_PORT=$reachy RAG_AGENT_PORT=$kernel PROCESS_SERVER_PORT=$procs LOCAL_LLM_PORT=$(free_port) \
    setsid "$rosa" up --sim-port "$sim" ${UP_ARGS---no-ros} > "$log" 2>&1 &
  pid=$!
  trap 'kill -TERM $pid 2>/dev/null || true' EXIT
  until grep -q "rosaOS is up." "$log"; do
    kill -0 $pid 2>/dev/null || { echo "rosa up exited early:"; tail -20 "$log"; exit 1; }
    sleep 0.05
  done
  ready=$(date +%s.%N)
  # CPU the stack spent getting ready (user + system of every process alive at ready): unlike the ready time, it
  # hardly depends on what else the machine runs, so it compares builds on a loaded machine.
  startcpu=0
  for p in $(grep -l "ROSA_SUPERVISOR_PID=$pid" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3) $pid; do startcpu=$((startcpu + $(ticks "$p"))); done
  sleep 5   # let the pooled workers settle
  pids="$(grep -l "ROSA_SUPERVISOR_PID=$pid" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true) $pid"
  declare -A before=()
  for p in $pids; do before[$p]=$(ticks "$p"); done
  sleep "$idle"
  hz=$(getconf CLK_TCK)
  rss=0; pss=0; n=0; each=""
  for p in $pids; do
    kb=$(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0)
    pkb=$(awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null || echo 0)
    cpu=$(awk "BEGIN{printf \"%.1f\", ($(ticks "$p") - ${before[$p]}) * 100 / $hz / $idle}")
    name=$(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | awk '{print ($2 == "" ? "?" : $2)}')
    rss=$((rss + kb)); pss=$((pss + pkb)); n=$((n + 1))
    each="$each $name=$((kb / 1024))/$((pkb / 1024))/${cpu}%"
  done
  unset before
  stop=$(date +%s.%N)
  kill -TERM $pid; wait $pid || true   # SIGTERM: background jobs of a script ignore SIGINT
  stopped=$(date +%s.%N)
  printf 'run %d: ready in %.2f s (start-up CPU %.2f s); %d processes, RSS %d MiB, PSS %d MiB (RSS MiB/PSS MiB/CPU over %d s idle:%s); stopped in %.2f s\n' \
    "$i" "$(awk "BEGIN{print $ready - $start}")" "$(awk "BEGIN{print $startcpu / $(getconf CLK_TCK)}")" "$n" $((rss / 1024)) $((pss / 1024)) "$idle" "$each" \
    "$(awk "BEGIN{print $stopped - $stop}")"
  rm -rf "$dir"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

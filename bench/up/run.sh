#!/usr/bin/env bash
# Time from `rosa up` to "rosaOS is up." (cold data folder, no LLM), the resident memory of the whole stack
# once idle, and the time an orderly stop (SIGTERM, as Ctrl-C) takes. Usage: bench/up/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
./rosa --help > /dev/null 2>&1   # build once, outside the timing
rosa=artifacts/bin/RosaOS.Cli/release_$(scripts/rid.sh)/rosa
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for i in $(seq "$runs"); do
  dir=$(mktemp -d)
  cp -r config "$dir/config"
  reachy=$(free_port); kernel=$(free_port); procs=$(free_port); sim=$(free_port)
  sed -i "s#http://localhost:5001/mcp#http://localhost:$reachy/mcp#" "$dir/config/drivers.json"
  log="$dir/up.log"; : > "$log"
  start=$(date +%s.%N)
  env -u GROQ_API_KEY -u ANTHROPIC_API_KEY ROSAOS_CONFIG_DIR="$dir/config" ROSAOS_DATA_DIR="$dir/data" \
    REACHY_MCP_PORT=$reachy RAG_AGENT_PORT=$kernel PROCESS_SERVER_PORT=$procs LOCAL_LLM_PORT=$(free_port) \
    setsid "$rosa" up --sim-port "$sim" --no-ros > "$log" 2>&1 &
  pid=$!
  until grep -q "rosaOS is up." "$log"; do
    kill -0 $pid 2>/dev/null || { echo "rosa up exited early:"; tail -20 "$log"; exit 1; }
    sleep 0.05
  done
  ready=$(date +%s.%N)
  sleep 5   # let the pooled workers settle
  rss=0; n=0; each=""
  for p in $(grep -l "ROSA_SUPERVISOR_PID=$pid" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3) $pid; do
    kb=$(awk '/VmRSS/ {print $2}' /proc/$p/status 2>/dev/null || echo 0); rss=$((rss + kb)); n=$((n + 1))
    each="$each $(tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null | awk '{print $2 ($2 == "worker" ? "" : "")}')=$((kb / 1024))"
  done
  stop=$(date +%s.%N)
  kill -TERM $pid; wait $pid || true   # SIGTERM: background jobs of a script ignore SIGINT
  stopped=$(date +%s.%N)
  printf 'run %d: ready in %.2f s; %d processes, %d MiB resident (MiB:%s); stopped in %.2f s\n' "$i" \
    "$(awk "BEGIN{print $ready - $start}")" "$n" $((rss / 1024)) "$each" "$(awk "BEGIN{print $stopped - $stop}")"
  rm -rf "$dir"
done

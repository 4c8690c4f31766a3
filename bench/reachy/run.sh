#!/usr/bin/env bash
# Round-trip latency of a trivial MCP tool call: rosa reachy vs the TypeScript SDK's server-everything (same client, same run).
# Usage: bench/reachy/run.sh [calls]   (needs scripts/install.sh test for Node 24 and server-everything)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dotnet build "$root/src/RosaOS.Cli" -c Release -v quiet -nologo >/dev/null
dotnet run --project "$root/bench/reachy/ReachyBench.csproj" -c Release -- "$root" "${1:-2000}"

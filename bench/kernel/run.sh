#!/usr/bin/env bash
# Kernel benchmark: starts real rosa kernel/worker processes against the scripted LLM (instant answers)
# and prints p50/p99 latencies and resident memory. Arguments: chat runs, pooled launches, one-off launches.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/kernel/KernelBench.csproj -c Release -v quiet -nologo >/dev/null
exec artifacts/bin/KernelBench/release_$(scripts/rid.sh)/KernelBench "$@"

#!/usr/bin/env bash
# Fuzz campaign: the same code as FuzzTests (tests/RosaOS.Security.Tests), with more cases. Every HTTP service of rosaOS
# (rosa sim, rosa reachy, rosa ros, rosa kernel on its API and process-manager ports) gets N requests generated from its route
# table and its MCP tools' input schemas (wrong types, missing/extra fields, NaN/Infinity, huge numbers and strings, deep nesting,
# invalid UTF-8, lone surrogates, huge and truncated bodies, wrong content types and Origins).
# Target: 0 answers >= 500, 0 hangs (30 s deadline), 0 crashes, every service healthy afterwards.
# Arguments: cases per service (default 10000), seed (default random). Prints the counts per service.
set -euo pipefail
cd "$(dirname "$0")/../.."
cases="${1:-10000}"
seed="${2:-$RANDOM}"
dotnet build tests/RosaOS.Security.Tests -c Release -nologo -v quiet -clp:ErrorsOnly
mkdir -p artifacts/test-output
start=$(date +%s)
status=0
ROSAOS_FUZZ_CASES="$cases" ROSAOS_FUZZ_SEED="$seed" dotnet test --project tests/RosaOS.Security.Tests -c Release --no-build \
  --filter-class "*FuzzTests" --output Detailed >artifacts/test-output/fuzz.log 2>&1 || status=$?
echo "seed $seed, $cases cases per service, load $(cut -d' ' -f1-3 /proc/loadavg)"
grep -o 'FUZZ .*' artifacts/test-output/fuzz.log || tail -40 artifacts/test-output/fuzz.log
echo "wall time: $(( $(date +%s) - start )) s; result: $([ "$status" = 0 ] && echo pass || echo FAIL); full log: artifacts/test-output/fuzz.log"
exit "$status"

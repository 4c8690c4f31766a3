#!/usr/bin/env bash
# Fault-injection run: the same code as FaultInjectionTests (tests/RosaOS.Kernel.Tests/Faults), for longer.
# A scripted conversation moves the simulated Reachy and the stand-in TurtleBot while the kernel, a worker,
# `rosa reachy` and the rosbridge are killed at random points; afterwards every event must be answered once
# (or expired), no task may have run twice, and the audit log must match the robots' own logs.
# Arguments: rounds (default 40; each round is one kill), seed (default random). Prints the kills by point.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-40}"
seed="${2:-$RANDOM}"
dotnet build RosaOS.slnx -c Release -nologo -v quiet -clp:ErrorsOnly
start=$(date +%s)
status=0
ROSA_FAULT_ROUNDS="$rounds" ROSA_FAULT_SEED="$seed" dotnet test --project tests/RosaOS.Kernel.Tests -c Release --no-build \
  --filter-class "*FaultInjectionTests" >artifacts/test-output/fault-injection.log 2>&1 || status=$?
cat artifacts/test-output/fault-injection.txt 2>/dev/null || tail -40 artifacts/test-output/fault-injection.log
echo "wall time: $(( $(date +%s) - start )) s; full log: artifacts/test-output/fault-injection.log"
exit "$status"

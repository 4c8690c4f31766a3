#!/usr/bin/env bash
# Emergency-stop latency: from the stop request to motion stopped, observed independently (the simulated Reachy's
# state stream; a rospy subscriber on the test ROS 1 graph), over N stops during motion for each path: the kernel's
# POST /api/estop, the direct path of `rosa estop` (its client, in process), and the `rosa estop` program itself.
# Usage: bench/estop/run.sh [stops per path, default 50]
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/estop/EstopBench.csproj -c Release -v quiet -nologo >/dev/null
exec artifacts/bin/EstopBench/release_$(scripts/rid.sh)/EstopBench "$@"

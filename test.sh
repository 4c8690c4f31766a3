#!/usr/bin/env bash
# test.sh: installs what the tests need (idempotent; quick when already installed), builds, runs every
# test, and prints "N passed, N failed" alone on its last line.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
cd "$root"

if ! scripts/install.sh test; then
  echo "test.sh: installing prerequisites failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

out="$root/artifacts/test-output"
mkdir -p "$out"
if ! dotnet build RosaOS.slnx -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "test.sh: the build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

log="$out/dotnet-test.log"
# Two test modules at a time: each starts real processes and two cores are all CI has.
dotnet test --solution RosaOS.slnx -c Release --no-build --no-ansi --progress off \
  --max-parallel-test-modules 2 --timeout 40m 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

field() { grep -E "^\s+$1: [0-9]+" "$log" | tail -1 | grep -oE '[0-9]+' || echo 0; }
passed=$(field succeeded)
failed=$(field failed)
skipped=$(field skipped)
errors=$(field error)
# A test host that crashed or a module with zero tests counts as a failure, never as silence.
if (( status != 0 && failed == 0 )); then
  failed=$(( errors > 0 ? errors : 1 ))
fi
if (( skipped > 0 )); then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
(( failed == 0 ))

#!/usr/bin/env bash
# publish.sh: publishes the rosa program for each platform rosaOS supports as the launchers build it (./rosa, rosa.ps1):
# ReadyToRun with tiered compilation off, framework-dependent (the machine needs the .NET 10 runtime), into
# artifacts/publish/<rid>/, and checks that each has its launcher, precompiled code, the tiering-off runtimeconfig and the
# native libraries NuGet provides for it. CI runs it on every landing, so a platform whose precompiled program stops
# building fails CI even though only linux-x64 runs the tests here.   Usage: scripts/publish.sh [rid ...]   (default: all four)
#
# Cross-compiling ReadyToRun restores, per target, Microsoft.NETCore.App.Runtime.<rid> and
# Microsoft.AspNetCore.App.Runtime.<rid> (the framework crossgen2 compiles against) and, once, crossgen2 for this host
# (Microsoft.NETCore.App.Crossgen2.<host rid>), all from NuGet at the versions the SDK picks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
rids=("$@")
(( ${#rids[@]} )) || rids=(linux-x64 linux-arm64 osx-arm64 win-x64)

# What each platform's folder must hold: the launcher, SQLite and ONNX Runtime (the VAD), and OpenCV where NuGet
# serves it (linux-x64 only; docs/platforms.md says how the others get it).
expect() {
  case "$1" in
    linux-x64) echo "rosa rosa.dll libe_sqlite3.so libonnxruntime.so libOpenCvSharpExtern.so" ;;
    linux-arm64) echo "rosa rosa.dll libe_sqlite3.so libonnxruntime.so" ;;
    osx-arm64) echo "rosa rosa.dll libe_sqlite3.dylib libonnxruntime.dylib" ;;
    win-x64) echo "rosa.exe rosa.dll e_sqlite3.dll onnxruntime.dll" ;;
    *) echo "publish.sh: unknown runtime identifier $1" >&2; return 1 ;;
  esac
}

failed=0
total=$SECONDS
for rid in "${rids[@]}"; do
  files="$(expect "$rid")"
  out="artifacts/publish/$rid"
  rm -rf "$out"
  start=$SECONDS
  # The launchers' own pivot (readytorun_<rid>, as ./rosa and rosa.ps1 pass it): its bin/ and obj/ stay apart from the
  # tests' plain build, and on this machine ./rosa then reuses this compile and crossgen output instead of redoing them.
  if ! dotnet publish src/RosaOS.Cli/RosaOS.Cli.csproj -c Release -r "$rid" --self-contained false -o "$out" \
      -p:PublishReadyToRun=true -p:ArtifactsPivots="readytorun_$rid" -nologo -v quiet -clp:ErrorsOnly; then
    echo "publish.sh: $rid: the publish failed" >&2; failed=1; continue
  fi
  missing=()
  for f in $files; do [[ -f "$out/$f" ]] || missing+=("$f"); done
  if (( ${#missing[@]} )); then
    echo "publish.sh: $rid: missing ${missing[*]}" >&2; failed=1; continue
  fi
  # RosaOS.Cli.csproj turns tiering off for a ReadyToRun publish: the footprint measured in docs/benchmarks.md needs it.
  if ! grep -Eq '"System\.Runtime\.TieredCompilation": *false' "$out/rosa.runtimeconfig.json"; then
    echo "publish.sh: $rid: rosa.runtimeconfig.json does not turn tiered compilation off" >&2; failed=1; continue
  fi
  # Precompiled code makes rosa.dll several times its IL-only size in bin/; the same size means crossgen2 did not run.
  il="artifacts/bin/RosaOS.Cli/readytorun_$rid/rosa.dll"
  if [[ ! -f "$il" ]] || (( $(wc -c < "$out/rosa.dll") <= $(wc -c < "$il") )); then
    echo "publish.sh: $rid: rosa.dll is not ReadyToRun-compiled (not larger than its IL, $il)" >&2; failed=1; continue
  fi
  echo "publish.sh: $rid: ok ($(du -sm "$out" | cut -f1) MiB, $((SECONDS - start)) s)"
done
echo "publish.sh: ${#rids[@]} runtime(s) in $((SECONDS - total)) s"
exit $failed

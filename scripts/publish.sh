#!/usr/bin/env bash
# publish.sh: publishes the rosa program for each platform rosaOS supports (framework-dependent: the machine needs
# the .NET 10 runtime) into artifacts/publish/<rid>/, and checks that each has its launcher and the native libraries
# NuGet provides for it. CI runs it on every landing, so a platform that stops building fails CI even though only
# linux-x64 runs the tests here.   Usage: scripts/publish.sh [rid ...]   (default: all four)
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
for rid in "${rids[@]}"; do
  files="$(expect "$rid")"
  out="artifacts/publish/$rid"
  rm -rf "$out"
  start=$SECONDS
  if ! dotnet publish src/RosaOS.Cli/RosaOS.Cli.csproj -c Release -r "$rid" --self-contained false -o "$out" \
      -nologo -v quiet -clp:ErrorsOnly -p:GenerateDocumentationFile=false; then
    echo "publish.sh: $rid: the publish failed" >&2; failed=1; continue
  fi
  missing=()
  for f in $files; do [[ -f "$out/$f" ]] || missing+=("$f"); done
  if (( ${#missing[@]} )); then
    echo "publish.sh: $rid: missing ${missing[*]}" >&2; failed=1; continue
  fi
  echo "publish.sh: $rid: ok ($(du -sm "$out" | cut -f1) MiB, $((SECONDS - start)) s)"
done
exit $failed

#!/usr/bin/env bash
# Prints the .NET runtime identifier of this machine (linux-x64, linux-arm64, osx-arm64, osx-x64): the folder the
# build writes to (artifacts/bin/<project>/release_<rid>/). Sourced by ./rosa, test.sh and the bench scripts.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) echo linux-x64 ;;
  Linux-aarch64 | Linux-arm64) echo linux-arm64 ;;
  Darwin-arm64) echo osx-arm64 ;;
  Darwin-x86_64) echo osx-x64 ;;
  *) echo "rid.sh: unsupported system $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

#!/usr/bin/env bash
# Speech input costs on this machine: Silero/energy VAD per window and real-time factor, segmentation, resampling,
# pocketsphinx latency. Usage: bench/speech-input/run.sh   (needs scripts/install.sh for the Silero model, espeak-ng, pocketsphinx)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dotnet run --project "$root/bench/speech-input/SpeechInputBench.csproj" -c Release -- "$root"

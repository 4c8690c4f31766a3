#!/usr/bin/env bash
# Voice turn benchmark: real rosa sim (virtual microphone and speaker), rosa reachy, rosa kernel with pooled workers,
# the scripted LLM answering after a fixed delay and a scripted Whisper; espeak-ng speaks. Each turn: "hello, what
# time is it" into the simulated microphone → the kernel launches a worker → speak. Figures come from the kernel's
# turn traces (GET /api/turns). Arguments: turns (20), LLM delay in ms (0).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/voice/VoiceBench.csproj -c Release -v quiet -nologo >/dev/null
exec artifacts/bin/VoiceBench/release_linux-x64/VoiceBench "$@"

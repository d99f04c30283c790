#!/usr/bin/env bash
# Builds the Windows (win-x64) agent and CLI on this Linux machine: a framework-dependent publish (the .NET 10 and
# ASP.NET Core 10 runtimes on the Windows PC), without the eBPF program, which is Linux-only (docs/windows.md).
#
#   scripts/publish-windows.sh [OUT_DIR]        default .build/windows; prints OUT_DIR
#
# Its own artifacts path keeps it apart from the Linux build's bin/ and obj/ directories, so it never changes what
# the Linux build and the tests use. CI runs it after the tests (.ci/run): the Windows build must keep compiling.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-"$repo/.build/windows"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

"$repo/scripts/setup.sh" >&2   # the build's tools (Node.js bundles the dashboard); installs only what is missing

dotnet publish "$repo/src/Flowmesh.Agent/Flowmesh.Agent.csproj" -c Release -r win-x64 --self-contained false \
    -p:FlowmeshBuildEbpf=false --artifacts-path "$repo/.build/windows-artifacts" -o "$out" --nologo -v q -clp:ErrorsOnly >&2
for required in flowmesh.exe flowmesh.dll e_sqlite3.dll; do
    [[ -f "$out/$required" ]] || { echo "publish-windows: $required is missing from $out" >&2; exit 1; }
done
if [[ -e "$out/flowmesh.bpf.o" ]]; then
    echo "publish-windows: the Linux eBPF program is in the Windows build" >&2
    exit 1
fi
echo "$out"

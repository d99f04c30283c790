#!/usr/bin/env bash
# Runs the rogue-peer harness of issue 16 (tests/Flowmesh.Gossip.Tests/Insider) for a person to watch: three real
# gossip peers (UDP + TCP on loopback, each with its own node key) and one insider holding the cluster key, which runs
# every attack class in InsiderAttackTests.Attacks(). Prints one line per attack and, last,
#   insider attacks refused: N of M
# Exit status 0 only when all were refused and the cluster kept full membership. Root is not needed for the loopback
# harness (sudo works too); the records-rules and certificate work add their attacks as further classes.
# Environment: CONFIGURATION (Release).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
configuration=${CONFIGURATION:-Release}
dll="$root/tests/Flowmesh.Gossip.Tests/bin/$configuration/net10.0/Flowmesh.Gossip.Tests.dll"
if [[ ! -f $dll ]]; then
    dotnet build "$root/tests/Flowmesh.Gossip.Tests" -c "$configuration" --nologo -v q -clp:ErrorsOnly >&2
fi
set +e
output=$(dotnet "$dll" -class Flowmesh.Gossip.Tests.Insider.InsiderAttackTests -showLiveOutput 2>&1)
status=$?
set -e
# The harness's lines, without the runner's decoration.
lines=$(printf '%s\n' "$output" | sed -n 's/.*\[OUTPUT\] //p' | sed 's/\x1b\[[0-9;]*m//g')
if [[ -z $lines ]]; then
    printf '%s\n' "$output" >&2
    echo "insider attacks refused: 0 of ? (the harness did not run)"
    exit 1
fi
printf '%s\n' "$lines"
exit $status

#!/usr/bin/env bash
# Runs issue 16's rogue-peer harness for a person to watch. As root (sudo, with ip, bash, sysctl and curl installed):
# against a live namespace cluster (tests/Flowmesh.IntegrationTests/Cluster/Insider, LiveInsiderAttackTests): three
# real `flowmesh agent` processes enrolled by one cluster authority, and an insider ("mallory", the cluster key and a
# valid certificate of its own) on the bridge's root-namespace address that runs the membership attacks (forged Dead,
# accusations at the top incarnation, Dead then Alive with its own address, forged Leave, replay poisoning) and the
# record attacks (no certificate, another's name, other sketch settings, a misaligned epoch, a second record in a
# slot, a flood against the byte budget). Without root: the loopback harness of tests/Flowmesh.Gossip.Tests/Insider
# (three gossip peers, the membership attacks only). Prints one line per attack and, last,
#   insider attacks refused: N of M
# Exit status 0 only when all were refused and the cluster kept full membership (and, live, full coverage).
# Environment: CONFIGURATION (Release); FLOWMESH_CLUSTER_NAME / FLOWMESH_CLUSTER_NET (the LAN's name prefix and /24,
# default fmc and 10.77.0; another cluster test running with the same ones makes this one wait for it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
configuration=${CONFIGURATION:-Release}

live=1
if [[ $(id -u) -ne 0 ]]; then
    live=0
    echo "not root: running the loopback harness (membership attacks only); sudo $0 runs the live namespace cluster" >&2
else
    for tool in ip sysctl curl; do
        if ! command -v "$tool" >/dev/null; then
            live=0
            echo "$tool is not installed (scripts/setup.sh installs it): running the loopback harness" >&2
        fi
    done
fi

if [[ $live -eq 1 ]]; then
    project=Flowmesh.IntegrationTests
    class=Flowmesh.IntegrationTests.Cluster.Insider.LiveInsiderAttackTests
else
    project=Flowmesh.Gossip.Tests
    class=Flowmesh.Gossip.Tests.Insider.InsiderAttackTests
fi
dll="$root/tests/$project/bin/$configuration/net10.0/$project.dll"
if [[ ! -f $dll ]]; then
    dotnet build "$root/tests/$project" -c "$configuration" --nologo -v q -clp:ErrorsOnly >&2
fi
set +e
output=$(dotnet "$dll" -class "$class" -showLiveOutput 2>&1)
status=$?
set -e
# The harness's lines, without the runner's decoration.
lines=$(printf '%s\n' "$output" | sed 's/\x1b\[[0-9;]*m//g' | sed -n 's/.*\[OUTPUT\] //p')
if [[ -z $lines ]]; then
    printf '%s\n' "$output" >&2
    echo "insider attacks refused: 0 of ? (the harness did not run)"
    exit 1
fi
printf '%s\n' "$lines"
if [[ $status -ne 0 ]]; then
    # A failed assertion after the lines (membership or coverage not restored): show why.
    printf '%s\n' "$output" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '\[OUTPUT\]' | grep -A12 '\[FAIL\]' >&2 || true
fi
exit $status

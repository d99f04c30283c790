#!/usr/bin/env bash
# Removes the cluster testbed: stops every process in the fmc-n* namespaces (agents, servers; SIGTERM, then SIGKILL
# after 5 s), deletes the namespaces, the bridge fmc-br and any fmc-* link, and the state directory. Safe to run
# when nothing exists. Touches nothing without the fmc- prefix.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster-lib.sh"
fmint_require_root

namespaces=$(ip netns list | awk '{print $1}' | grep -E "^$FMC_NAME-" || true)
pids=()
for ns in $namespaces; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
done
if ((${#pids[@]})); then
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    kill -KILL "${pids[@]}" 2>/dev/null || true
fi
for ns in $namespaces; do
    ip netns del "$ns" && fmc_log "deleted namespace $ns"
done
# The root ends of the veth pairs vanish with their peers, asynchronously; delete what is left and wait.
for _ in $(seq 50); do
    links=$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E "^$FMC_NAME-" || true)
    [[ -z $links ]] && break
    for link in $links; do ip link del "$link" 2>/dev/null || true; done
    sleep 0.1
done
if [[ -f $FMC_STATE/.fmc-cluster ]]; then rm -rf "$FMC_STATE"; fi

#!/usr/bin/env bash
# Removes the testbed namespaces (and with them the veth pair). Safe to run when nothing exists.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fmint_require_root

for ns in "$FMINT_NS_A" "$FMINT_NS_B"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        # Processes left in the namespace (servers of an aborted run) would keep it alive.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
        ip netns del "$ns"
        fmint_log "deleted namespace $ns"
    fi
done

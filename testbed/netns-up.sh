#!/usr/bin/env bash
# Creates two network namespaces joined by a veth pair, with IPv4 and IPv6 (ULA) addresses.
# Starts from a clean slate: a leftover testbed of an aborted run is removed first.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
source "$here/lib.sh"
fmint_require_root

"$here/netns-down.sh"

created=0
on_error() { ((created)) && "$here/netns-down.sh" || true; }
trap on_error ERR

ip netns add "$FMINT_NS_A"
ip netns add "$FMINT_NS_B"
created=1
ip link add "$FMINT_IF_A" netns "$FMINT_NS_A" type veth peer name "$FMINT_IF_B" netns "$FMINT_NS_B"

for side in A B; do
    ns_var=FMINT_NS_$side; if_var=FMINT_IF_$side; v4_var=FMINT_V4_$side; v6_var=FMINT_V6_$side
    ns=${!ns_var}; dev=${!if_var}
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "${!v4_var}/$FMINT_V4_PREFIX" dev "$dev"
    # nodad: the address is usable at once instead of after duplicate address detection.
    ip -n "$ns" -6 addr add "${!v6_var}/$FMINT_V6_PREFIX" dev "$dev" nodad
    ip -n "$ns" link set "$dev" up
done

# Wait until both ends see carrier, so the first packets of a recording are not lost.
for _ in $(seq 50); do
    if in_a cat "/sys/class/net/$FMINT_IF_A/operstate" | grep -qx up \
        && in_b cat "/sys/class/net/$FMINT_IF_B/operstate" | grep -qx up; then
        fmint_log "testbed up: $FMINT_NS_A($FMINT_V4_A, $FMINT_V6_A) <-> $FMINT_NS_B($FMINT_V4_B, $FMINT_V6_B)"
        exit 0
    fi
    sleep 0.1
done
echo "fmint: veth pair did not come up" >&2
exit 1

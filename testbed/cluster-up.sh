#!/usr/bin/env bash
# Builds a virtual LAN of N network namespaces (fmc-n1..fmc-nN, 10.77.0.1..N/24) on the bridge fmc-br, which has
# 10.77.0.254 in the root namespace. Starts from a clean slate (a leftover cluster is removed first).
# Usage: cluster-up.sh N        (2 <= N <= 50). Exit 77 = cannot run here (not root, ip missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cluster-lib.sh"

n=${1:-}
if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 2 || n > FMC_MAX_NODES)); then
    echo "usage: $0 N   (2..$FMC_MAX_NODES namespaces)" >&2
    exit 2
fi
fmint_require_root
fmint_require_tools ip sysctl

"$here/cluster-down.sh"

trap '"$here/cluster-down.sh" || true' ERR

# nf_call_iptables 0: on hosts with br_netfilter loaded, bridged frames would otherwise pass the root namespace's
# iptables FORWARD chain, whose policy (e.g. Docker's DROP) is not ours to change. Older iproute2 lacks the option.
ip link add "$FMC_BRIDGE" type bridge nf_call_iptables 0 2>/dev/null || ip link add "$FMC_BRIDGE" type bridge
# IPv6 off on the LAN: no router solicitations, MLD reports or DAD, only the agents' and the generators' traffic.
sysctl -qw "net.ipv6.conf.$FMC_BRIDGE.disable_ipv6=1"
ip addr add "$FMC_ROOT_ADDR/$FMC_PREFIXLEN" dev "$FMC_BRIDGE"
ip link set "$FMC_BRIDGE" up

for i in $(seq "$n"); do
    ns=$(fmc_ns "$i"); dev=$(fmc_if "$i"); port=$(fmc_port "$i")
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add "$port" type veth peer name "$dev" netns "$ns"
    sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
    ip link set "$port" master "$FMC_BRIDGE" up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(fmc_addr "$i")/$FMC_PREFIXLEN" dev "$dev"
    ip -n "$ns" link set "$dev" up
done

# Wait for carrier everywhere, so the first gossip packets are not lost.
for _ in $(seq 100); do
    down=0
    for i in $(seq "$n"); do
        [[ $(ip netns exec "$(fmc_ns "$i")" cat "/sys/class/net/$(fmc_if "$i")/operstate") == up ]] || down=1
    done
    if ((down == 0)); then
        fmc_log "cluster LAN up: $n namespaces $(fmc_ns 1)..$(fmc_ns "$n") on $FMC_BRIDGE ($FMC_NET.1-$FMC_NET.$n, root $FMC_ROOT_ADDR)"
        exit 0
    fi
    sleep 0.1
done
echo "fmc: links did not come up" >&2
exit 1

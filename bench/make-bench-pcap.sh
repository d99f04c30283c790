#!/usr/bin/env bash
# Records a multi-million-packet capture of real traffic between two network namespaces, for the
# whole-process comparison (compare-pcap.sh). Mix modelled on ../shared/reference/capture-from-dotnet.md 2.2:
# one fast small-packet UDP flow, IPv6 TCP with small writes, tens of thousands of one-packet UDP flows, ping.
#   sudo bench/make-bench-pcap.sh OUT.pcap [SECONDS]
set -euo pipefail
out=$(realpath -m "${1:?usage: $0 OUT.pcap [SECONDS]}")
seconds=${2:-8}
[[ $EUID -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }
for tool in iperf3 hping3 tcpdump; do command -v $tool >/dev/null || { echo "missing $tool (scripts/setup.sh --test)" >&2; exit 1; }; done

a=fmbench-a b=fmbench-b
cleanup() {
    ip netns pids $b 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns pids $a 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del $a 2>/dev/null || true
    ip netns del $b 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add $a
ip netns add $b
ip link add fmbench0 netns $a type veth peer name fmbench1 netns $b
ip -n $a addr add 10.213.90.1/24 dev fmbench0
ip -n $b addr add 10.213.90.2/24 dev fmbench1
ip -n $a addr add fd00:213:90::1/64 dev fmbench0 nodad
ip -n $b addr add fd00:213:90::2/64 dev fmbench1 nodad
ip -n $a link set fmbench0 up; ip -n $a link set lo up
ip -n $b link set fmbench1 up; ip -n $b link set lo up

ip netns exec $b iperf3 -s -D -p 5201 >/dev/null
ip netns exec $b iperf3 -s -D -p 5202 >/dev/null
sleep 0.5
ip netns exec $b tcpdump -i fmbench1 -s 0 -B 524288 -w "$out" -q 2>/tmp/fmbench-tcpdump.log &
dump=$!
sleep 1
ip netns exec $a iperf3 -c 10.213.90.2 -p 5201 -u -b 0 -l 64 -t "$seconds" >/dev/null &
ip netns exec $a iperf3 -c fd00:213:90::2 -p 5202 -6 -N -l 200 -b 40M -t "$seconds" >/dev/null &
ip netns exec $a hping3 -q -n --udp -p ++1024 -i u100 -c $((seconds * 8000)) -d 16 10.213.90.2 >/dev/null 2>&1 &
ip netns exec $a ping -6 -c "$seconds" -i 1 fd00:213:90::2 >/dev/null &
wait %2 %3 %4 %5 2>/dev/null || true
sleep 1
kill -INT $dump; wait $dump || true
cat /tmp/fmbench-tcpdump.log >&2
ls -l "$out" >&2

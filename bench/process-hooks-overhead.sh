#!/usr/bin/env bash
# What do the process attribution hooks (src/ebpf/process.bpf.c) cost the traffic? iperf3 between two network
# namespaces over a veth pair, with and without the hooks loaded (by `flowmesh flows --host-context process` capturing
# on loopback, so the flow capture itself costs the veth traffic nothing). The hooks are global: they run for every
# socket on the machine, whichever interface is captured.
#   1. TCP throughput, ROUNDS rounds of SECONDS each, modes interleaved so drift hits both alike.
#   2. 64-byte UDP flood (the worst case: sock_send_length runs per datagram): packets per second, and each hook's
#      kernel time per run from the BPF run-time statistics (kernel.bpf_stats_enabled=1 during the hooked runs only).
# Usage (root): bench/process-hooks-overhead.sh [ROUNDS=3] [SECONDS=5]
# A benchmark, not a test: on a shared or small VM the spread between runs is several percent.
set -euo pipefail

ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-5}
NS_A=fmprocess-bench-a
NS_B=fmprocess-bench-b
DEV_A=fmprocb0
DEV_B=fmprocb1
ADDR_A=10.254.223.17
ADDR_B=10.254.223.18
PORT=5321

[[ $EUID -eq 0 ]] || { echo "process-hooks-overhead: needs root (namespaces, eBPF)" >&2; exit 1; }
for tool in iperf3 bpftool ip awk dotnet; do
    command -v "$tool" >/dev/null || { echo "process-hooks-overhead: $tool is missing (scripts/setup.sh --test)" >&2; exit 1; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/fmprocess-bench.XXXXXX)
echo "building the agent (Release)..." >&2
dotnet build "$repo/src/Flowmesh.Agent" -c Release -o "$work/agent" -v q -nologo >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 1; }

stats_before=$(cat /proc/sys/kernel/bpf_stats_enabled)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    sysctl -qw kernel.bpf_stats_enabled="$stats_before"
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"
ip netns add "$NS_B"
ip link add "$DEV_A" netns "$NS_A" type veth peer name "$DEV_B" netns "$NS_B"
ip -n "$NS_A" addr add "$ADDR_A/30" dev "$DEV_A"
ip -n "$NS_B" addr add "$ADDR_B/30" dev "$DEV_B"
for ns in "$NS_A" "$NS_B"; do ip -n "$ns" link set lo up; done
ip -n "$NS_A" link set "$DEV_A" up
ip -n "$NS_B" link set "$DEV_B" up

ip netns exec "$NS_B" iperf3 -s -p "$PORT" >/dev/null 2>&1 &
pids+=($!)
sleep 1

hooks_pid=""
start_hooks() { # $1 = none | hooks
    hooks_pid=""
    [[ $1 == hooks ]] || return 0
    dotnet "$work/agent/flowmesh.dll" flows --capture pcap -i lo --host-context process --format json >/dev/null 2>"$work/hooks.err" </dev/null &
    hooks_pid=$!
    pids+=("$hooks_pid")
    for _ in $(seq 200); do grep -q 'host context: process' "$work/hooks.err" && break; sleep 0.1; done
    grep -q 'process: eBPF socket hooks' "$work/hooks.err" || { cat "$work/hooks.err" >&2; exit 1; }
}
stop_hooks() {
    [[ -n $hooks_pid ]] || return 0
    kill -TERM "$hooks_pid"
    wait "$hooks_pid" 2>/dev/null || true
}

# Each hook's kernel time per run: run_time_ns / run_cnt of the flowmesh_* tracing programs.
hook_ns_per_run() {
    bpftool prog show 2>/dev/null | awk '
        /^[0-9]+: / { name = $4; ours = (name == "flowmesh_tcp_state" || name == "flowmesh_send" || name == "flowmesh_receive" || name == "flowmesh_device_queue") }
        ours { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t[name] += $(i+1); if ($i == "run_cnt") c[name] += $(i+1) } }
        END { for (n in c) if (c[n] > 0) printf " %s %.0f ns x %d;", n, t[n] / c[n], c[n] }'
}

tcp_gbps() { # receiver-side Gbit/s
    ip netns exec "$NS_A" iperf3 -c "$ADDR_B" -p "$PORT" -t "$SECONDS_PER_RUN" -f g \
        | awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Gbits/sec") v = $(i-1) } END { print v }'
}

udp_pps() { # sender datagrams per second, 64-byte payloads, unlimited rate
    ip netns exec "$NS_A" iperf3 -c "$ADDR_B" -p "$PORT" -u -b 0 -l 64 -t "$SECONDS_PER_RUN" \
        | awk -v s="$SECONDS_PER_RUN" '/sender/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); v = a[2] / s } } END { printf "%.0f", v }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A tcp udp
modes=(none hooks)
echo "TCP throughput, $ROUNDS rounds x $SECONDS_PER_RUN s (Gbit/s received):"
for round in $(seq "$ROUNDS"); do
    for mode in "${modes[@]}"; do
        start_hooks "$mode"
        value=$(tcp_gbps)
        stop_hooks
        tcp[$mode]+="$value "
        printf '  round %d %-5s %s\n' "$round" "$mode" "$value"
    done
done

echo "UDP 64-byte flood, $ROUNDS rounds x $SECONDS_PER_RUN s (sender packets/s):"
for round in $(seq "$ROUNDS"); do
    for mode in "${modes[@]}"; do
        note=""
        start_hooks "$mode"
        [[ $mode == hooks ]] && sysctl -qw kernel.bpf_stats_enabled=1
        value=$(udp_pps)
        [[ $mode == hooks ]] && note="  kernel:$(hook_ns_per_run)"
        [[ $mode == hooks ]] && sysctl -qw kernel.bpf_stats_enabled="$stats_before"
        stop_hooks
        udp[$mode]+="$value "
        printf '  round %d %-5s %s%s\n' "$round" "$mode" "$value" "$note"
    done
done

echo
echo "Summary (median of $ROUNDS; ratio to the run without hooks):"
base_tcp=$(tr ' ' '\n' <<<"${tcp[none]}" | grep . | median)
base_udp=$(tr ' ' '\n' <<<"${udp[none]}" | grep . | median)
for mode in "${modes[@]}"; do
    m_tcp=$(tr ' ' '\n' <<<"${tcp[$mode]}" | grep . | median)
    m_udp=$(tr ' ' '\n' <<<"${udp[$mode]}" | grep . | median)
    awk -v m="$mode" -v t="$m_tcp" -v bt="$base_tcp" -v u="$m_udp" -v bu="$base_udp" \
        'BEGIN { printf "  %-5s TCP %6.2f Gbit/s (%.3f)   UDP-64 %8.0f pps (%.3f)\n", m, t, t / bt, u, u / bu }'
done
echo "(hooked UDP runs had kernel.bpf_stats_enabled=1, which adds two clock reads per program run)"

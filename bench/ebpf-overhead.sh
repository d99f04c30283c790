#!/usr/bin/env bash
# What does watching traffic cost the traffic? iperf3 between two network namespaces over a veth pair,
# with nothing watching, with the Flowmesh eBPF flow program attached to the sender's interface, and with
# libpcap (tcpdump -w /dev/null as a stand-in for a packet-copying capture) on the same interface.
#   1. TCP throughput, ROUNDS rounds of SECONDS each, modes interleaved so drift hits all alike.
#   2. 64-byte UDP flood: packets per second, and the flow program's own kernel time per packet from
#      the kernel's BPF run-time statistics (kernel.bpf_stats_enabled=1 during those runs only).
#   3. Host-context hooks (docs/host-context.md: TCP RTT, retransmissions, drop reasons, process attribution): TCP throughput
#      with the flow program alone and with the flow program plus the hooks, HOOK_ROUNDS rounds each,
#      alternating, and the hooks' kernel time per run.
# Usage (root): bench/ebpf-overhead.sh [ROUNDS=3] [SECONDS=5] [HOOK_ROUNDS=5]
# ONLY=hooks bench/ebpf-overhead.sh ... runs part 3 alone.
# PROCESS_HOOKS=1 adds a mode "process": the process attribution hooks (src/ebpf/process.bpf.c) alone, no flow
# program; they are global, so they run for the iperf3 sockets whichever interface is watched.
# A benchmark, not a test: on a shared or small VM the spread between runs is several percent.
set -euo pipefail

ROUNDS=${1:-3}
SECONDS_PER_RUN=${2:-5}
HOOK_ROUNDS=${3:-5}
ONLY=${ONLY:-all}
NS_A=fmebpf-bench-a
NS_B=fmebpf-bench-b
DEV_A=fmebpfb0
DEV_B=fmebpfb1
ADDR_A=10.254.217.17
ADDR_B=10.254.217.18
PORT=5311

[[ $EUID -eq 0 ]] || { echo "ebpf-overhead: needs root (namespaces, eBPF)" >&2; exit 1; }
for tool in iperf3 tcpdump bpftool ip awk dotnet; do
    command -v "$tool" >/dev/null || { echo "ebpf-overhead: $tool is missing (scripts/setup.sh --test)" >&2; exit 1; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/fmebpf-bench.XXXXXX)
echo "building the eBPF runner (Release)..." >&2
dotnet build "$repo/tests/Flowmesh.Capture.EbpfRunner" -c Release -o "$work/runner" -v q -nologo >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; exit 1; }
runner="$work/runner/Flowmesh.Capture.EbpfRunner"

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

monitor_pid=""
start_monitor() { # $1 = none | ebpf | hooks | pcap
    monitor_pid=""
    case $1 in
        ebpf|hooks)
            local extra=()
            [[ $1 == hooks ]] && extra=(--host-context-hooks)
            ip netns exec "$NS_A" "$runner" --interfaces "$DEV_A" "${extra[@]}" >"$work/runner.out" 2>&1 </dev/null &
            monitor_pid=$!
            for _ in $(seq 100); do grep -q '^attached' "$work/runner.out" && break; sleep 0.1; done
            grep -q '^attached' "$work/runner.out" || { cat "$work/runner.out" >&2; exit 1; }
            ;;
        process)
            "$runner" --process-hooks only >"$work/runner.out" 2>&1 </dev/null &
            monitor_pid=$!
            for _ in $(seq 100); do grep -q '^attached' "$work/runner.out" && break; sleep 0.1; done
            grep -q '^attached' "$work/runner.out" || { cat "$work/runner.out" >&2; exit 1; }
            ;;
        pcap)
            ip netns exec "$NS_A" tcpdump -i "$DEV_A" -n -s 128 -B 32768 -w /dev/null >"$work/tcpdump.out" 2>&1 </dev/null &
            monitor_pid=$!
            for _ in $(seq 100); do grep -q 'listening on' "$work/tcpdump.out" && break; sleep 0.1; done
            ;;
    esac
    [[ -n $monitor_pid ]] && pids+=("$monitor_pid")
    return 0
}
stop_monitor() {
    [[ -n $monitor_pid ]] || return 0
    kill -TERM "$monitor_pid"
    wait "$monitor_pid" 2>/dev/null || true
}

# The process hooks' kernel time per run, each (mode "process").
process_ns_per_run() {
    bpftool prog show 2>/dev/null | awk '
        /^[0-9]+: / { name = $4; ours = (name == "flowmesh_tcp_state" || name == "flowmesh_send" || name == "flowmesh_receive" || name == "flowmesh_device_queue") }
        ours { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t[name] += $(i+1); if ($i == "run_cnt") c[name] += $(i+1) } }
        END { for (n in c) if (c[n] > 0) printf " %s %.0f ns x %d;", n, t[n] / c[n], c[n] }'
}

# The program's kernel time: sum run_time_ns / run_cnt over flowmesh_in and flowmesh_out.
bpf_ns_per_packet() {
    bpftool prog show 2>/dev/null | awk '
        /^[0-9]+: / { ours = ($4 == "flowmesh_in" || $4 == "flowmesh_out") }
        ours { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t += $(i+1); if ($i == "run_cnt") c += $(i+1) } }
        END { if (c > 0) printf "%.1f ns/pkt over %d runs", t / c, c; else printf "no run statistics" }'
}

# The host-context hooks' kernel time: run_time_ns / run_cnt per program (the RTT hook runs per received segment).
hooks_ns_per_run() {
    bpftool prog show 2>/dev/null | awk '
        /^[0-9]+: / { name = $4; ours = (name ~ /^flowmesh_(tcp_rtt|tcp_rtt_probe|tcp_retransmit|kfree_skb|tcp_state|send|receive|device_queue)$/) }
        ours { for (i = 1; i < NF; i++) { if ($i == "run_time_ns") t[name] += $(i+1); if ($i == "run_cnt") c[name] += $(i+1) } }
        END { for (n in c) if (c[n] > 0) printf "%s %.1f ns x %d  ", n, t[n] / c[n], c[n] }'
}

tcp_gbps() { # receiver-side Gbit/s; iperf3 -s refuses a client for a moment after the previous test ("busy"): retry
    local out
    for _ in 1 2 3 4 5; do
        if out=$(ip netns exec "$NS_A" iperf3 -c "$ADDR_B" -p "$PORT" -t "$SECONDS_PER_RUN" -f g 2>&1); then
            awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Gbits/sec") v = $(i-1) } END { print v }' <<<"$out"
            return 0
        fi
        sleep 1
    done
    echo "ebpf-overhead: iperf3 failed: $out" >&2
    return 1
}

udp_pps() { # sender datagrams per second, 64-byte payloads, unlimited rate
    ip netns exec "$NS_A" iperf3 -c "$ADDR_B" -p "$PORT" -u -b 0 -l 64 -t "$SECONDS_PER_RUN" \
        | awk -v s="$SECONDS_PER_RUN" '/sender/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); v = a[2] / s } } END { printf "%.0f", v }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A tcp udp hook_tcp
modes=(none ebpf pcap)
[[ ${PROCESS_HOOKS:-0} == 1 ]] && modes+=(process)
if [[ $ONLY != hooks ]]; then
echo "TCP throughput, $ROUNDS rounds x $SECONDS_PER_RUN s (Gbit/s received):"
for round in $(seq "$ROUNDS"); do
    for mode in "${modes[@]}"; do
        start_monitor "$mode"
        value=$(tcp_gbps)
        stop_monitor
        tcp[$mode]+="$value "
        printf '  round %d %-5s %s\n' "$round" "$mode" "$value"
    done
done

echo "UDP 64-byte flood, $ROUNDS rounds x $SECONDS_PER_RUN s (sender packets/s):"
for round in $(seq "$ROUNDS"); do
    for mode in "${modes[@]}"; do
        note=""
        [[ $mode == ebpf || $mode == process ]] && sysctl -qw kernel.bpf_stats_enabled=1
        start_monitor "$mode"
        value=$(udp_pps)
        [[ $mode == ebpf ]] && note="  kernel: $(bpf_ns_per_packet)"
        [[ $mode == process ]] && note="  kernel:$(process_ns_per_run)"
        stop_monitor
        [[ $mode == ebpf || $mode == process ]] && sysctl -qw kernel.bpf_stats_enabled="$stats_before"
        udp[$mode]+="$value "
        printf '  round %d %-5s %s%s\n' "$round" "$mode" "$value" "$note"
    done
done

echo
echo "Summary (median of $ROUNDS; ratio to the unmonitored baseline):"
base_tcp=$(tr ' ' '\n' <<<"${tcp[none]}" | grep . | median)
base_udp=$(tr ' ' '\n' <<<"${udp[none]}" | grep . | median)
for mode in "${modes[@]}"; do
    m_tcp=$(tr ' ' '\n' <<<"${tcp[$mode]}" | grep . | median)
    m_udp=$(tr ' ' '\n' <<<"${udp[$mode]}" | grep . | median)
    awk -v m="$mode" -v t="$m_tcp" -v bt="$base_tcp" -v u="$m_udp" -v bu="$base_udp" \
        'BEGIN { printf "  %-5s TCP %6.2f Gbit/s (%.3f)   UDP-64 %8.0f pps (%.3f)\n", m, t, t / bt, u, u / bu }'
done
echo "(ebpf UDP runs had kernel.bpf_stats_enabled=1, which adds two clock reads per program run)"
fi

# 3. The host-context hooks see every namespace's TCP sockets and drops, so they are measured on top of the
# flow program (what an agent with --host-context runs): same iperf3 TCP, alternating, no bpf stats.
echo
echo "Host-context hooks, TCP throughput, $HOOK_ROUNDS rounds x $SECONDS_PER_RUN s each (Gbit/s received), flow program on in both:"
for round in $(seq "$HOOK_ROUNDS"); do
    for mode in ebpf hooks; do
        start_monitor "$mode"
        value=$(tcp_gbps)
        stop_monitor
        hook_tcp[$mode]+="$value "
        printf '  round %d %-5s %s\n' "$round" "$mode" "$value"
    done
done
sysctl -qw kernel.bpf_stats_enabled=1
start_monitor hooks
tcp_gbps >/dev/null
note=$(hooks_ns_per_run)
stop_monitor
sysctl -qw kernel.bpf_stats_enabled="$stats_before"
off=$(tr ' ' '\n' <<<"${hook_tcp[ebpf]}" | grep . | median)
on=$(tr ' ' '\n' <<<"${hook_tcp[hooks]}" | grep . | median)
awk -v off="$off" -v on="$on" -v n="$HOOK_ROUNDS" \
    'BEGIN { printf "  hooks off %.2f / on %.2f Gbit/s (median of %d): %.3f, target >= 0.98\n", off, on, n, on / off }'
echo "  hooks' kernel time (one extra run with kernel.bpf_stats_enabled=1): $note"

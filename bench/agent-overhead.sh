#!/usr/bin/env bash
# What one `flowmesh agent` costs on a PC, and whether that cost stays flat as the cluster grows.
# For each N (default: 3 5 10) it builds N network namespaces on a bridge, starts one agent in each (libpcap capture
# on the namespace's interface, --epoch 10s, LAN profile, API on the namespace address), waits until every agent
# sees N members alive, warms up, then drives light real traffic for the measurement window (every node pings its
# neighbour 5x/s; node 1 -> node N iperf3 TCP at 10 Mbit/s) and reports per agent:
#   cpu%   (utime+stime from /proc/<pid>/stat over the window; CPU the process consumed, so other load on the
#           machine slows it but does not inflate it), RSS (VmRSS at the end, MiB),
#   gossip bytes sent/received per second (flowmesh_gossip_{sent,received}_bytes_total from /metrics, UDP+TCP sealed),
#   records stored (flowmesh_records_stored) with their mean size (flowmesh_records_stored_bytes / records) and members
#   alive at the end, and gossip drops of any reason (rate-limited included) at the end.
# Everything is named with the prefix "fml" (bridge fml-br 10.91.0.254/24, namespaces fml-n<i> = 10.91.0.<i>,
# state in /tmp/fml-overhead) and removed on exit, also on failure or Ctrl-C.
# Usage: sudo bench/agent-overhead.sh [N ...]
# Environment: FLOWMESH (agent command; default the native AOT build .build/agent/flowmesh, built by ./flowmesh),
#   FML_WARMUP (s, default 30), FML_WINDOW (measurement window, s, default 120).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes=("${@:-3 5 10}")
# shellcheck disable=SC2206
sizes=(${sizes[*]})
warmup=${FML_WARMUP:-30}
window=${FML_WINDOW:-120}
net=10.91.0
bridge=fml-br
state=/tmp/fml-overhead
gossip_port=7946
api_port=7947

(( EUID == 0 )) || { echo "fml: needs root (network namespaces)" >&2; exit 77; }
for tool in ip curl ping iperf3 python3; do command -v "$tool" >/dev/null || { echo "fml: $tool missing" >&2; exit 77; }; done
if ip route | grep -q "^$net\."; then echo "fml: $net.0/24 is already routed here; refusing to collide" >&2; exit 1; fi

if [[ -n ${FLOWMESH:-} ]]; then
    # shellcheck disable=SC2206
    agent=($FLOWMESH)
else
    "$repo/flowmesh" --help >/dev/null   # builds the native binary when the sources changed
    agent=("$repo/.build/agent/flowmesh")
fi

log() { printf '[fml %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

pids=()
teardown() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do
        local alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.2
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    pids=()
    for ns in $(ip netns list | awk '{print $1}' | grep -E '^fml-n[0-9]+$' || true); do
        # Anything still running in our namespaces (a stray ping or iperf3) goes with it.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^fml-' || true); do
        ip link del "$link" 2>/dev/null || true
    done
    rm -rf "$state"
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    teardown
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every agent shares one API token (their APIs listen beyond loopback, where each request needs it).
api_curl() { curl -H "Authorization: Bearer $(cat "$state/api.token")" "$@"; }
metric() {   # node name -> value of metric $2 (first sample)
    api_curl -fsS --max-time 3 "http://$net.$1:$api_port/metrics" 2>/dev/null | awk -v m="$2" '$1 == m && !found { print $2; found = 1 }'
}
drops_total() {   # node -> gossip packets/frames dropped, all reasons (rate_limited among them)
    api_curl -fsS --max-time 3 "http://$net.$1:$api_port/metrics" 2>/dev/null \
        | awk '$1 ~ /^flowmesh_gossip_dropped_packets_total[{]/ { sum += $2 } END { print sum + 0 }'
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
alive_count() {
    api_curl -fsS --max-time 2 "http://$net.$1:$api_port/api/v1/members" 2>/dev/null \
        | python3 -c 'import json,sys; print(sum(m["state"] == "alive" for m in json.load(sys.stdin)["members"]))' 2>/dev/null \
        || echo 0
}

run() {
    local n=$1 i
    teardown
    mkdir -p "$state"
    ip link add "$bridge" type bridge
    ip addr add "$net.254/24" dev "$bridge"
    ip link set "$bridge" up
    for i in $(seq "$n"); do
        ip netns add "fml-n$i"
        ip link add "fml-v$i" type veth peer name "fml-e$i"
        ip link set "fml-e$i" netns "fml-n$i"
        ip link set "fml-v$i" master "$bridge" up
        ip -n "fml-n$i" addr add "$net.$i/24" dev "fml-e$i"
        ip -n "fml-n$i" link set "fml-e$i" up
        ip -n "fml-n$i" link set lo up
    done
    (umask 077; "${agent[@]}" keygen >"$state/cluster.key"; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/api.token"; echo >>"$state/api.token")
    declare -gA agent_pid=()
    for i in $(seq "$n"); do
        mkdir -p "$state/n$i"
        local args=(agent --name "n$i" --data-dir "$state/n$i" --interface "fml-e$i" --capture pcap
                    --bind "$net.$i:$gossip_port" --api "$net.$i:$api_port" --key-file "$state/cluster.key"
                    --api-token-file "$state/api.token" --epoch 10s --no-discovery --profile lan)
        ((i > 1)) && args+=(--join "$net.1:$gossip_port")
        ip netns exec "fml-n$i" "${agent[@]}" "${args[@]}" >"$state/n$i/agent.log" 2>&1 </dev/null &
        agent_pid[$i]=$!
        pids+=($!)
    done
    local converged=0
    for _ in $(seq 120); do
        converged=1
        for i in $(seq "$n"); do [[ $(alive_count "$i") == "$n" ]] || { converged=0; break; }; done
        ((converged)) && break
        sleep 0.5
    done
    ((converged)) || { echo "fml: N=$n did not converge within 60 s" >&2; tail -n 20 "$state"/n1/agent.log >&2; exit 1; }
    log "N=$n: all agents see $n alive; warm-up ${warmup}s"
    sleep "$warmup"

    # Light, steady traffic for the whole window: pings around the ring and one 10 Mbit/s TCP stream.
    for i in $(seq "$n"); do
        local next=$(( i % n + 1 ))
        ip netns exec "fml-n$i" ping -q -i 0.2 -w "$((window + 5))" "$net.$next" >/dev/null 2>&1 &
        pids+=($!)
    done
    ip netns exec "fml-n$n" iperf3 --server --one-off --port 5291 >/dev/null 2>&1 &
    pids+=($!)
    sleep 0.5
    ip netns exec fml-n1 iperf3 --client "$net.$n" --port 5291 --bitrate 10M --time "$window" >/dev/null 2>&1 &
    pids+=($!)

    local hz t0 t1 dt
    hz=$(getconf CLK_TCK)
    declare -A c0=() s0=() r0=()
    t0=$(date +%s.%N)
    for i in $(seq "$n"); do
        c0[$i]=$(cpu_ticks "${agent_pid[$i]}")
        s0[$i]=$(metric "$i" flowmesh_gossip_sent_bytes_total)
        r0[$i]=$(metric "$i" flowmesh_gossip_received_bytes_total)
    done
    sleep "$window"
    t1=$(date +%s.%N)
    dt=$(python3 -c "print($t1 - $t0)")
    local load
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    printf '\nN=%s  window %.1f s  load average %s\n' "$n" "$dt" "$load"
    printf '%-5s %7s %9s %12s %12s %8s %9s %6s %6s\n' node cpu% rss_MiB sent_B/s recv_B/s records B/record alive drops
    for i in $(seq "$n"); do
        local c1 s1 r1 rss records stored alive drops
        c1=$(cpu_ticks "${agent_pid[$i]}")
        rss=$(rss_mib "${agent_pid[$i]}")
        s1=$(metric "$i" flowmesh_gossip_sent_bytes_total)
        r1=$(metric "$i" flowmesh_gossip_received_bytes_total)
        records=$(metric "$i" flowmesh_records_stored)
        stored=$(metric "$i" flowmesh_records_stored_bytes)
        alive=$(alive_count "$i")
        drops=$(drops_total "$i")
        python3 - "$i" "${c0[$i]}" "$c1" "$hz" "$dt" "$rss" "${s0[$i]}" "$s1" "${r0[$i]}" "$r1" "$records" "$stored" "$alive" "$drops" <<'EOF'
import sys
i, c0, c1, hz, dt, rss, s0, s1, r0, r1, rec, stored, alive, drops = sys.argv[1:]
dt = float(dt)
cpu = (int(c1) - int(c0)) / int(hz) / dt * 100
print(f"n{i:<4} {cpu:7.2f} {float(rss):9.1f} {(float(s1) - float(s0)) / dt:12.0f} {(float(r1) - float(r0)) / dt:12.0f} {float(rec):8.0f} {float(stored) / max(1.0, float(rec)):9.0f} {alive:>6} {drops:>6}")
EOF
    done
    teardown
}

log "agent: ${agent[*]}; sizes: ${sizes[*]}; warm-up ${warmup}s, window ${window}s"
log "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
for n in "${sizes[@]}"; do
    (( n >= 2 && n <= 50 )) || { echo "fml: N must be 2..50" >&2; exit 2; }
    run "$n"
done

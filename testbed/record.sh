#!/usr/bin/env bash
# Records real traffic between two fresh namespaces into a pcap file:
#   curl <-> python3 http.server (IPv4 and IPv6), iperf3 TCP and UDP (IPv4 and IPv6, 1 s each,
#   rate-limited), an nmap SYN scan of 100 ports, ping and ping -6, and hping3 SYNs with random
#   spoofed sources. The capture is taken with tcpdump -s 0 on namespace A's end of the veth.
# Usage: record.sh OUTPUT.pcap
# The namespaces are always removed on exit, also on failure or interruption. Exit 77 = cannot run
# here (not root, tool missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTPUT.pcap" >&2
    exit 2
fi
out="$(realpath -m "$1")"
fmint_require_root
fmint_require_tools ip timeout tcpdump curl python3 iperf3 nmap hping3 ping ss

HTTP_PORT=8080
IPERF_PORT=5201
SPOOFED_SYNS=${FMINT_SPOOFED_SYNS:-400}

workdir="$(mktemp -d)"
tcpdump_pid=""
server_pids=()
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [[ -n $tcpdump_pid ]]; then kill -TERM "$tcpdump_pid" 2>/dev/null || true; wait "$tcpdump_pid" 2>/dev/null || true; fi
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    "$here/netns-down.sh" || true
    rm -rf "$workdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/netns-up.sh"

# --- servers in namespace B -------------------------------------------------------------------
mkdir -p "$workdir/www"
head -c 30000 /dev/urandom | base64 > "$workdir/www/page.txt"
echo '<html><body>flowmesh testbed</body></html>' > "$workdir/www/index.html"
# "--bind ::" makes http.server dual-stack (IPv4-mapped connections are accepted too).
# Background jobs are started with "ip netns exec" itself, not through the in_b function: then $!
# is the server's own pid (ip execs it) and killing it really stops it.
ip netns exec "$FMINT_NS_B" python3 -m http.server "$HTTP_PORT" --bind :: --directory "$workdir/www" \
    >"$workdir/http.log" 2>&1 &
server_pids+=($!)
ip netns exec "$FMINT_NS_B" iperf3 --server --port "$IPERF_PORT" >"$workdir/iperf3-server.log" 2>&1 &
server_pids+=($!)

wait_listening() {   # port
    for _ in $(seq 100); do
        in_b ss -Hltn "sport = :$1" | grep -q LISTEN && return 0
        sleep 0.1
    done
    echo "fmint: nothing listens on port $1 in $FMINT_NS_B" >&2
    return 1
}
wait_listening "$HTTP_PORT"
wait_listening "$IPERF_PORT"

# --- capture in namespace A -------------------------------------------------------------------
# SIGTERM, not SIGINT, stops it: a non-interactive shell starts background jobs with SIGINT ignored.
# -Z root: tcpdump would otherwise drop to its own user and might not write into OUTPUT's directory.
# -U: write every packet at once, so nothing is lost in a buffer when we stop it.
ip netns exec "$FMINT_NS_A" tcpdump -i "$FMINT_IF_A" -s 0 -U -n -Z root -w "$out" 2>"$workdir/tcpdump.log" &
tcpdump_pid=$!
for _ in $(seq 100); do
    grep -q 'listening on' "$workdir/tcpdump.log" && break
    sleep 0.1
done
grep -q 'listening on' "$workdir/tcpdump.log" || { cat "$workdir/tcpdump.log" >&2; exit 1; }
fmint_log "capturing on $FMINT_NS_A/$FMINT_IF_A into $out"

# --- traffic from namespace A -----------------------------------------------------------------
fmint_log "ping, ping -6"
in_a timeout 10 ping -c 4 -i 0.2 -W 1 "$FMINT_V4_B" >/dev/null
in_a timeout 10 ping -6 -c 4 -i 0.2 -W 1 "$FMINT_V6_B" >/dev/null

fmint_log "curl over IPv4 and IPv6"
for path in / /page.txt /missing; do
    in_a timeout 10 curl -sS -o /dev/null --max-time 5 "http://$FMINT_V4_B:$HTTP_PORT$path"
    in_a timeout 10 curl -sS -o /dev/null --max-time 5 "http://[$FMINT_V6_B]:$HTTP_PORT$path"
done

fmint_log "iperf3 TCP and UDP over IPv4 and IPv6"
for addr in "$FMINT_V4_B" "$FMINT_V6_B"; do
    in_a timeout 15 iperf3 --client "$addr" --port "$IPERF_PORT" --time 1 --bitrate 20M >/dev/null
    in_a timeout 15 iperf3 --client "$addr" --port "$IPERF_PORT" --time 1 --udp --bitrate 5M --length 1200 >/dev/null
done

fmint_log "nmap SYN scan of ports 1-100"
in_a timeout 30 nmap -n -Pn -sS -p 1-100 --max-retries 1 -T4 "$FMINT_V4_B" >/dev/null

fmint_log "hping3: $SPOOFED_SYNS SYNs with random spoofed sources"
# The peer has no route back to the spoofed sources, so nothing leaves the testbed.
in_a timeout 20 hping3 --syn --rand-source --destport 80 --count "$SPOOFED_SYNS" --interval u2000 "$FMINT_V4_B" \
    >/dev/null 2>&1 || true   # hping3 exits 1 when no reply came, which is the expected case

sleep 0.3   # let the last replies arrive before the capture stops
kill -TERM "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
fmint_log "$(grep -E 'packets (captured|received by filter|dropped)' "$workdir/tcpdump.log" | tr '\n' ' ')"

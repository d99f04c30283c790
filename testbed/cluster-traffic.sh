#!/usr/bin/env bash
# Real traffic between the namespaces of a running cluster (cluster-up.sh N, N >= 2), made by real tools:
#   the last node serves python3 -m http.server (8080) and iperf3 --server (5201);
#   every node pings every other node once; node 1 fetches 3 URLs with curl (one 404) and runs iperf3 TCP
#   (20 Mbit/s) and UDP (5 Mbit/s) for 1 s each; node 2 SYN-scans ports 1-200 of the server with nmap; node 3
#   (node 1 when N < 4) sends 300 SYNs with random spoofed sources to port 80 with hping3.
# The servers are stopped on exit, also on failure. Nothing leaves the namespaces: they have no route but their
# own /24, so replies to spoofed sources are dropped inside the server's namespace.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cluster-lib.sh"
fmint_require_root
fmint_require_tools ip timeout curl python3 iperf3 nmap hping3 ping ss

mapfile -t nodes < <(fmc_nodes)
((${#nodes[@]} >= 2)) || { echo "fmc: need a cluster of at least 2 namespaces (cluster-up.sh N)" >&2; exit 1; }
server=${nodes[-1]}; client=${nodes[0]}; scanner=${nodes[1]}
flooder=$client; ((${#nodes[@]} >= 4)) && flooder=${nodes[2]}
server_addr=$(fmc_addr "$server")
HTTP_PORT=8080
IPERF_PORT=5201

workdir=$(mktemp -d)
server_pids=()
cleanup() {
    local rc=$?
    for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$workdir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$workdir/www"
head -c 30000 /dev/urandom | base64 >"$workdir/www/page.txt"
echo '<html><body>flowmesh cluster testbed</body></html>' >"$workdir/www/index.html"
ip netns exec "$(fmc_ns "$server")" python3 -m http.server "$HTTP_PORT" --bind "$server_addr" --directory "$workdir/www" \
    >"$workdir/http.log" 2>&1 &
server_pids+=($!)
ip netns exec "$(fmc_ns "$server")" iperf3 --server --port "$IPERF_PORT" >"$workdir/iperf3.log" 2>&1 &
server_pids+=($!)
for port in "$HTTP_PORT" "$IPERF_PORT"; do
    for _ in $(seq 100); do
        in_node "$server" ss -Hltn "sport = :$port" | grep -q LISTEN && continue 2
        sleep 0.1
    done
    echo "fmc: nothing listens on port $port in $(fmc_ns "$server")" >&2
    exit 1
done

fmc_log "ping between every pair of ${#nodes[@]} nodes"
for a in "${nodes[@]}"; do
    for b in "${nodes[@]}"; do
        [[ $a == "$b" ]] || in_node "$a" timeout 5 ping -c 1 -W 1 "$(fmc_addr "$b")" >/dev/null
    done
done

fmc_log "curl n$client -> n$server"
for path in / /page.txt /missing; do
    in_node "$client" timeout 10 curl -sS -o /dev/null --max-time 5 "http://$server_addr:$HTTP_PORT$path"
done

fmc_log "iperf3 TCP and UDP n$client -> n$server"
in_node "$client" timeout 15 iperf3 --client "$server_addr" --port "$IPERF_PORT" --time 1 --bitrate 20M >/dev/null
in_node "$client" timeout 15 iperf3 --client "$server_addr" --port "$IPERF_PORT" --time 1 --udp --bitrate 5M --length 1200 >/dev/null

fmc_log "nmap SYN scan n$scanner -> n$server ports 1-200"
in_node "$scanner" timeout 60 nmap -n -Pn -sS -p 1-200 --max-retries 1 -T4 "$server_addr" >/dev/null

fmc_log "hping3: 300 spoofed SYNs n$flooder -> n$server:80"
in_node "$flooder" timeout 20 hping3 --syn --rand-source --destport 80 --count 300 --interval u2000 "$server_addr" \
    >/dev/null 2>&1 || true   # exits 1 when no reply came, which is expected
fmc_log "traffic done"

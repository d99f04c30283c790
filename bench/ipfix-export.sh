#!/usr/bin/env bash
# IPFIX export rate, flowmesh against softflowd 1.1.0 (-v 10, IPFIX) on the same capture file, as a ratio from the
# same run. Each exporter sends to its own nfcapd on loopback; the flows/s are the flows that collector stored per
# second of the exporter's wall time, and nfdump -I says how many sequence failures the collector counted.
#   bench/ipfix-export.sh FILE.pcap [RUNS]          (bench/make-flows-pcap.py makes a flow-heavy FILE)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
file=$(realpath "${1:?usage: $0 FILE.pcap [RUNS]}")
runs=${2:-3}
for tool in nfcapd nfdump softflowd; do command -v $tool >/dev/null || { echo "missing $tool (scripts/setup.sh --test)" >&2; exit 1; }; done

"$repo/flowmesh" --help >/dev/null   # build once, outside the timings
binary="$repo/.build/agent/flowmesh"
cat "$file" >/dev/null               # warm the page cache
port=47390
scratch=$(mktemp -d)
collector=""
cleanup() { [[ -n "$collector" ]] && kill "$collector" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT

declare -A commands=(
    [flowmesh]="$binary flows --pcap $file --format csv --ipfix 127.0.0.1:$port"
    [flowmesh-unpaced]="$binary flows --pcap $file --format csv --ipfix 127.0.0.1:$port --ipfix-rate 0"
    # -c none: softflowd 1.1.0 otherwise hangs in accept() on its control socket after -r.
    [softflowd]="softflowd -d -r $file -n 127.0.0.1:$port -v 10 -m 262144 -c none"
)
order=(flowmesh flowmesh-unpaced softflowd)
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A rate stored failures wall
for tool in "${order[@]}"; do
    rates=() storeds=() fails=() walls=()
    for ((i = 1; i <= runs; i++)); do
        echo "  $tool run $i/$runs" >&2
        rm -rf "$scratch/nf" && mkdir "$scratch/nf"
        nfcapd -w "$scratch/nf" -p $port -b 127.0.0.1 >"$scratch/nfcapd.log" 2>&1 &
        collector=$!
        sleep 1
        start=$(date +%s.%N)
        ${commands[$tool]} >/dev/null 2>"$scratch/tool.log"
        end=$(date +%s.%N)
        sleep 1   # what is still in the socket buffer reaches the file
        kill -TERM "$collector"; wait "$collector" 2>/dev/null || true; collector=""
        flows=$(nfdump -R "$scratch/nf" -I | awk -F': ' '/^Flows:/{print $2}')
        seq=$(nfdump -R "$scratch/nf" -I | awk -F': ' '/^Sequence failures:/{print $2}')
        w=$(awk -v s="$start" -v e="$end" 'BEGIN{print e-s}')
        walls+=("$w"); storeds+=("$flows"); fails+=("$seq")
        rates+=("$(awk -v f="$flows" -v w="$w" 'BEGIN{print f/w}')")
    done
    rate[$tool]=$(printf '%s\n' "${rates[@]}" | median)
    stored[$tool]=$(printf '%s\n' "${storeds[@]}" | median)
    failures[$tool]=$(printf '%s\n' "${fails[@]}" | median)
    wall[$tool]=$(printf '%s\n' "${walls[@]}" | median)
done

echo "File: $(basename "$file"), $(capinfos -M -c "$file" 2>/dev/null | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}') packets. Median of $runs runs."
echo "Machine: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), kernel $(uname -r)."
echo
echo "| exporter | wall s | flows stored by nfcapd | flows/s | sequence failures (nfdump -I) | rate vs softflowd |"
echo "|---|---|---|---|---|---|"
for tool in "${order[@]}"; do
    awk -v t="$tool" -v w="${wall[$tool]}" -v f="${stored[$tool]}" -v r="${rate[$tool]}" -v s="${failures[$tool]}" -v base="${rate[softflowd]}" \
        'BEGIN{printf "| %s | %.2f | %d | %.0f | %d | %.2fx |\n", t, w, f, r, s, r/base}'
done

#!/usr/bin/env bash
# Whole-process comparison on one capture file: flowmesh flows vs softflowd -r vs pmacctd -I vs tshark -z conv.
# Reports wall time, CPU time (user+sys), peak RSS, packets per second and CPU per packet, as the
# median of RUNS runs with a warm page cache, and the ratios to flowmesh. Markdown on stdout.
#   bench/compare-pcap.sh FILE.pcap [RUNS]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
file=$(realpath "${1:?usage: $0 FILE.pcap [RUNS]}")
runs=${2:-3}
packets=$(capinfos -M -c "$file" 2>/dev/null | awk -F: '/Number of packets/{gsub(/ /,"",$2); print $2}')

if [[ -n ${FLOWMESH:-} ]]; then
    binary=$FLOWMESH                     # another build, e.g. "dotnet .../flowmesh.dll" (bench/evaluate.sh's smoke test)
else
    "$repo/flowmesh" --help >/dev/null   # build once, outside the timings
    binary="$repo/.build/agent/flowmesh"
fi
cat "$file" >/dev/null               # warm the page cache

# softflowd 1.1.0 hangs in accept() on its control socket after -r unless given -c none
# (../shared/reference/capture-from-dotnet.md 2.2); its NetFlow export goes to a loopback port nobody reads.
# pmacctd reads the savefile and exits at its end; its print plugin writes the 5-tuple flows as CSV at exit.
pmacct_output=$(mktemp)
declare -A commands=(
    [flowmesh]="$binary flows --pcap $file --format json"
    [softflowd]="softflowd -d -r $file -n 127.0.0.1:9995 -v 9 -6 -m 262144 -c none"
    [pmacctd]="pmacctd -I $file -P print -c src_host,dst_host,src_port,dst_port,proto -O csv -o $pmacct_output"
    [tshark]="tshark -n -r $file -q -z conv,tcp -z conv,udp"
)
order=(flowmesh softflowd pmacctd tshark)

measurement=$(mktemp)
trap 'rm -f "$measurement" "$pmacct_output"' EXIT
median() { sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A wall cpu rss
for tool in "${order[@]}"; do
    command -v "${commands[$tool]%% *}" >/dev/null || { echo "missing ${commands[$tool]%% *}" >&2; exit 1; }
    walls=() cpus=() rsss=()
    for ((i = 1; i <= runs; i++)); do
        echo "  $tool run $i/$runs" >&2
        /usr/bin/time -o "$measurement" -f "%e %U %S %M" ${commands[$tool]} >/dev/null 2>&1
        read -r w u s m < "$measurement"
        walls+=("$w"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')"); rsss+=("$m")
    done
    wall[$tool]=$(printf '%s\n' "${walls[@]}" | median)
    cpu[$tool]=$(printf '%s\n' "${cpus[@]}" | median)
    rss[$tool]=$(printf '%s\n' "${rsss[@]}" | median)
done

echo "File: $(basename "$file"), $packets packets, $(du -h "$file" | cut -f1). Median of $runs runs, page cache warm."
echo "Machine: $(nproc) cores, $(awk -F: '/model name/{print $2; exit}' /proc/cpuinfo | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)."
echo
echo "| tool | wall s | CPU s | peak RSS MB | packets/s (wall) | CPU ns/packet | wall vs flowmesh | CPU vs flowmesh |"
echo "|---|---|---|---|---|---|---|---|"
for tool in "${order[@]}"; do
    awk -v t="$tool" -v w="${wall[$tool]}" -v c="${cpu[$tool]}" -v m="${rss[$tool]}" -v p="$packets" \
        -v fw="${wall[flowmesh]}" -v fc="${cpu[flowmesh]}" \
        'BEGIN{printf "| %s | %.2f | %.2f | %.0f | %.2f M | %.0f | %.2fx | %.2fx |\n", t, w, c, m/1024, p/w/1e6, c*1e9/p, w/fw, c/fc}'
done

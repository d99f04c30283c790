# Experiment 2, offline flow extraction: bench/make-bench-pcap.sh records real traffic between two namespaces, then
# bench/compare-pcap.sh times flowmesh flows, softflowd -r, pmacctd -I and tshark on that one file (median of runs,
# page cache warm). Sourced by bench/evaluate.sh. Writes $EVAL_OUT/offline.csv:
#   tool, packets, wall_seconds, cpu_seconds, peak_rss_mib, packets_per_second, cpu_ns_per_packet

eval_offline() {
    local seconds runs capture=$EVAL_WORK/offline.pcap
    seconds=$(eval_pick 1 2 8)
    runs=$(eval_pick 1 1 5)   # quick: one run each (pmacctd alone takes several seconds per file)
    eval_step "offline: recording ${seconds}s of namespace traffic (bench/make-bench-pcap.sh)"
    "$EVAL_REPO/bench/make-bench-pcap.sh" "$capture" "$seconds" >/dev/null 2>"$EVAL_WORK/offline-record.log" \
        || { cat "$EVAL_WORK/offline-record.log" >&2; return 1; }
    local packets
    packets=$(capinfos -M -c "$capture" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    eval_step "offline: $packets packets; bench/compare-pcap.sh, median of $runs"
    "$EVAL_REPO/bench/compare-pcap.sh" "$capture" "$runs" >"$EVAL_WORK/offline.md" 2>"$EVAL_WORK/offline-compare.log" \
        || { cat "$EVAL_WORK/offline-compare.log" >&2; return 1; }
    # Its table: | tool | wall s | CPU s | peak RSS MB | packets/s (wall) | CPU ns/packet | ...; packets/s is recomputed
    # from the exact count rather than read back rounded to "x.xx M".
    echo "tool,packets,wall_seconds,cpu_seconds,peak_rss_mib,packets_per_second,cpu_ns_per_packet" >"$EVAL_OUT/offline.csv"
    awk -F'|' -v p="$packets" '/^\| [a-z]/ && $2 !~ /tool/ {
        gsub(/ /, "", $2); w = $3 + 0; c = $4 + 0; if (w < 0.01) w = 0.01; if (c < 0.01) c = 0.01
        printf "%s,%d,%.3f,%.3f,%.0f,%.0f,%.0f\n", $2, p, w, c, $5, p / w, c * 1e9 / p }' "$EVAL_WORK/offline.md" >>"$EVAL_OUT/offline.csv"
}

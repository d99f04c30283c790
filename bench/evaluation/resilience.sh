# Experiment 6, resilience: a live cluster of agents in network namespaces (testbed/cluster-*.sh, under the names
# fmcev-* and 10.78.19.0/24 so it never meets another checkout's cluster), every node pinging its neighbour, through
# one timeline of phases: 5 % then 20 % datagram loss (nftables "numgen random mod 100 < N drop" on the bridge),
# half the nodes cut off and healed, then kill -9 of agents until 10, 20 and 40 % are gone. Node 1 is never harmed
# and is the one asked. Sourced by bench/evaluate.sh. Writes:
#   $EVAL_OUT/resilience.csv     t_seconds, phase, members_alive, contributing, expected   (node 1's view, every second)
#   $EVAL_OUT/resilience-error.csv  bucket_start_seconds, phase, view_bytes, true_bytes, relative_error, origins
#       (node 1's final answer for each 10 s bucket against the bridge's nftables byte counter, sampled every second)
#   $EVAL_OUT/detection.csv      nodes, killed, detection_seconds   (kill -9 until node 1 lists every victim dead)

eval_resilience_env() {
    export FMC_NAME=fmcev FMC_NET=10.78.19 FMC_EPOCH=2s FMC_CAPTURE=pcap FLOWMESH
    FLOWMESH=$(eval_flowmesh)
    # shellcheck source=../../testbed/cluster-lib.sh
    source "$EVAL_REPO/testbed/cluster-lib.sh"
}

eval_resilience_down() {
    nft delete table bridge fmcev 2>/dev/null || true
    "$EVAL_REPO/testbed/cluster-down.sh" >/dev/null 2>&1 || true
}

# node 1's members alive, contributing and expected origins over the last 30 s.
eval_resilience_sample() {
    local members traffic
    members=$(fmc_curl -fsS --max-time 2 "$(fmc_api_url 1)/api/v1/members" 2>/dev/null || echo '{}')
    traffic=$(fmc_curl -fsS --max-time 3 "$(fmc_api_url 1)/api/v1/traffic?window=30s" 2>/dev/null || echo '{}')
    python3 -c '
import json, sys
m, t = json.loads(sys.argv[1] or "{}"), json.loads(sys.argv[2] or "{}")
alive = sum(x.get("state") == "alive" for x in m.get("members", []))
c = t.get("coverage", {})
print(alive, c.get("contributing", 0), c.get("expected", 0))' "$members" "$traffic"
}

eval_resilience() {
    eval_resilience_env
    local n phase_seconds
    n=$(eval_pick 4 10 20)
    phase_seconds=$(eval_pick 8 20 40)
    exec 9>"$FMC_LOCK"; flock 9
    eval_step "resilience: cluster of $n agents (testbed/cluster-up.sh, cluster-agents.sh; epoch 2 s, libpcap)"
    "$EVAL_REPO/testbed/cluster-up.sh" "$n" 2>"$EVAL_WORK/resilience-up.log" || { cat "$EVAL_WORK/resilience-up.log" >&2; return 1; }
    "$EVAL_REPO/testbed/cluster-agents.sh" start 2>"$EVAL_WORK/resilience-agents.log" \
        || { cat "$EVAL_WORK/resilience-agents.log" >&2; eval_resilience_down; return 1; }
    # Every frame the bridge forwards is counted before any loss rule: the truth of what the LAN carried.
    nft add table bridge fmcev
    nft add counter bridge fmcev lan
    nft add chain bridge fmcev loss
    nft add chain bridge fmcev forward '{ type filter hook forward priority 0; policy accept; }'
    nft add rule bridge fmcev forward counter name lan
    nft add rule bridge fmcev forward meta l4proto udp jump loss
    local i
    for i in $(seq "$n"); do
        in_node "$i" ping -q -i 0.2 -s 100 "$(fmc_addr $(( i % n + 1 )))" >/dev/null 2>&1 &
    done
    for _ in $(seq 60); do
        read -r alive _ _ <<<"$(eval_resilience_sample)"
        [[ $alive == "$n" ]] && break
        sleep 1
    done
    eval_step "resilience: $alive of $n alive at node 1; phases of ${phase_seconds}s"

    echo "t_seconds,phase,members_alive,contributing,expected" >"$EVAL_OUT/resilience.csv"
    echo "nodes,killed,detection_seconds" >"$EVAL_OUT/detection.csv"
    : >"$EVAL_WORK/counter.txt"; : >"$EVAL_WORK/phases.txt"
    local t0 killed=0 victims=() target
    t0=$(date +%s.%N)
    eval_resilience_observe() { # $1 = phase name; samples every second for the phase's length
        echo "$(date +%s.%N) $1" >>"$EVAL_WORK/phases.txt"
        eval_step "resilience: phase $1"
        local end=$(( $(date +%s) + phase_seconds ))
        while (( $(date +%s) < end )); do
            local now bytes
            now=$(date +%s.%N)
            bytes=$(nft list counter bridge fmcev lan | awk '/bytes/ { for (i = 1; i < NF; i++) if ($i == "bytes") print $(i+1) }')
            echo "$now $bytes" >>"$EVAL_WORK/counter.txt"
            read -r alive contributing expected <<<"$(eval_resilience_sample)"
            awk -v t="$now" -v t0="$t0" -v p="$1" -v a="$alive" -v c="$contributing" -v e="$expected" \
                'BEGIN { printf "%.1f,%s,%s,%s,%s\n", t - t0, p, a, c, e }' >>"$EVAL_OUT/resilience.csv"
            sleep 0.7
        done
    }
    eval_resilience_observe baseline
    nft add rule bridge fmcev loss numgen random mod 100 '<' 5 drop
    eval_resilience_observe loss-5%
    nft flush chain bridge fmcev loss
    nft add rule bridge fmcev loss numgen random mod 100 '<' 20 drop
    eval_resilience_observe loss-20%
    nft flush chain bridge fmcev loss
    for i in $(seq $(( n / 2 + 1 )) "$n"); do ip link set "$(fmc_port "$i")" down; done
    eval_resilience_observe partition
    for i in $(seq $(( n / 2 + 1 )) "$n"); do ip link set "$(fmc_port "$i")" up; done
    eval_resilience_observe healed
    for target in 10 20 40; do
        local want=$(( (n * target + 99) / 100 )) new=() t_kill
        while (( killed < want )); do
            i=$(( n - killed )); new+=("$i"); victims+=("$i"); killed=$(( killed + 1 ))
            kill -KILL "$(cat "$FMC_STATE/n$i/agent.pid")" 2>/dev/null || true
        done
        t_kill=$(date +%s.%N)
        eval_resilience_observe "killed-$target%"
        ((${#new[@]})) || continue
        # Detection: from the kill until node 1 lists every new victim as dead (bounded by the documented worst case).
        local detected=""
        for _ in $(seq 240); do
            if fmc_curl -fsS --max-time 2 "$(fmc_api_url 1)/api/v1/members" 2>/dev/null | python3 -c '
import json, sys
dead = {m["name"] for m in json.load(sys.stdin)["members"] if m["state"] == "dead"}
sys.exit(0 if all("n" + v in dead for v in sys.argv[1:]) else 1)' "${new[@]}"; then
                detected=$(awk -v a="$t_kill" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'); break
            fi
            sleep 0.5
        done
        echo "$n,${#new[@]},$detected" >>"$EVAL_OUT/detection.csv"
    done
    # The final answer of node 1 for every 10 s bucket of the timeline (from/to, so each bucket is exactly 10 s),
    # against the bridge counter.
    sleep 6
    local start last
    start=$(( (${t0%.*} / 10 + 1) * 10 )); last=$(tail -n 1 "$EVAL_WORK/counter.txt" | cut -d' ' -f1); last=${last%.*}
    : >"$EVAL_WORK/buckets.txt"
    while (( start + 10 <= last )); do
        fmc_curl -fsS --max-time 10 "$(fmc_api_url 1)/api/v1/traffic?from=${start}000000&to=$(( start + 10 ))000000" 2>/dev/null \
            | python3 -c 'import json, sys; t = json.load(sys.stdin); print(sys.argv[1], t["totals"]["bytes"]["value"], t["coverage"]["contributing"])' "$start" \
            >>"$EVAL_WORK/buckets.txt" || true
        start=$(( start + 10 ))
    done
    python3 "$EVAL_REPO/bench/evaluation/resilience_error.py" "$EVAL_WORK/buckets.txt" "$EVAL_WORK/counter.txt" \
        "$EVAL_WORK/phases.txt" "$t0" >"$EVAL_OUT/resilience-error.csv"
    eval_resilience_down
    flock -u 9
}

# Experiment 1, overhead vs packet rate: iperf3 between two network namespaces over a veth, with nothing watching the
# sender's interface, with the flowmesh agent (eBPF capture, then libpcap capture), and with the peers tcpdump
# (-w /dev/null) and softflowd (live NetFlow export to a loopback port nobody reads). Loads: TCP at full speed and
# 64-byte UDP at several offered rates (0 = unlimited). Monitors alternate within each load, so drift hits all alike.
# Also the monitor's CPU (utime+stime over the run, % of one core) and RSS at the end.
# Sourced by bench/evaluate.sh. Writes $EVAL_OUT/overhead.csv:
#   load, offered_pps, monitor, value, unit, monitor_cpu_percent, monitor_rss_mib

EVAL_OV_A=fmev-ova EVAL_OV_B=fmev-ovb EVAL_OV_DEV_A=fmevov0 EVAL_OV_DEV_B=fmevov1
EVAL_OV_ADDR_A=10.254.219.1 EVAL_OV_ADDR_B=10.254.219.2 EVAL_OV_PORT=5321

eval_overhead_down() {
    local ns
    for ns in $EVAL_OV_A $EVAL_OV_B; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
}

eval_overhead_up() {
    eval_overhead_down
    ip netns add $EVAL_OV_A
    ip netns add $EVAL_OV_B
    ip link add $EVAL_OV_DEV_A netns $EVAL_OV_A type veth peer name $EVAL_OV_DEV_B netns $EVAL_OV_B
    ip -n $EVAL_OV_A addr add $EVAL_OV_ADDR_A/30 dev $EVAL_OV_DEV_A
    ip -n $EVAL_OV_B addr add $EVAL_OV_ADDR_B/30 dev $EVAL_OV_DEV_B
    local ns
    for ns in $EVAL_OV_A $EVAL_OV_B; do ip -n "$ns" link set lo up; done
    ip -n $EVAL_OV_A link set $EVAL_OV_DEV_A up
    ip -n $EVAL_OV_B link set $EVAL_OV_DEV_B up
    ip netns exec $EVAL_OV_B iperf3 -s -D -p $EVAL_OV_PORT >/dev/null
    sleep 1
}

# Starts monitor $1 in the sender's namespace; sets EVAL_OV_PID (empty for none) once it watches the interface.
eval_overhead_start() {
    EVAL_OV_PID=""
    local dir=$EVAL_WORK/overhead-$1
    rm -rf "$dir"; mkdir -p "$dir"
    case $1 in
        none) return 0 ;;
        agent-ebpf|agent-pcap)
            (umask 077; "$(eval_flowmesh)" keygen >"$dir/cluster.key")
            ip netns exec $EVAL_OV_A "$(eval_flowmesh)" agent --name ev --data-dir "$dir/data" --interface $EVAL_OV_DEV_A \
                --capture "${1#agent-}" --bind $EVAL_OV_ADDR_A:7946 --api 127.0.0.1:7947 --key-file "$dir/cluster.key" \
                --no-discovery --epoch 10s >"$dir/log" 2>&1 </dev/null &
            EVAL_OV_PID=$!
            # Ready when its API answers (the capture is attached before the API starts).
            for _ in $(seq 100); do
                ip netns exec $EVAL_OV_A curl -fsS -o /dev/null --max-time 1 http://127.0.0.1:7947/api/v1/status 2>/dev/null && break
                kill -0 $EVAL_OV_PID 2>/dev/null || { tail -n 20 "$dir/log" >&2; return 1; }
                sleep 0.2
            done
            ;;
        tcpdump)
            ip netns exec $EVAL_OV_A tcpdump -i $EVAL_OV_DEV_A -n -s 128 -B 32768 -w /dev/null >"$dir/log" 2>&1 </dev/null &
            EVAL_OV_PID=$!
            for _ in $(seq 100); do grep -q 'listening on' "$dir/log" && break; sleep 0.1; done
            ;;
        softflowd)
            ip netns exec $EVAL_OV_A softflowd -d -i $EVAL_OV_DEV_A -n 127.0.0.1:9995 -v 9 -c none >"$dir/log" 2>&1 </dev/null &
            EVAL_OV_PID=$!
            sleep 1
            ;;
    esac
}

eval_overhead_stop() {
    [[ -n $EVAL_OV_PID ]] || return 0
    kill -TERM "$EVAL_OV_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$EVAL_OV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$EVAL_OV_PID" 2>/dev/null || true
    wait "$EVAL_OV_PID" 2>/dev/null || true
}

# One iperf3 run; prints "value unit": received Gbit/s for TCP, received datagrams/s for UDP.
# iperf3 -s refuses a client for a moment after the previous test ("busy"): retry.
eval_overhead_iperf() { # $1 = tcp | udp, $2 = offered packets/s (0 = unlimited), $3 = seconds
    local args=(-c $EVAL_OV_ADDR_B -p $EVAL_OV_PORT -t "$3" -J) out
    [[ $1 == udp ]] && args+=(-u -l 64 -b "$(( $2 * 64 * 8 ))")
    for _ in 1 2 3 4 5; do
        if out=$(ip netns exec $EVAL_OV_A iperf3 "${args[@]}" 2>/dev/null); then
            python3 -c '
import json, sys
end = json.load(sys.stdin)["end"]
if sys.argv[1] == "tcp":
    print(round(end["sum_received"]["bits_per_second"] / 1e9, 3), "Gbit/s")
else:
    s = end["sum"]
    print(round((s["packets"] - s["lost_packets"]) / s["seconds"]), "packets/s")' "$1" <<<"$out" && return 0
        fi
        sleep 1
    done
    echo "0 failed"
}

eval_overhead() {
    local seconds rates monitors load rate monitor
    seconds=$(eval_pick 2 4 10)
    rates=$(eval_pick "0" "20000 100000 0" "10000 50000 100000 200000 0")
    monitors=(none agent-ebpf agent-pcap tcpdump softflowd)
    command -v softflowd >/dev/null || { eval_step "overhead: softflowd missing, left out"; monitors=(none agent-ebpf agent-pcap tcpdump); }
    eval_overhead_up
    echo "load,offered_pps,monitor,value,unit,monitor_cpu_percent,monitor_rss_mib" >"$EVAL_OUT/overhead.csv"
    local hz ticks0 ticks1 rss result t0 t1
    hz=$(getconf CLK_TCK)
    for load in tcp $(for r in $rates; do echo "udp:$r"; done); do
        rate=${load#udp:}; [[ $load == tcp ]] && rate=0
        for monitor in "${monitors[@]}"; do
            eval_overhead_start "$monitor" || { eval_step "overhead: $monitor did not start"; continue; }
            ticks0=0; [[ -n $EVAL_OV_PID ]] && ticks0=$(eval_cpu_ticks "$EVAL_OV_PID")
            t0=$(date +%s.%N)
            result=$(eval_overhead_iperf "${load%%:*}" "$rate" "$seconds")
            t1=$(date +%s.%N)
            ticks1=0 rss=0
            [[ -n $EVAL_OV_PID ]] && { ticks1=$(eval_cpu_ticks "$EVAL_OV_PID"); rss=$(eval_rss_kib "$EVAL_OV_PID"); }
            eval_overhead_stop
            read -r value unit <<<"$result"
            awk -v l="${load%%:*}" -v r="$rate" -v m="$monitor" -v v="$value" -v u="$unit" -v c0="$ticks0" -v c1="$ticks1" \
                -v hz="$hz" -v t0="$t0" -v t1="$t1" -v rss="$rss" \
                'BEGIN { printf "%s,%s,%s,%s,%s,%.2f,%.1f\n", l, r, m, v, u, (c1 - c0) / hz / (t1 - t0) * 100, rss / 1024 }' \
                >>"$EVAL_OUT/overhead.csv"
            eval_step "overhead: $load $monitor: $value $unit"
        done
    done
    eval_overhead_down
}

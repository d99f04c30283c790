#!/usr/bin/env bash
# Starts or stops one flowmesh agent in every fmc-n<i> namespace of a cluster built by cluster-up.sh.
#   cluster-agents.sh start   generates a cluster key (flowmesh keygen) unless $FMC_STATE/cluster.key exists, starts
#                             agent n<i> with its own data dir $FMC_STATE/n<i>, capture on fmc-e<i>, gossip on
#                             10.77.0.<i>:7946, API on 10.77.0.<i>:7947 (the bridge address: each namespace has its own
#                             loopback, and the root namespace reaches the bridge), --join the first node; then waits
#                             until every API answers. One cluster authority ($FMC_STATE/ca, 'flowmesh ca init')
#                             enrols every agent ('flowmesh enroll' -> $FMC_STATE/n<i>.bundle, --certificate). Log: $FMC_STATE/n<i>/agent.log, pid: $FMC_STATE/n<i>/agent.pid.
#   cluster-agents.sh stop    SIGTERM (graceful leave) to every agent, SIGKILL after 10 s.
# Environment: FLOWMESH (command, default ./flowmesh), FMC_EPOCH (2s), FMC_CAPTURE (pcap), FMC_PROFILE (lan).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cluster-lib.sh"
fmint_require_root
fmint_require_tools ip curl

nodes=$(fmc_nodes)
[[ -n $nodes ]] || { echo "fmc: no cluster namespaces; run cluster-up.sh N first" >&2; exit 1; }

start() {
    fmc_flowmesh_cmd
    mkdir -p "$FMC_STATE"
    touch "$FMC_STATE/.fmc-cluster"
    key="$FMC_STATE/cluster.key"
    if [[ ! -s $key ]]; then
        (umask 077; "${FMC_FLOWMESH[@]}" keygen >"$key")
    fi
    if [[ ! -s $FMC_STATE/ca/ca.key ]]; then
        "${FMC_FLOWMESH[@]}" ca init --dir "$FMC_STATE/ca" >/dev/null
    fi
    if [[ ! -s $FMC_TOKEN_FILE ]]; then
        (umask 027; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$FMC_TOKEN_FILE"; echo >>"$FMC_TOKEN_FILE")
    fi
    first=$(echo "$nodes" | head -1)
    for i in $nodes; do
        dir="$FMC_STATE/n$i"
        mkdir -p "$dir/data"
        if [[ ! -s $FMC_STATE/n$i.bundle ]]; then
            "${FMC_FLOWMESH[@]}" enroll --ca "$FMC_STATE/ca" --name "n$i" --out "$FMC_STATE/n$i.bundle" >/dev/null
        fi
        args=(agent --name "n$i" --data-dir "$dir/data" --interface "$(fmc_if "$i")"
              --capture "${FMC_CAPTURE:-pcap}" --bind "$(fmc_addr "$i"):$FMC_GOSSIP_PORT"
              --api "$(fmc_addr "$i"):$FMC_API_PORT" --key-file "$key" --certificate "$FMC_STATE/n$i.bundle" --ca-certificate "$FMC_STATE/ca/ca.pem" --api-token-file "$FMC_TOKEN_FILE" --epoch "${FMC_EPOCH:-2s}"
              --no-discovery --profile "${FMC_PROFILE:-lan}")
        [[ $i != "$first" ]] && args+=(--join "$(fmc_addr "$first"):$FMC_GOSSIP_PORT")
        # "ip netns exec" execs the agent, so $! is the agent's own pid.
        setsid ip netns exec "$(fmc_ns "$i")" "${FMC_FLOWMESH[@]}" "${args[@]}" >>"$dir/agent.log" 2>&1 </dev/null &
        echo $! >"$dir/agent.pid"
        fmc_log "agent n$i started (pid $!, log $dir/agent.log)"
    done
    for i in $nodes; do
        url="$(fmc_api_url "$i")/api/v1/status"
        for _ in $(seq 120); do
            fmc_curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null && continue 2
            if ! kill -0 "$(cat "$FMC_STATE/n$i/agent.pid")" 2>/dev/null; then
                echo "fmc: agent n$i exited; its log:" >&2; tail -n 30 "$FMC_STATE/n$i/agent.log" >&2; exit 1
            fi
            sleep 0.5
        done
        echo "fmc: agent n$i API $url did not answer within 60 s; its log:" >&2
        tail -n 30 "$FMC_STATE/n$i/agent.log" >&2
        exit 1
    done
    fmc_log "every agent API answers"
}

stop() {
    pids=()
    for i in $nodes; do
        f="$FMC_STATE/n$i/agent.pid"
        [[ -f $f ]] && pids+=("$(cat "$f")")
    done
    ((${#pids[@]})) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 100); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        ((alive)) || { fmc_log "agents stopped"; return 0; }
        sleep 0.1
    done
    fmc_log "agents still running 10 s after SIGTERM: SIGKILL"
    kill -KILL "${pids[@]}" 2>/dev/null || true
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac

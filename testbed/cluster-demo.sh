#!/usr/bin/env bash
# The whole cluster testbed in one go: N namespaces on a bridge (cluster-up.sh), an agent in each with a fresh
# cluster key (cluster-agents.sh start), wait until every agent sees all N members alive, real traffic
# (cluster-traffic.sh), two more epochs, then `flowmesh members` from node 1 and a per-node count of members and
# records, and always the teardown (cluster-down.sh), also on failure or Ctrl-C.
# Usage: cluster-demo.sh [N]   (default 5). Exit 77 = cannot run here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/cluster-lib.sh"
n=${1:-5}
fmint_require_root
fmint_require_tools ip curl python3 flock

exec 8>>"$FMC_LOCK"
flock -w 900 8 || { echo "fmc: another fmc cluster (a test run?) holds $FMC_LOCK for 15 min" >&2; exit 1; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rc != 0)); then
        for f in "$FMC_STATE"/n*/agent.log; do [[ -f $f ]] && { echo "--- $f (tail)" >&2; tail -n 20 "$f" >&2; }; done
    fi
    "$here/cluster-agents.sh" stop 2>/dev/null || true
    "$here/cluster-down.sh" || true
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/cluster-up.sh" "$n"
"$here/cluster-agents.sh" start

# A small JSON reader for the API: python3 is on every machine the testbed runs on.
alive_count() {   # node -> how many members node i sees alive
    fmc_curl -fsS --max-time 2 "$(fmc_api_url "$1")/api/v1/members" 2>/dev/null \
        | python3 -c 'import json,sys; print(sum(m["state"] == "alive" for m in json.load(sys.stdin)["members"]))' 2>/dev/null \
        || echo 0
}
started=$(date +%s.%N)
for _ in $(seq 120); do
    converged=1
    for i in $(fmc_nodes); do [[ $(alive_count "$i") == "$n" ]] || converged=0; done
    ((converged)) && break
    sleep 0.5
done
((converged)) || { echo "fmc: members did not converge within 60 s" >&2; exit 1; }
fmc_log "all $n agents see $n members alive after $(python3 -c "import time; print(round(time.time() - $started, 1))") s"

"$here/cluster-traffic.sh"
sleep "${FMC_SETTLE_SECONDS:-5}"   # two more epochs sealed and replicated

fmc_flowmesh_cmd
echo "== flowmesh members --agent $(fmc_api_url 1)"
"${FMC_FLOWMESH[@]}" members --agent "$(fmc_api_url 1)" --format table
echo "== per node: members alive, records held per origin"
for i in $(fmc_nodes); do
    records=$(fmc_curl -fsS --max-time 5 "$(fmc_api_url "$i")/api/v1/records?limit=10000" | python3 -c '
import collections, json, sys
doc = json.load(sys.stdin)
rows = doc["records"] if isinstance(doc, dict) else doc
print(" ".join(f"{o}={c}" for o, c in sorted(collections.Counter(r["origin"] for r in rows).items())))')
    echo "n$i: alive=$(alive_count "$i") records: $records"
done

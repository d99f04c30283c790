# Experiments 3 (scale) and 4 (convergence) from `flowmesh simulate`: the production replication code for N virtual
# agents on a virtual clock (docs/simulate.md), flat replication and the zone tree (docs/zones.md).
# Sourced by bench/evaluate.sh. Writes $EVAL_OUT/scale.csv, one row per run:
#   mode, nodes, levels, bytes_per_node_per_second, records_per_node_per_epoch, cpu_percent_per_node, coverage_seconds,
#   exactly_once, wall_seconds

eval_simulate() {
    local flowmesh epochs flat zoned
    flowmesh=$(eval_flowmesh)
    epochs=$(eval_pick 2 6 9)   # zones cover an epoch when its 30 s period ends: 60 s at least
    flat=$(eval_pick "10" "10 30 100" "10 30 100 300")
    zoned=$(eval_pick "10" "30 100 200" "100 300 1000 3000")
    echo "mode,nodes,levels,bytes_per_node_per_second,records_per_node_per_epoch,cpu_percent_per_node,coverage_seconds,exactly_once,wall_seconds" \
        >"$EVAL_OUT/scale.csv"
    local mode n args
    for mode in flat zones; do
        for n in $([[ $mode == flat ]] && echo "$flat" || echo "$zoned"); do
            args=(simulate --nodes "$n" --epochs "$epochs" --seed 1 --format json)
            [[ $mode == zones ]] && args+=(--zones 10)
            eval_step "scale: flowmesh ${args[*]}"
            # Exit 1 means a view check failed; the row records it (exactly_once false) rather than stopping the run.
            "$flowmesh" "${args[@]}" >"$EVAL_WORK/simulate-$mode-$n.json" 2>"$EVAL_WORK/simulate-$mode-$n.log" || true
            python3 - "$mode" "$EVAL_WORK/simulate-$mode-$n.json" >>"$EVAL_OUT/scale.csv" <<'PY' \
                || { eval_step "scale: $mode N=$n gave no result"; tail -n 5 "$EVAL_WORK/simulate-$mode-$n.log" >&2; }
import json, sys
r = json.load(open(sys.argv[2]))
cov = r.get("coverage_seconds")
print(",".join(str(x) for x in [sys.argv[1], r["nodes"], r["levels"], round(r["bytes_per_node_per_second"]),
      round(r["records_per_node_per_epoch"], 2), round(r["cpu_percent_per_node"], 3), "" if cov is None else cov,
      str(r["exactly_once"]).lower(), round(r["wall_seconds"], 1)]))
PY
        done
    done
}

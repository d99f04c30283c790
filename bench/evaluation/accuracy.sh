# Experiment 5, accuracy vs memory: the production sketches at several sizes on the public captures, each answer
# against the exact count from tshark's fields (accuracy_truth.py). Sourced by bench/evaluate.sh.
# Writes $EVAL_OUT/accuracy.csv: dataset, sketch, parameter, sketch_bytes, mean_rel_error, max_rel_error, bound.

eval_accuracy() {
    local pcaps=$EVAL_REPO/../shared/pcaps here=$EVAL_REPO/bench/evaluation
    echo "dataset,sketch,parameter,sketch_bytes,mean_rel_error,max_rel_error,bound" >"$EVAL_OUT/accuracy.csv"
    [[ -d $pcaps ]] || { eval_step "accuracy: ../shared/pcaps is missing; skipped"; return 0; }
    local sweep=$EVAL_REPO/bench/Flowmesh.Benchmarks/bin/Release/net10.0/Flowmesh.Benchmarks
    # The solution's Release build makes it too; build only when a source is newer (a no-op build costs a minute on a
    # loaded 2-core machine).
    if [[ ! -x $sweep ]] || [[ -n $(find "$EVAL_REPO/src/Flowmesh.Core" "$EVAL_REPO/bench/Flowmesh.Benchmarks" -name '*.cs' -newer "$sweep" | head -1) ]]; then
        eval_step "accuracy: building the sketch sweep (bench/Flowmesh.Benchmarks, Release)"
        dotnet build "$EVAL_REPO/bench/Flowmesh.Benchmarks" -c Release --nologo -v q -clp:ErrorsOnly >"$EVAL_WORK/sweep-build.log" 2>&1 \
            || { cat "$EVAL_WORK/sweep-build.log" >&2; return 1; }
    fi
    local dataset files
    for dataset in nfstream chrissanders; do
        # Dry runs take a handful of files; the others merge every capture of the folder into one packet stream
        # (concatenated, not interleaved: the sketches see every file's hosts, as a day of one LAN would).
        mapfile -t files < <(ls "$pcaps/$dataset"/*.pcap* | head -n "$(eval_pick 6 1000 1000)")
        eval_step "accuracy: $dataset: ${#files[@]} captures -> exact truth from tshark's fields"
        mergecap -a -F pcap -w "$EVAL_WORK/$dataset.pcap" "${files[@]}" 2>/dev/null \
            || mergecap -a -w "$EVAL_WORK/$dataset.pcap" "${files[@]}"
        local count
        count=$(python3 "$here/accuracy_truth.py" packets "$EVAL_WORK/$dataset.pcap" "$EVAL_WORK/$dataset.tsv")
        eval_step "accuracy: $dataset: $count IP packets; sweeping sketch sizes"
        "$sweep" sketch-accuracy "$EVAL_WORK/$dataset.tsv" >"$EVAL_WORK/$dataset.sweep.csv"
        python3 "$here/accuracy_truth.py" errors "$EVAL_WORK/$dataset.tsv" "$EVAL_WORK/$dataset.sweep.csv" "$dataset" \
            >>"$EVAL_OUT/accuracy.csv"
    done
}

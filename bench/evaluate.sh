#!/usr/bin/env bash
# One command for the evaluation of issue 19: overhead, offline extraction, scale, convergence, accuracy and
# resilience, side by side with the peer tools, as CSVs, charts and docs/evaluation.md.
#   sudo bench/evaluate.sh [--quick] [--dry] [--only NAME,...] [--out DIR]
# NAMEs: overhead offline scale convergence accuracy resilience (scale and convergence share the simulator runs).
# --quick finishes in under 15 minutes, the full run under 2 hours; --dry takes the tiniest sizes (the smoke test).
# --out DIR writes CSVs, charts and evaluation.md into DIR instead of docs/images/evaluation and docs/evaluation.md.
# EVAL_KEEP_WORK=1 keeps the scratch directory (/tmp/fmev-evaluate.*: captures, logs, raw answers) for a post-mortem.
# FLOWMESH="dotnet path/flowmesh.dll" runs that instead of building the native binary (as testbed/ and bench/ scripts).
# Progress goes to stderr, one line per step with the seconds since the start. A benchmark, not a test.
set -euo pipefail
EVAL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
EVAL_SIZE=full
only=overhead,offline,scale,convergence,accuracy,resilience
out=""
command_line="${FLOWMESH:+FLOWMESH='$FLOWMESH' }bench/evaluate.sh${*:+ $*}"
while (($#)); do
    case $1 in
        --quick) [[ $EVAL_SIZE == dry ]] || EVAL_SIZE=quick ;;
        --dry) EVAL_SIZE=dry ;;
        --only) only=${2:?--only needs names}; shift ;;
        --out) out=${2:?--out needs a directory}; shift ;;
        *) echo "usage: $0 [--quick] [--dry] [--only NAME,...] [--out DIR]" >&2; exit 2 ;;
    esac
    shift
done
(( EUID == 0 )) || { echo "evaluate: needs root (namespaces, eBPF, nftables)" >&2; exit 77; }

if [[ -n $out ]]; then
    mkdir -p "$out"; EVAL_OUT=$(cd "$out" && pwd); report=$EVAL_OUT/evaluation.md
else
    EVAL_OUT=$EVAL_REPO/docs/images/evaluation; report=$EVAL_REPO/docs/evaluation.md
fi
mkdir -p "$EVAL_OUT"
EVAL_WORK=$(mktemp -d /tmp/fmev-evaluate.XXXXXX)
EVAL_START=$(date +%s)
# Debian's python3 (python3-matplotlib), not whatever python3 comes first on PATH.
EVAL_PYTHON=/usr/bin/python3
[[ -x $EVAL_PYTHON ]] || EVAL_PYTHON=python3
export EVAL_REPO EVAL_SIZE EVAL_OUT EVAL_WORK EVAL_START EVAL_PYTHON
here=$EVAL_REPO/bench/evaluation
for lib in common overhead offline simulate accuracy resilience; do
    # shellcheck source=/dev/null
    source "$here/$lib.sh"
done
cleanup() {
    eval_overhead_down 2>/dev/null || true
    (eval_resilience_env && eval_resilience_down) 2>/dev/null || true
    [[ -n ${EVAL_KEEP_WORK:-} ]] || rm -rf "$EVAL_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wants() { [[ ,$only, == *,$1,* ]]; }
eval_step "evaluate: $EVAL_SIZE run of: $only -> $EVAL_OUT"
eval_step "tools: scripts/setup.sh --test (peer tools, tshark, iperf3, matplotlib)"
"$EVAL_REPO/scripts/setup.sh" --test >"$EVAL_WORK/setup.log" 2>&1 || { cat "$EVAL_WORK/setup.log" >&2; exit 1; }
if [[ -n ${FLOWMESH:-} ]]; then
    # A command line such as "dotnet .../flowmesh.dll" (the smoke test: no native build inside the suite), wrapped so
    # every experiment can exec it as one path; exec keeps the pid, so CPU and RSS are the agent's own.
    printf '#!/bin/sh\nexec %s "$@"\n' "$FLOWMESH" >"$EVAL_WORK/flowmesh"
    chmod 755 "$EVAL_WORK/flowmesh"
    EVAL_FLOWMESH=$EVAL_WORK/flowmesh
    eval_step "build: none, FLOWMESH=$FLOWMESH"
else
    eval_step "build: the native flowmesh binary (./flowmesh, when the sources changed)"
    "$EVAL_REPO/flowmesh" --help >/dev/null 2>"$EVAL_WORK/build.log" || { cat "$EVAL_WORK/build.log" >&2; exit 1; }
    EVAL_FLOWMESH=$EVAL_REPO/.build/agent/flowmesh
fi
export EVAL_FLOWMESH

commit=$(git -C "$EVAL_REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$EVAL_REPO" diff --quiet HEAD -- src bench 2>/dev/null || commit+="+changes"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
write_meta() {
    python3 - "$EVAL_OUT/meta.json" "$command_line" "$commit" "$load_start" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, os, platform, subprocess, sys, datetime
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
load_start, load_end = sys.argv[4], sys.argv[5]
json.dump({"machine": f"{os.cpu_count()} cores ({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} usable), {cpu}, kernel {platform.release()}",
           "command": "sudo " + sys.argv[2], "commit": sys.argv[3],
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "load_start": load_start, "load_end": load_end,
           # More runnable work than cores while we measured: someone else was using the machine too.
           "shared": max(float(load_start.split()[0]), float(load_end.split()[0])) > os.cpu_count()},
          open(sys.argv[1], "w"), indent=1)
PY
}

wants overhead && eval_overhead
wants offline && eval_offline
{ wants scale || wants convergence; } && eval_simulate
wants accuracy && eval_accuracy
{ wants resilience || wants convergence; } && eval_resilience

write_meta
eval_step "charts: bench/evaluation/charts.py"
"$EVAL_PYTHON" "$here/charts.py" "$EVAL_OUT"
eval_step "report: $report"
"$EVAL_PYTHON" "$here/report.py" "$EVAL_OUT" "$report"
eval_step "done"

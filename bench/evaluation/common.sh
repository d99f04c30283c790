# Shared by bench/evaluate.sh and the experiment libraries in this folder. Sourced, not run.
# Expects: EVAL_OUT (where CSVs and charts go), EVAL_WORK (scratch, removed at exit), EVAL_SIZE (dry|quick|full),
# EVAL_REPO, EVAL_START (epoch seconds of the run's start).

# One progress line per step on stderr, with the time since the run started.
eval_step() { printf '[evaluate +%4ds] %s\n' "$(( $(date +%s) - EVAL_START ))" "$*" >&2; }

# Picks the value for the run size: eval_pick DRY QUICK FULL.
eval_pick() {
    case $EVAL_SIZE in
        dry) echo "$1" ;;
        quick) echo "$2" ;;
        *) echo "$3" ;;
    esac
}

# utime+stime of a process in clock ticks, and its resident set in KiB (0 when it is gone).
eval_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
eval_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# The flowmesh executable evaluate.sh chose: the native build, or a wrapper of $FLOWMESH.
eval_flowmesh() { echo "$EVAL_FLOWMESH"; }

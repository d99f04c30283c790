#!/usr/bin/env python3
"""Writes evaluation.md from one run's CSVs: the summary table first (our figure, the best peer's, the ratio, the
goal, per experiment), then one section per chart. bench/evaluation/report.py DIR OUT.md [IMAGE_PREFIX]"""
import csv
import json
import os
import statistics
import sys

out, target = sys.argv[1], sys.argv[2]
prefix = sys.argv[3] if len(sys.argv) > 3 else os.path.relpath(out, os.path.dirname(os.path.abspath(target)))
meta = json.load(open(os.path.join(out, "meta.json")))
NO_PEER = "no peer"


def rows(name):
    path = os.path.join(out, name)
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


def overhead_row():
    data = rows("overhead.csv")
    value = {(r["load"], r["monitor"]): float(r["value"]) for r in data if r["load"] == "tcp"}
    if not value.get(("tcp", "none")):
        return ["1 overhead (iperf3 TCP over a veth, throughput kept)", "not run", "", "", "≥ 0.95"]
    keep = {m: v / value[("tcp", "none")] for (_, m), v in value.items()}
    peers = {m: keep[m] for m in ("tcpdump", "softflowd") if m in keep}
    best = max(peers, key=peers.get) if peers else None
    shown = lambda m: f"{keep[m]:.3f}" if m in keep else "did not run"
    ours = f"eBPF agent {shown('agent-ebpf')} (libpcap agent {shown('agent-pcap')})"
    return ["1 overhead (iperf3 TCP over a veth, throughput kept)", ours,
            f"{best} {peers[best]:.3f}" if best else NO_PEER,
            f"{keep['agent-ebpf'] / peers[best]:.2f}×" if best and "agent-ebpf" in keep else "", "≥ 0.95 (seed authors: eBPF −5 %, libpcap −53 %)"]


def offline_row():
    data = {r["tool"]: r for r in rows("offline.csv")}
    if "flowmesh" not in data:
        return ["2 offline flow extraction (packets/s, one file)", "not run", "", "", "faster than every peer"]
    ours = float(data["flowmesh"]["packets_per_second"])
    peers = {t: float(r["packets_per_second"]) for t, r in data.items() if t != "flowmesh"}
    best = max(peers, key=peers.get)
    return ["2 offline flow extraction (packets/s, one file)",
            f"{ours / 1e6:.2f} M/s, {float(data['flowmesh']['cpu_ns_per_packet']):.0f} ns CPU/packet",
            f"{best} {peers[best] / 1e6:.2f} M/s, {float(data[best]['cpu_ns_per_packet']):.0f} ns", f"{ours / peers[best]:.2f}×",
            "faster than every peer"]


def scale_rows():
    data = rows("scale.csv")
    if not data:
        return [["3 scale", "not run", "", "", ""], ["4 convergence", "not run", "", "", ""]]
    zones = max((r for r in data if r["mode"] == "zones"), key=lambda r: int(r["nodes"]), default=None)
    flat = max((r for r in data if r["mode"] == "flat"), key=lambda r: int(r["nodes"]), default=None)
    pick = zones or flat
    b = float(pick["bytes_per_node_per_second"])
    also = f"; flat {float(flat['bytes_per_node_per_second']) / 1000:.1f} kB/s at N = {flat['nodes']}" if zones and flat else ""
    scale = ["3 scale (bytes/s per PC, simulator)", f"{b / 1000:.1f} kB/s at N = {pick['nodes']} ({pick['mode']}){also}",
             f"{NO_PEER} keeps a collector-free global view; Serf's membership alone: ≤ 42 kB/s (model)",
             f"{b / 42000:.2f}× of Serf's maximum", "≤ 50 kB/s per PC at N = 10,000 (docs/zones.md)"]
    cov = f"{float(pick['coverage_seconds']):.1f} s" if pick["coverage_seconds"] else "not reached within the run"
    det = [float(r["detection_seconds"]) for r in rows("detection.csv") if r["detection_seconds"]]
    conv = ["4 convergence (99 % of nodes hold an epoch)", f"{cov} at N = {pick['nodes']} ({pick['mode']})"
            + (f"; kill -9 known in {statistics.median(det):.1f} s (live)" if det else ""),
            f"{NO_PEER} replicates flow records; memberlist's failure detection bound (typical) is the reference",
            "", "≤ 60 s (docs/zones.md)"]
    return [scale, conv]


def accuracy_row():
    data = rows("accuracy.csv")
    top = [r for r in data if r["sketch"] == "topk_bytes" and r["parameter"] == "1024"]
    hll = [r for r in data if r["sketch"] == "distinct_flows" and r["parameter"] == "12"]
    if not top:
        return ["5 accuracy (default sketch sizes)", "not run", "", "", ""]
    inside = sum(float(r["mean_rel_error"]) <= float(r["bound"]) for r in data)
    return ["5 accuracy (default sketch sizes)",
            "top-10 talkers' bytes " + ", ".join(f"{float(r['mean_rel_error']) * 100:.2f} %" for r in top)
            + "; distinct flows " + ", ".join(f"{float(r['mean_rel_error']) * 100:.2f} %" for r in hll),
            f"{NO_PEER}: softflowd and pmacct export every flow to a collector (exact, unbounded memory)", "",
            f"within the bound: {inside} of {len(data)} points"]


def resilience_row():
    errors = rows("resilience-error.csv")
    data = rows("resilience.csv")
    if not data:
        return ["6 resilience (live cluster)", "not run", "", "", ""]
    by_phase = {}
    for r in errors:
        by_phase.setdefault(r["phase"], []).append(float(r["relative_error"]))
    text = "; ".join(f"{p} {statistics.median(v) * 100:.1f} %" for p, v in by_phase.items()) or "no settled bucket"
    return ["6 resilience (answer error per phase, median)", text,
            f"{NO_PEER}: with a collector, killing it loses everything", "", "answers stay within a few % while ≥ 60 % run"]


def caveats():
    """Says where this run's own numbers show they cannot be trusted, rather than leaving a reader to find it."""
    notes = []
    over = rows("overhead.csv")
    base = {(r["load"], r["offered_pps"]): float(r["value"]) for r in over if r["monitor"] == "none"}
    faster = [r for r in over if r["monitor"] != "none" and base.get((r["load"], r["offered_pps"]))
              and float(r["value"]) > 1.05 * base[(r["load"], r["offered_pps"])]]
    if faster:
        notes.append(f"Overhead: {len(faster)} of {len(over) - len(base)} monitored runs were more than 5 % *faster* than "
                     "the unmonitored run of the same load, so in this run the machine's other load, not the monitor, "
                     "decided the throughput: read those ratios as noise, and the monitors' CPU and RSS as the figures.")
    errors = [float(r["relative_error"]) for r in rows("resilience-error.csv") if r["phase"] == "baseline"]
    if errors and statistics.median(errors) > 0.02:
        notes.append(f"Resilience: the answer error is already {statistics.median(errors) * 100:.0f} % in the baseline, "
                     "before anything was harmed, so part of every error figure is how the truth is taken (the bridge "
                     "counter sampled about once a second and interpolated, gaps while detection is awaited, frames the "
                     "agents do not count such as ARP), not the cluster: compare phases with the baseline, not with zero.")
    return notes


summary = [overhead_row(), offline_row(), *scale_rows(), accuracy_row(), resilience_row()]
sections = [
    ("overhead", "1. Overhead vs packet rate", "overhead.csv",
     "iperf3 between two namespaces over a veth; the monitor watches the sender's interface. Bars are throughput "
     "divided by the unmonitored run of the same load in the same run; the monitor's CPU is utime+stime over the run. "
     "That process time leaves out what the kernel spends for the monitor in softirq context: the eBPF program's run "
     "time and the copies into tcpdump's and libpcap's ring (bench/ebpf-overhead.sh measures the eBPF part)."),
    ("offline", "2. Offline flow extraction", "offline.csv",
     "bench/make-bench-pcap.sh records real namespace traffic; bench/compare-pcap.sh times each tool on that file "
     "(median of runs, warm page cache)."),
    ("scale", "3. Scale", "scale.csv",
     "`flowmesh simulate` (the production replication code on a virtual clock, 1 % loss): flat replication and the "
     "zone tree (B = 10). Serf's per-node maximum is its model's figure for membership gossip alone."),
    ("convergence", "4. Convergence", "scale.csv",
     "Left: the worst epoch's delay until 99 % of nodes hold 99 % of its records (simulator; zones wait for their 30 s "
     "period), with Serf's rumor model. Right: the live cluster's kill -9 detection time at node 1, with memberlist's "
     "bounds (docs/membership.md)."),
    ("accuracy", "5. Accuracy vs memory", "accuracy.csv",
     "The production sketches fed with tshark's per-packet fields of the merged public captures (../shared/pcaps), at "
     "several sizes; exact truth computed by bench/evaluation/accuracy_truth.py from the same fields. Top-k: mean "
     "relative error of the true ten heaviest sources' bytes (midpoint of the interval) vs N/(2k·f); distinct: HLL vs "
     "one standard error 1.04/√m; spread: mean relative error of the ten largest fan-outs vs a bucket's standard error. "
     "This measures the sketches, not the decoder (tested against tshark elsewhere)."),
    ("resilience", "6. Resilience", "resilience.csv",
     "A live cluster (testbed/cluster-*.sh, epoch 2 s, libpcap), every node pinging its neighbour; phases in order: "
     "baseline, 5 % and 20 % UDP datagram loss on the bridge (nftables numgen), half the nodes cut off and healed, then "
     "kill -9 until 10, 20 and 40 % of the agents are gone. The error is node 1's final answer per 10 s bucket "
     "against an nftables counter of every frame the bridge forwarded (resilience-error.csv)."),
]
with open(target, "w") as f:
    f.write("# Evaluation: overhead, scale, accuracy, resilience\n\n")
    f.write(f"Generated by `{meta['command']}` on {meta['date']} at commit {meta['commit']}.\n")
    f.write(f"Machine: {meta['machine']}. Load average at the start {meta['load_start']}, at the end {meta['load_end']}"
            + (" — the machine was shared with other builds during the run, so single figures are ±10–20 %; ratios "
               "measured in one run are steadier" if meta.get("shared") else "") + ".\n\n")
    f.write("Raw results are the CSV files next to the charts; `bench/evaluation/charts.py DIR` redraws the charts "
            "from them. Every ratio compares figures measured in this run. Nothing here is a pass/fail test.\n\n")
    f.write("## Summary\n\n| experiment | Flowmesh | best peer | ratio | goal |\n|---|---|---|---|---|\n")
    for r in summary:
        f.write("| " + " | ".join(r) + " |\n")
    for note in caveats():
        f.write(f"\n**Caveat.** {note}\n")
    for name, title, csv_name, text in sections:
        f.write(f"\n## {title}\n\n{text}\n\n")
        if os.path.exists(os.path.join(out, name + ".svg")):
            f.write(f"![{title}]({prefix}/{name}.svg)\n\n")
        f.write(f"Raw: [`{csv_name}`]({prefix}/{csv_name}). Machine: {meta['machine']}; command `{meta['command']}`; "
                f"{meta['date']}; commit {meta['commit']}.\n")

#!/usr/bin/env python3
"""Draws the evaluation's charts from the CSVs of one run (matplotlib, SVG), so a chart can be redrawn without
rerunning: bench/evaluation/charts.py DIR. Each chart carries the run's machine, command, date and commit (meta.json).
A chart whose CSV is missing (an experiment left out with --only) is skipped."""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = sys.argv[1]
meta = json.load(open(os.path.join(out, "meta.json")))
STAMP = f"{meta['machine']}\n{meta['command']}  ·  {meta['date']}  ·  commit {meta['commit']}"
SERF_MAX_BYTES = 42_000  # Serf's model: at most 328 kbit/s per node with every gossip packet full (docs/membership.md)


def rows(name):
    path = os.path.join(out, name)
    return list(csv.DictReader(open(path))) if os.path.exists(path) else None


def save(fig, name):
    fig.text(0.01, 0.005, STAMP, fontsize=6, color="gray", va="bottom")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(os.path.join(out, name))
    plt.close(fig)


def overhead():
    data = rows("overhead.csv")
    if not data:
        return
    monitors = list(dict.fromkeys(r["monitor"] for r in data))
    loads = list(dict.fromkeys((r["load"], int(r["offered_pps"])) for r in data))
    label = lambda l: "TCP" if l[0] == "tcp" else ("UDP-64 max" if l[1] == 0 else f"UDP-64 {l[1] // 1000}k/s")
    value = {(r["load"], int(r["offered_pps"]), r["monitor"]): r for r in data}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6))
    width = 0.8 / len(monitors)
    colors = {m: f"C{j}" for j, m in enumerate(monitors)}
    for j, m in enumerate(monitors):
        ratios, cpus, rss = [], [], []
        for l in loads:
            r, base = value.get((*l, m)), value.get((*l, "none"))
            ok = r and base and float(base["value"]) > 0
            ratios.append(float(r["value"]) / float(base["value"]) if ok else math.nan)
            cpus.append(float(r["monitor_cpu_percent"]) if r else math.nan)
            rss.append(float(r["monitor_rss_mib"]) if r else math.nan)
        xs = [i + (j - len(monitors) / 2 + 0.5) * width for i in range(len(loads))]
        axes[0].bar(xs, ratios, width, label=m, color=colors[m])
        if m != "none":
            axes[1].bar(xs, cpus, width, label=m, color=colors[m])
            axes[2].bar(xs, rss, width, label=m, color=colors[m])
    for ax, title in zip(axes, ["throughput / unmonitored (same run)", "monitor CPU, % of one core", "monitor RSS, MiB"]):
        ax.set_xticks(range(len(loads)), [label(l) for l in loads], fontsize=8)
        ax.set_title(title, fontsize=10)
    axes[0].axhline(0.95, color="green", ls="--", lw=1, label="seed authors: eBPF −5 %")
    axes[0].axhline(0.47, color="red", ls="--", lw=1, label="seed authors: libpcap −53 %")
    axes[0].set_ylim(0, 1.15)
    axes[0].legend(fontsize=7, loc="lower left")
    save(fig, "overhead.svg")


def offline():
    data = rows("offline.csv")
    if not data:
        return
    tools = [r["tool"] for r in data]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].bar(tools, [float(r["packets_per_second"]) / 1e6 for r in data], color="tab:blue")
    axes[0].set_title(f"packets/s (wall), millions — {data[0]['packets']} packets", fontsize=10)
    axes[1].bar(tools, [float(r["cpu_ns_per_packet"]) for r in data], color="tab:orange")
    axes[1].set_title("CPU ns per packet (user+sys)", fontsize=10)
    save(fig, "offline.svg")


def scale():
    data = rows("scale.csv")
    if not data:
        return
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4))
    for mode, style in (("flat", "o-"), ("zones", "s-")):
        part = sorted((r for r in data if r["mode"] == mode), key=lambda r: int(r["nodes"]))
        n = [int(r["nodes"]) for r in part]
        axes[0].plot(n, [float(r["bytes_per_node_per_second"]) / 1000 for r in part], style, label=f"{mode} (simulator)")
        axes[1].plot(n, [float(r["records_per_node_per_epoch"]) for r in part], style, label=mode)
        axes[2].plot(n, [float(r["cpu_percent_per_node"]) for r in part], style, label=mode)
    axes[0].axhline(SERF_MAX_BYTES / 1000, color="gray", ls="--", lw=1, label="Serf model, max per node")
    for ax, title in zip(axes, ["kB/s per node (in + out)", "records received per node per epoch", "CPU % per node (5 ms/record)"]):
        ax.set_xscale("log")
        ax.set_xlim(8, 12000)
        ax.set_xlabel("nodes N")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    save(fig, "scale.svg")


def convergence():
    data, detection = rows("scale.csv"), rows("detection.csv")
    if not data and not detection:
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    n_model = [10 * 10 ** (i / 10) for i in range(31)]
    # Serf/memberlist model: rumor to 99 % in about 7 / 8 / 10 gossip rounds of 200 ms at N = 100 / 1k / 10k.
    axes[0].plot(n_model, [0.2 * (7 + 1.5 * math.log10(n / 100)) for n in n_model], "--", color="gray",
                 label="Serf model: membership rumor to 99 %")
    for mode, style in (("flat", "o-"), ("zones", "s-")):
        part = sorted((r for r in (data or []) if r["mode"] == mode and r["coverage_seconds"]), key=lambda r: int(r["nodes"]))
        axes[0].plot([int(r["nodes"]) for r in part], [float(r["coverage_seconds"]) for r in part], style,
                     label=f"{mode}: 99 % of nodes hold 99 % of an epoch's records")
    axes[0].set_title("record spread: seconds after the epoch ends", fontsize=10)
    # memberlist LAN: SuspicionMin = 4 log10(N) s; typical detection < 4 probe intervals + SuspicionMin + 3 s,
    # worst case 2 probe intervals + 6 SuspicionMin + 5 s (docs/membership.md, "Detection and convergence bounds").
    smin = [4 * math.log10(max(n, 2)) for n in n_model]
    axes[1].plot(n_model, [4 + s + 3 for s in smin], "--", color="gray", label="memberlist model, typical bound")
    axes[1].plot(n_model, [2 + 6 * s + 5 for s in smin], ":", color="gray", label="memberlist model, worst case")
    if detection:
        pts = [(int(r["nodes"]), float(r["detection_seconds"])) for r in detection if r["detection_seconds"]]
        axes[1].plot([p[0] for p in pts], [p[1] for p in pts], "D", color="tab:red", label="live cluster, kill -9 (this run)")
    axes[1].set_title("failure known to node 1: seconds after kill -9", fontsize=10)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("nodes N")
        ax.legend(fontsize=7)
    save(fig, "convergence.svg")


def capacity_bytes(sketch, parameter, serialized):
    """The memory a sketch of this size may grow to: Space-Saving k slots of a 16-byte key and two 8-byte bounds,
    HyperLogLog's dense registers (6 bits each); the spread sketch is allocated whole, so its serialized size."""
    if sketch == "topk_bytes":
        return 46 + parameter * 32
    if sketch.startswith("distinct"):
        return 2 ** parameter * 6 // 8
    return serialized


def accuracy():
    data = rows("accuracy.csv")
    if not data:
        return
    sketches = list(dict.fromkeys(r["sketch"] for r in data))
    fig, axes = plt.subplots(1, len(sketches), figsize=(4 * len(sketches), 4.2), squeeze=False)
    for ax, sketch in zip(axes[0], sketches):
        for dataset in dict.fromkeys(r["dataset"] for r in data):
            part = sorted((r for r in data if r["sketch"] == sketch and r["dataset"] == dataset), key=lambda r: int(r["parameter"]))
            size = [capacity_bytes(sketch, int(r["parameter"]), int(r["sketch_bytes"])) for r in part]
            line, = ax.plot(size, [max(float(r["mean_rel_error"]), 1e-4) for r in part], "o-", label=f"{dataset}: observed")
            ax.plot(size, [float(r["bound"]) for r in part], "--", color=line.get_color(), lw=1, label=f"{dataset}: bound")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sketch bytes at capacity")
        ax.set_title(sketch.replace("_", " ") + ": relative error (0 drawn at 1e-4)", fontsize=9)
        ax.legend(fontsize=6)
    save(fig, "accuracy.svg")


def resilience():
    data, errors = rows("resilience.csv"), rows("resilience-error.csv")
    if not data:
        return
    fig, axes = plt.subplots(2, 1, figsize=(12, 6.5), sharex=True)
    t = [float(r["t_seconds"]) for r in data]
    axes[0].plot(t, [int(r["members_alive"]) for r in data], label="members alive (node 1's view)")
    axes[0].plot(t, [int(r["contributing"]) for r in data], label="origins contributing, last 30 s")
    axes[0].plot(t, [int(r["expected"]) for r in data], ":", label="origins expected")
    last = None
    for r in data:
        if r["phase"] != last:
            for ax in axes:
                ax.axvline(float(r["t_seconds"]), color="gray", lw=0.6)
            axes[0].text(float(r["t_seconds"]), 0.2, r["phase"], fontsize=7, rotation=90, va="bottom")
            last = r["phase"]
    axes[0].set_ylim(bottom=0)
    axes[0].legend(fontsize=7, loc="upper right")
    axes[0].set_title("coverage over time", fontsize=10)
    if errors:
        axes[1].plot([float(r["bucket_start_seconds"]) + 5 for r in errors], [float(r["relative_error"]) * 100 for r in errors], "o-")
    axes[1].set_ylabel("% error")
    axes[1].set_xlabel("seconds since the first phase")
    axes[1].set_title("node 1's bytes per 10 s bucket vs the bridge's byte counter", fontsize=10)
    save(fig, "resilience.svg")


for chart in (overhead, offline, scale, convergence, accuracy, resilience):
    chart()

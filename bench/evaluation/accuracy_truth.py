#!/usr/bin/env python3
"""Exact truth for the accuracy experiment, computed from tshark's fields and nothing of Flowmesh's.

    accuracy_truth.py packets CAPTURE OUT.tsv     tshark's per-packet fields -> source, destination, flow key, bytes
    accuracy_truth.py errors PACKETS.tsv SWEEP.csv DATASET   exact counts vs the sketch answers -> CSV rows on stdout

Bytes are frame lengths (what a capture on the wire counts); the outer IP header of a tunnel is the one used, as the
agent does. The flow key is the 5-tuple; packets without IP are skipped by both sides alike.
"""
import collections
import csv
import math
import subprocess
import sys

TOP = 10  # the error of "top talkers" is judged on the true ten heaviest sources


def first(field):
    return field.split(",")[0] if field else ""


def packets(capture, out):
    fields = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.proto", "ipv6.nxt",
              "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport", "frame.len"]
    command = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for field in fields:
        command += ["-e", field]
    written = 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as tshark, \
            open(out, "w") as sink:
        for line in tshark.stdout:
            v = line.rstrip("\n").split("\t")
            if len(v) != len(fields):
                continue
            src, dst = first(v[0]) or first(v[1]), first(v[2]) or first(v[3])
            if not src or not dst or not v[10]:
                continue
            proto = first(v[4]) or first(v[5])
            sport, dport = first(v[6]) or first(v[7]), first(v[8]) or first(v[9])
            sink.write(f"{src}\t{dst}\t{src}|{dst}|{proto}|{sport}|{dport}\t{v[10]}\n")
            written += 1
    print(written)


def errors(packet_file, sweep_file, dataset):
    by_source = collections.Counter()
    fanout = collections.defaultdict(set)
    flows, total = set(), 0
    with open(packet_file) as f:
        for line in f:
            src, dst, flow, size = line.rstrip("\n").split("\t")
            by_source[src] += int(size)
            fanout[src].add(dst)
            flows.add(flow)
            total += int(size)
    top = [s for s, _ in by_source.most_common(TOP)]
    top_spread = sorted(fanout, key=lambda s: -len(fanout[s]))[:TOP]
    answers = collections.defaultdict(dict)
    sizes = {}
    with open(sweep_file) as f:
        for row in csv.DictReader(f):
            key = (row["sketch"], int(row["parameter"]))
            sizes[key] = int(row["sketch_bytes"])
            answers[key][row["key"]] = (float(row["lower"]), float(row["upper"]))
    out = csv.writer(sys.stdout)
    for (sketch, parameter), values in sorted(answers.items()):
        if sketch == "topk_bytes":
            # The midpoint of the summary's interval, against the exact bytes; the bound is upper - lower <= N/k.
            observed = [abs((values[s][0] + values[s][1]) / 2 - by_source[s]) / by_source[s] for s in top]
            bound = sum(total / parameter / 2 / by_source[s] for s in top) / len(top)
        elif sketch.startswith("distinct"):
            truth = len(by_source) if sketch == "distinct_sources" else len(flows)
            observed = [abs(values[""][0] - truth) / truth]
            bound = 1.04 / math.sqrt(2 ** parameter)  # one standard error of HyperLogLog
        else:
            observed = [abs(values[s][0] - len(fanout[s])) / len(fanout[s]) for s in top_spread]
            bound = 1.04 / math.sqrt(64)  # one standard error of a bucket's HLL (64 registers)
        out.writerow([dataset, sketch, parameter, sizes[(sketch, parameter)],
                      f"{sum(observed) / len(observed):.5f}", f"{max(observed):.5f}", f"{bound:.5f}"])


if __name__ == "__main__":
    if sys.argv[1] == "packets":
        packets(sys.argv[2], sys.argv[3])
    else:
        errors(sys.argv[2], sys.argv[3], sys.argv[4])

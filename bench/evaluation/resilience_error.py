#!/usr/bin/env python3
"""Answer error of the resilience experiment: node 1's bytes per 10 s bucket against the bridge's nftables counter.

    resilience_error.py BUCKETS.txt COUNTER.txt PHASES.txt T0 > resilience-error.csv

BUCKETS.txt holds "unix_seconds_start view_bytes origins" per 10 s bucket, node 1's answers after the run.
COUNTER.txt holds "unix_seconds bytes" samples of a counter of every frame the bridge forwarded; the true bytes of a
bucket are the counter's growth over it, interpolated linearly between the samples around its edges. Buckets outside
the sampled span are left out.
"""
import bisect
import sys

buckets_file, counter_file, phases_file, t0 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
samples = [tuple(map(float, line.split())) for line in open(counter_file) if len(line.split()) == 2]
phases = [(float(line.split()[0]), line.split()[1]) for line in open(phases_file) if line.strip()]
times = [t for t, _ in samples]


def counter_at(t):
    i = bisect.bisect_left(times, t)
    if i == 0 or i >= len(samples):
        return None
    (ta, ba), (tb, bb) = samples[i - 1], samples[i]
    return ba + (bb - ba) * (t - ta) / (tb - ta)


def phase_at(t):
    name = phases[0][1] if phases else ""
    for start, phase in phases:
        if start <= t:
            name = phase
    return name


print("bucket_start_seconds,phase,view_bytes,true_bytes,relative_error,origins")
for line in open(buckets_file):
    if len(line.split()) != 3:
        continue
    start, view, origins = float(line.split()[0]), int(line.split()[1]), line.split()[2]
    a, b = counter_at(start), counter_at(start + 10)
    if a is None or b is None or b <= a:
        continue
    truth = b - a
    print(f"{start - t0:.1f},{phase_at(start + 5)},{view},{truth:.0f},{abs(view - truth) / truth:.4f},{origins}")

using System.Diagnostics;
using Flowmesh.Core;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Zones;

namespace Flowmesh.Gossip.Planning;

/// <summary>
/// `flowmesh simulate --zones B`: the zone tree of docs/zones.md on <see cref="ZonedSimulator"/> (leaf zones of B PCs,
/// B zones per parent, aggregates every 30 s), measured like the flat run (<see cref="PlanningRun"/>).
/// </summary>
/// <remarks>
/// Coverage counts, per node and period, its own leaf zone's records plus the best aggregate it holds of every other
/// zone its view needs (the siblings of its ancestors), in origin-epoch records; a period counts as covered when 99 %
/// of running nodes count 99 % of the records sealed in it. An epoch is covered when its period is, so the worst
/// epoch, the first of a period, waits for the period's end too: that wait is in the figure.
/// </remarks>
internal static class ZonedPlanningRun
{
    public static PlanningResult Run(PlanningOptions options, SketchHashKey key, Action<string>? progress)
    {
        var wall = Stopwatch.StartNew();
        int branching = options.ZoneBranching!.Value;
        int levels = LevelsFor(options.Nodes, branching);
        var records = new SyntheticRecords(key, options.WorstCaseRecords);
        var startTime = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var simOptions = new ZonedSimulatorOptions
        {
            Seed = options.Seed, LossRate = options.Loss, StartTime = startTime, Branching = branching, Levels = levels,
            Replication = options.Replication,
        };
        var sim = new ZonedSimulator(simOptions, key, records.Build);
        var names = Enumerable.Range(0, options.Nodes).Select(i => $"n{i:D5}").ToList();
        foreach (var name in names) sim.AddNode(name);
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);

        long epochMicros = UnixMicros.FromDuration(options.EpochLength);
        long periodMicros = UnixMicros.FromDuration(simOptions.AggregatePeriod);
        long originMicros = UnixMicros.FromDuration(startTime - DateTimeOffset.UnixEpoch);
        var tracker = new ZoneCoverage(options.Nodes, periodMicros);
        var holders = new Dictionary<EpochId, int>();
        sim.RecordStored += (node, id) =>
        {
            holders[id] = holders.GetValueOrDefault(id) + 1;
            tracker.Gained(index[node.Name], id.StartMicros - Mod(id.StartMicros, periodMicros), 1, sim.Clock.Now, sim);
        };
        var best = new Dictionary<(int, ZonePath, long), long>();
        sim.AggregateStored += (node, aggregate) =>
        {
            if (aggregate.Zone.Contains(node.LeafPath)) return; // its own branch: the view counts it finer, from below
            int i = index[node.Name];
            long had = best.GetValueOrDefault((i, aggregate.Zone, aggregate.StartMicros));
            if (aggregate.Manifest.TotalWeight <= had) return;
            best[(i, aggregate.Zone, aggregate.StartMicros)] = aggregate.Manifest.TotalWeight;
            tracker.Gained(i, aggregate.StartMicros, aggregate.Manifest.TotalWeight - had, sim.Clock.Now, sim);
        };

        int crashAt = CrashPlan.Epoch(options);
        long bytesAtStart = 0, aggregateBytesAtStart = 0;
        TimeSpan measureFrom = TimeSpan.Zero;
        var crashed = new List<string>();
        var reachedPeerBeforeCrash = new List<EpochId>();
        for (int e = 0; e < options.Epochs; e++)
        {
            if (e == crashAt)
            {
                crashed.AddRange(CrashPlan.Victims(options, names));
                reachedPeerBeforeCrash.AddRange(CrashPlan.ReachedPeer(holders, crashed));
                foreach (var victim in crashed)
                {
                    sim.Kill(victim);
                }
                tracker.Recheck(sim.Clock.Now, sim);
            }
            if (e == Math.Min(1, options.Epochs - 1))
            {
                bytesAtStart = sim.Nodes.Sum(n => n.Bytes());
                aggregateBytesAtStart = sim.Nodes.Sum(n => n.Bytes(aggregates: true));
                measureFrom = sim.Clock.Now;
            }
            long start = originMicros + (e - 1) * epochMicros;
            foreach (var node in sim.Nodes)
            {
                if (!node.Running) continue;
                sim.Seal(node.Name, start, epochMicros);
                tracker.Sealed(start - Mod(start, periodMicros));
            }
            long end = start + epochMicros;
            if (Mod(end, periodMicros) == 0)
            {
                sim.PeriodEnded(end);
                tracker.PeriodEnded(end - periodMicros, sim.Clock.Now, sim);
            }
            sim.Clock.RunFor(options.EpochLength);
            progress?.Invoke($"epoch {e + 1}/{options.Epochs}: {sim.Clock.Now.TotalSeconds:F0} s simulated, {sim.AggregatesProduced} aggregates, {wall.Elapsed.TotalSeconds:F1} s wall");
        }
        var alive = sim.Nodes.Where(n => n.Running).ToList();
        long bytes = sim.Nodes.Sum(n => n.Bytes()) - bytesAtStart;
        long aggregateBytes = sim.Nodes.Sum(n => n.Bytes(aggregates: true)) - aggregateBytesAtStart;
        double seconds = (sim.Clock.Now - measureFrom).TotalSeconds;
        sim.Clock.RunFor(options.Drain);

        long received = alive.Sum(n => n.Received);
        double perEpoch = (double)received / alive.Count / options.Epochs;
        int lost = reachedPeerBeforeCrash.Count(id => !alive.Any(n => n.Leaf.Store.Contains(id)));

        progress?.Invoke($"checking {Math.Min(options.ViewChecks, alive.Count)} nodes' views against the records' flows");
        var byManifest = sim.Produced.Values.GroupBy(a => a.Manifest.Hash).ToDictionary(g => g.Key, g => g.First());
        var leafOf = sim.Nodes.ToDictionary(n => n.Name, n => n.LeafPath, StringComparer.Ordinal);
        bool exact = true;
        int checkedViews = 0;
        long firstPeriod = originMicros - epochMicros - Mod(originMicros - epochMicros, periodMicros);
        long lastEnd = originMicros + (options.Epochs - 1) * epochMicros;
        var step = Math.Max(1, alive.Count / Math.Max(1, options.ViewChecks));
        for (int i = 0; i < alive.Count && checkedViews < options.ViewChecks; i += step, checkedViews++)
            for (long p = firstPeriod; p + periodMicros <= lastEnd; p += periodMicros)
                exact &= ViewIsExact(alive[i], p, periodMicros, key, records, leafOf, byManifest, options.EpochLength);

        double heldBytes = alive.Sum(n => (double)n.Scopes.Sum(s => s.Store.Digest().Sum(d => s.Store.IdsOf(d.Origin).Sum(id => (long)(s.Store.Read(id)?.Length ?? 0)))));
        long itemsHeld = alive.Sum(n => (long)n.Scopes.Sum(s => s.Store.Count));
        var worst = tracker.WorstDelay(originMicros - epochMicros, lastEnd, epochMicros);
        return new PlanningResult
        {
            Nodes = options.Nodes,
            Zones = LeafZones(options.Nodes, branching),
            Levels = levels,
            Epochs = options.Epochs,
            EpochSeconds = options.EpochLength.TotalSeconds,
            Replication = "zones",
            BytesPerNodePerSecond = bytes / (double)alive.Count / seconds,
            RecordsPerNodePerEpoch = perEpoch,
            CpuPercentPerNode = perEpoch * options.CostPerRecord.TotalSeconds / options.EpochLength.TotalSeconds * 100,
            CostPerRecordMilliseconds = options.CostPerRecord.TotalMilliseconds,
            CoverageSeconds = worst?.TotalSeconds,
            ExactlyOnce = exact,
            ViewsChecked = checkedViews,
            LostSealedRecords = lost,
            CrashedNodes = crashed.Count,
            MemoryBytesPerNode = heldBytes / alive.Count,
            MeanRecordBytes = itemsHeld == 0 ? 0 : heldBytes / itemsHeld,
            WallSeconds = wall.Elapsed.TotalSeconds,
            Verification = "each distinct envelope (record or aggregate) verified once for real (ECDSA P-256); every receipt charged the cost per record",
            AggregatesProduced = sim.AggregatesProduced,
            AggregateBytesPerNodePerSecond = aggregateBytes / (double)alive.Count / seconds,
            AggregatePeriodSeconds = simOptions.AggregatePeriod.TotalSeconds,
        };
    }

    /// <summary>Leaf zones hold B PCs and every zone B children: the depth of the leaves (1 when one level of B zones holds everyone).</summary>
    public static int LevelsFor(int nodes, int branching)
    {
        int leaves = LeafZones(nodes, branching), levels = 1;
        for (long capacity = branching; capacity < leaves; capacity *= branching) levels++;
        return levels;
    }

    private static int LeafZones(int nodes, int branching) => (nodes + branching - 1) / branching;

    private static long Mod(long a, long b) => ((a % b) + b) % b;

    /// <summary>
    /// The node's view of one period, as ZoneSelection picks it from what the node holds, against the true bytes of
    /// the origin records its aggregates and records stand for (expanded with the run's own list of every aggregate
    /// produced): nothing counted twice, every byte accounted.
    /// </summary>
    private static bool ViewIsExact(ZonedSimulator.Node node, long start, long length, SketchHashKey key, SyntheticRecords records,
        Dictionary<string, ZonePath> leafOf, Dictionary<ZoneHash, ZoneAggregate> byManifest, TimeSpan epoch)
    {
        var held = new List<EpochRecord>();
        foreach (var id in ((Records.IRecordStore)node.Leaf.Store).IdsStartingBetween(start, start + length))
        {
            if (!SignedRecord.TryDecode(node.Leaf.Store.Read(id), out var signed, out _)) return false;
            held.Add(EpochRecord.Decode(signed!.Record, key));
        }
        var selection = ZoneSelection.Select(held, r => leafOf.GetValueOrDefault(r.Id.Origin), node.AllAggregates(), start, length);
        if (selection.Records.Count == 0) return true;
        var counted = new List<EpochId>();
        counted.AddRange(selection.Direct.Select(r => r.Id));
        foreach (var a in selection.Aggregates)
            if (!Expand(a, byManifest, counted)) return false;
        if (counted.Count != counted.Distinct().Count()) return false;
        ulong truth = 0;
        foreach (var id in counted) truth += records.BytesOf(id);
        var window = new ViewWindow(start, start + length);
        var view = GlobalView.Build(selection.Records, [], window.ToMicros, window, GlobalViewOptions.Default with { EpochLength = epoch, SettleDelay = TimeSpan.Zero });
        return (ulong)view.Totals().Bytes.Value == truth;
    }

    private static bool Expand(ZoneAggregate aggregate, Dictionary<ZoneHash, ZoneAggregate> byManifest, List<EpochId> into)
    {
        foreach (var e in aggregate.Manifest.Entries)
        {
            if (aggregate.Kind == ZoneAggregateKind.Records)
            {
                into.Add(new EpochId(e.Key, e.StartMicros, e.LengthMicros));
                continue;
            }
            if (!byManifest.TryGetValue(e.Hash, out var child) || !Expand(child, byManifest, into)) return false;
        }
        return true;
    }

    /// <summary>Per period: how many origin records each node's view counts, and when 99 % of running nodes counted 99 % of those sealed.</summary>
    private sealed class ZoneCoverage(int nodes, long periodMicros)
    {
        private readonly Dictionary<long, Period> _periods = [];

        public void Sealed(long period) => At(period).Sealed++;

        public void Gained(int node, long period, long records, TimeSpan now, ZonedSimulator sim)
        {
            var p = At(period);
            long before = p.Counted[node];
            p.Counted[node] += records;
            if (p.Threshold is not { } t || before >= t || p.Counted[node] < t) return;
            p.Reached++;
            if (p.CoveredAt is null && p.Reached >= Math.Ceiling(0.99 * sim.Nodes.Count(n => n.Running))) p.CoveredAt = now;
        }

        public void PeriodEnded(long period, TimeSpan now, ZonedSimulator sim)
        {
            var p = At(period);
            p.EndedAt = now;
            p.Threshold = (long)Math.Ceiling(0.99 * p.Sealed);
            Check(p, now, sim);
        }

        /// <summary>After crashes: recount who has reached each period's threshold among the nodes still running.</summary>
        public void Recheck(TimeSpan now, ZonedSimulator sim)
        {
            foreach (var p in _periods.Values) Check(p, now, sim);
        }

        /// <summary>The worst epoch: its period's coverage time after the end of the period's first epoch.</summary>
        public TimeSpan? WorstDelay(long firstSealed, long lastEnd, long epochMicros)
        {
            TimeSpan? worst = null;
            foreach (var (start, p) in _periods)
            {
                // A period the run began inside of has fewer epochs than the formula assumes: skipped.
                if (start < firstSealed || start + periodMicros > lastEnd || p.EndedAt is null) continue;
                if (p.CoveredAt is null) return null;
                var delay = p.CoveredAt.Value - p.EndedAt.Value + TimeSpan.FromTicks((periodMicros - epochMicros) * TimeSpan.TicksPerMicrosecond);
                if (worst is null || delay > worst) worst = delay;
            }
            return worst;
        }

        private Period At(long period)
        {
            if (!_periods.TryGetValue(period, out var p)) _periods[period] = p = new Period(new long[nodes]);
            return p;
        }

        private static void Check(Period p, TimeSpan now, ZonedSimulator sim)
        {
            if (p.Threshold is not { } t) return;
            int alive = 0;
            p.Reached = 0;
            for (int i = 0; i < sim.Nodes.Count; i++)
            {
                if (!sim.Nodes[i].Running) continue;
                alive++;
                if (p.Counted[i] >= t) p.Reached++;
            }
            if (p.CoveredAt is null && p.Reached >= Math.Ceiling(0.99 * alive)) p.CoveredAt = now;
        }

        private sealed class Period(long[] counted)
        {
            public long[] Counted { get; } = counted;
            public int Sealed { get; set; }
            public long? Threshold { get; set; }
            public int Reached { get; set; }
            public TimeSpan? EndedAt { get; set; }
            public TimeSpan? CoveredAt { get; set; }
        }
    }
}

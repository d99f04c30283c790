using System.Diagnostics;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Planning;

/// <summary>
/// `flowmesh simulate`: the production replicator, responder, validator and codec (<see cref="ReplicationSimulator"/>)
/// on a virtual clock, every node sealing a synthetic record each epoch, and what an operator plans with measured on
/// the way (<see cref="PlanningResult"/>). Flat replication here; with <see cref="PlanningOptions.ZoneBranching"/>, the
/// zone tree (<see cref="ZonedPlanningRun"/>).
/// </summary>
public static class PlanningRun
{
    private static readonly SketchHashKey Key = new("planning-run-key"u8);

    public static PlanningResult Run(PlanningOptions options, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.ZoneBranching is not null) return ZonedPlanningRun.Run(options, Key, progress);
        var wall = Stopwatch.StartNew();
        var records = new SyntheticRecords(Key, options.WorstCaseRecords);
        var startTime = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var sim = new ReplicationSimulator(
            new ReplicationSimulatorOptions { Seed = options.Seed, LossRate = options.Loss, StartTime = startTime, Replication = options.Replication },
            Key, records.Build);
        var names = Enumerable.Range(0, options.Nodes).Select(i => $"n{i:D5}").ToList();
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        foreach (var name in names) sim.AddNode(name);

        long epochMicros = options.EpochLength.Ticks / TimeSpan.TicksPerMicrosecond;
        long originMicros = (startTime.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        var tracker = new CoverageTracker(options.Nodes);
        var holders = new Dictionary<EpochId, int>();
        var heldBytes = new long[options.Nodes];
        var running = new bool[options.Nodes];
        Array.Fill(running, true);
        sim.Stored += (replica, id) =>
        {
            int node = index[replica.Address.Value];
            holders[id] = holders.GetValueOrDefault(id) + 1;
            heldBytes[node] += replica.Store.Read(id)?.Length ?? 0;
            tracker.Stored(node, id.StartMicros, sim.Clock.Now, running);
        };

        int crashAt = CrashPlan.Epoch(options);
        // Traffic is measured from the end of the first epoch (every node has something to send) to the end of the last.
        long bytesAtStart = 0;
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
                    running[index[victim]] = false;
                }
                tracker.Recheck(sim.Clock.Now, running);
            }
            if (e == Math.Min(1, options.Epochs - 1))
            {
                bytesAtStart = sim.Replicas.Sum(r => r.Counters.BytesSent + r.Counters.BytesReceived);
                measureFrom = sim.Clock.Now;
            }
            // Epoch e ends now: every running node seals it.
            long start = originMicros + (e - 1) * epochMicros;
            int sealing = 0;
            foreach (var name in names)
            {
                if (!running[index[name]]) continue;
                sim.Seal(name, start, epochMicros);
                sealing++;
            }
            tracker.Sealed(start, sealing, sim.Clock.Now, running);
            sim.Clock.RunFor(options.EpochLength);
            progress?.Invoke($"epoch {e + 1}/{options.Epochs}: {sim.Clock.Now.TotalSeconds:F0} s simulated, {wall.Elapsed.TotalSeconds:F1} s wall");
        }
        // Crashed nodes' counters stop when they die; their share until then is spread over the survivors, which
        // slightly overstates the per-node figure in runs with crashes.
        var alive = sim.Replicas.Where(r => r.Running).ToList();
        long bytes = sim.Replicas.Sum(r => r.Counters.BytesSent + r.Counters.BytesReceived) - bytesAtStart;
        double seconds = (sim.Clock.Now - measureFrom).TotalSeconds;
        sim.Clock.RunFor(options.Drain);

        long received = alive.Sum(r => r.Counters.RecordsPulled + r.Counters.RecordsReceivedByPush);
        double perEpoch = (double)received / alive.Count / options.Epochs;
        int lost = reachedPeerBeforeCrash.Count(id => !alive.Any(r => r.Store.Contains(id)));

        progress?.Invoke($"checking {Math.Min(options.ViewChecks, alive.Count)} nodes' views against the records' flows");
        bool exact = true;
        int checkedViews = 0;
        foreach (var replica in alive.Take(options.ViewChecks))
        {
            exact &= ViewMatchesFlows(replica, records, originMicros - epochMicros, originMicros + options.Epochs * epochMicros, options.EpochLength);
            checkedViews++;
        }
        long recordsHeld = alive.Sum(r => (long)r.Store.Count);
        return new PlanningResult
        {
            Nodes = options.Nodes,
            Zones = 1,
            Levels = 1,
            Epochs = options.Epochs,
            EpochSeconds = options.EpochLength.TotalSeconds,
            Replication = "flat",
            BytesPerNodePerSecond = bytes / (double)alive.Count / seconds,
            RecordsPerNodePerEpoch = perEpoch,
            CpuPercentPerNode = perEpoch * options.CostPerRecord.TotalSeconds / options.EpochLength.TotalSeconds * 100,
            CostPerRecordMilliseconds = options.CostPerRecord.TotalMilliseconds,
            CoverageSeconds = tracker.WorstDelay(options.Epochs)?.TotalSeconds,
            ExactlyOnce = exact,
            ViewsChecked = checkedViews,
            LostSealedRecords = lost,
            CrashedNodes = crashed.Count,
            MemoryBytesPerNode = alive.Average(r => (double)heldBytes[index[r.Address.Value]]),
            MeanRecordBytes = recordsHeld == 0 ? 0 : alive.Sum(r => (double)heldBytes[index[r.Address.Value]]) / recordsHeld,
            WallSeconds = wall.Elapsed.TotalSeconds,
            Verification = "each distinct envelope verified once for real (ECDSA P-256); every receipt charged the cost per record",
        };
    }

    /// <summary>The node's view of the whole run, from the signed records it holds, against the bytes of the flows behind them.</summary>
    private static bool ViewMatchesFlows(ReplicationSimulator.Replica replica, SyntheticRecords records, long fromMicros, long toMicros, TimeSpan epoch)
    {
        var held = new List<EpochRecord>();
        ulong truth = 0;
        foreach (var digest in replica.Store.Digest())
        {
            foreach (var id in replica.Store.IdsOf(digest.Origin))
            {
                if (!SignedRecord.TryDecode(replica.Store.Read(id), out var signed, out _)) return false;
                held.Add(EpochRecord.Decode(signed!.Record, Key));
                truth += records.BytesOf(id);
            }
        }
        if (held.Count == 0) return true;
        var window = new ViewWindow(fromMicros, toMicros);
        var view = GlobalView.Build(held, [], toMicros, window, GlobalViewOptions.Default with { EpochLength = epoch, SettleDelay = TimeSpan.Zero });
        return (ulong)view.Totals().Bytes.Value == truth && view.Records.Count == held.Count;
    }

    /// <summary>
    /// Per epoch: when 99 % of the running nodes first held 99 % of the records sealed for it. Counted incrementally as
    /// records are stored (a node's count crossing the threshold), and re-checked when nodes crash.
    /// </summary>
    private sealed class CoverageTracker(int nodes)
    {
        private readonly Dictionary<long, Epoch> _epochs = [];

        public void Sealed(long start, int origins, TimeSpan now, bool[] running)
        {
            var epoch = _epochs[start] = new Epoch(now, (int)Math.Ceiling(0.99 * origins), new int[nodes]);
            // The sealing node's own record was stored before the epoch existed here: count one per sealing node.
            for (int i = 0; i < nodes; i++) if (running[i]) epoch.Held[i] = 1;
            Check(epoch, now, running);
        }

        public void Stored(int node, long start, TimeSpan now, bool[] running)
        {
            if (!_epochs.TryGetValue(start, out var epoch)) return; // the node's own record, before Sealed; counted there
            epoch.Held[node]++;
            if (epoch.Held[node] == epoch.Threshold) Check(epoch, now, running);
        }

        public void Recheck(TimeSpan now, bool[] running)
        {
            foreach (var e in _epochs.Values) Check(e, now, running);
        }

        public TimeSpan? WorstDelay(int epochs) =>
            _epochs.Count < epochs || _epochs.Values.Any(e => e.CoveredAt is null) ? null : _epochs.Values.Max(e => e.CoveredAt!.Value - e.SealedAt);

        private static void Check(Epoch epoch, TimeSpan now, bool[] running)
        {
            if (epoch.CoveredAt is not null) return;
            int alive = 0, covered = 0;
            for (int i = 0; i < running.Length; i++)
            {
                if (!running[i]) continue;
                alive++;
                if (epoch.Held[i] >= epoch.Threshold) covered++;
            }
            if (covered >= Math.Ceiling(0.99 * alive)) epoch.CoveredAt = now;
        }

        private sealed class Epoch(TimeSpan sealedAt, int threshold, int[] held)
        {
            public TimeSpan SealedAt { get; } = sealedAt;
            public int Threshold { get; } = threshold;
            public int[] Held { get; } = held;
            public TimeSpan? CoveredAt { get; set; }
        }
    }
}

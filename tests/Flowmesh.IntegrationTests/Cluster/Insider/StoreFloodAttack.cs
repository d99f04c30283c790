using System.Diagnostics;
using Flowmesh.Core.Epochs;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// A flood of the insider's own valid records, several times the agents' record byte budget (--retention-mib), in the
/// slots right after now: newer than any honest record, so a store that evicts the oldest records of all origins would
/// push every honest origin's history out. With the per-origin fair share only the insider loses records, its own.
/// Retention runs once a minute, so the judgement waits for it.
/// </summary>
internal sealed class StoreFloodAttack(long budgetBytes) : RecordAttack
{
    /// <summary>Bytes pushed per exchange: inside the responder's per-session budget (256 KiB), which it would cut.</summary>
    private const int PerExchange = 200 * 1024;
    private static readonly TimeSpan RetentionWait = TimeSpan.FromSeconds(100);

    private readonly Dictionary<int, Dictionary<string, HashSet<RecordKey>>> _honestBefore = [];
    private long? _belowHorizon;
    private long? _prunedForBudget;
    private const string Pruned = "flowmesh_records_pruned_total";
    private long _pushed;

    public override string Name => "record flood to evict others' history (per-origin quota)";

    public override TimeSpan Settle => TimeSpan.Zero;

    public override void Launch(InsiderTargets t)
    {
        _belowHorizon = t.Sum(StoreRefused, ("reason", "below_horizon"));
        _prunedForBudget = t.Sum(Pruned, ("cause", "byte_budget"));
        foreach (int node in t.Honest)
            _honestBefore[node] = t.Honest.Select(AgentCluster.Name).ToDictionary(o => o, o => AgentCluster.Api(node).Records(o).Keys.ToHashSet());
        // Two 1 s parts per 2 s slot from 20 s ahead: future, but within the 5 min clock skew the agents accept.
        var first = Slot(ClusterInsider.Name.Value, -10);
        var envelopes = new List<byte[]>();
        for (var i = 0; _pushed < 3 * budgetBytes; i++)
        {
            var id = first with { StartMicros = first.StartMicros + i * EpochMicros / 2, LengthMicros = EpochMicros / 2 };
            var envelope = t.Insider.Sealed(t.Insider.Record(id, flows: 200));
            envelopes.Add(envelope);
            _pushed += envelope.Length;
        }
        var batch = new List<byte[]>();
        foreach (var envelope in envelopes.Append(null))
        {
            if (envelope is null || (batch.Count > 0 && batch.Sum(e => e.Length) + envelope.Length > PerExchange))
            {
                PushToAll(t, [.. batch]);
                batch.Clear();
                Thread.Sleep(150); // the responder serves 8 requests per peer per second
            }
            if (envelope is not null) batch.Add(envelope);
        }
    }

    public override (bool, string) Judge(InsiderTargets t)
    {
        var clock = Stopwatch.StartNew();
        List<long> held;
        while (true)
        {
            held = [.. t.Honest.Select(n => InsiderTargets.RecordSizes(n, ClusterInsider.Name.Value).Values.Sum(b => (long)b))];
            if (held.All(h => h <= budgetBytes) || clock.Elapsed > RetentionWait) break;
            Thread.Sleep(1000);
        }
        var lost = new List<string>();
        foreach (var (node, origins) in _honestBefore)
            foreach (var (origin, ids) in origins)
            {
                var now = AgentCluster.Api(node).Records(origin).Keys.ToHashSet();
                int missing = ids.Count(id => !now.Contains(id));
                if (missing > 0) lost.Add($"n{node} lost {missing} of {origin}'s");
            }
        var stored = t.Honest.Select(n => MetricSeries.Sum(InsiderTargets.Metrics(n), "flowmesh_records_stored_bytes") ?? -1).ToList();
        var belowHorizon = Rise(_belowHorizon, t.Sum(StoreRefused, ("reason", "below_horizon")));
        // The cut is counted: records deleted because their origin held more than its fair share.
        var prunedForBudget = Rise(_prunedForBudget, t.Sum(Pruned, ("cause", "byte_budget")));
        var honestKept = _honestBefore.Values.Sum(o => o.Values.Sum(ids => ids.Count));
        // The store's total is not judged: the budget is applied once a minute, so between prunes the records sealed
        // since (every agent's, every 2 s) take it a little over. What the flood must not do is evict honest history.
        return (held.All(h => h <= budgetBytes) && lost.Count == 0 && prunedForBudget > 0,
            $"pushed {_pushed / 1024} KiB to each agent (budget {budgetBytes / 1024} KiB); the insider keeps {string.Join(", ", held.Select(h => h / 1024))} KiB per agent " +
            $"after {clock.Elapsed.TotalSeconds:0} s, store bytes {string.Join(", ", stored.Select(s => s / 1024))} KiB (records_stored_bytes, pruned to the budget once a minute), " +
            $"{Shown(prunedForBudget)} of its records cut for the budget (records_pruned{{byte_budget}}), {Shown(belowHorizon)} pushed back below its cut (records_store_refused{{below_horizon}}); honest records evicted: {(lost.Count == 0 ? $"none of {honestKept}" : string.Join("; ", lost))}");
    }
}

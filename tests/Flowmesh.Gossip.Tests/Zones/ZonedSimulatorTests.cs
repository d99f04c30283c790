using Flowmesh.Core;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Planning;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Zones;

namespace Flowmesh.Gossip.Tests.Zones;

/// <summary>
/// Zone replication (docs/zones.md) with the production replicator, aggregate format and selection: a run of 200
/// PCs in small zones with loss and crashes, and a leaf zone cut in two and healed. Views are checked against the
/// flows behind every origin record they stand for, expanded with the test's own list of what was produced.
/// </summary>
public sealed class ZonedSimulatorTests
{
    private static readonly SketchHashKey Key = new("zoned-sim-tests!"u8);
    private static readonly long Epoch = 10_000_000, Period = 30_000_000;

    [Fact]
    public void Two_hundred_PCs_in_three_levels_stay_exact_and_covered_through_loss_and_crashes()
    {
        var result = PlanningRun.Run(new PlanningOptions { Nodes = 200, ZoneBranching = 5, Epochs = 9, Loss = 0.01, Crash = 0.1, Seed = 3 });
        Assert.Equal("zones", result.Replication);
        Assert.Equal(3, result.Levels);
        Assert.Equal(40, result.Zones);
        Assert.True(result.ExactlyOnce);
        Assert.Equal(16, result.ViewsChecked);
        Assert.Equal(20, result.CrashedNodes);
        Assert.Equal(0, result.LostSealedRecords);
        Assert.NotNull(result.CoverageSeconds);
        Assert.InRange(result.CoverageSeconds!.Value, 20, 60);
        // A node receives its 4 leaf-mates' records per epoch and, per 30 s period, about 5 aggregates in each of 3
        // scopes: far below the 199 a flat cluster of 200 would hand it.
        Assert.InRange(result.RecordsPerNodePerEpoch, 4, 15);
        Assert.True(result.AggregatesProduced >= 3 * (40 + 10), $"{result.AggregatesProduced} aggregates produced");
    }

    /// <summary>
    /// Issue 14's scale run: 10,000 PCs, 12 epochs, 1 % loss, 10 % crashing halfway. Opt-in (tens of minutes of CPU
    /// and about 12 GB of memory): FLOWMESH_SIM_LARGE=1. Its figures go to docs/zones.md.
    /// </summary>
    [Fact]
    public void Ten_thousand_PCs_stay_exact_lose_no_sealed_record_and_get_covered()
    {
        if (Environment.GetEnvironmentVariable("FLOWMESH_SIM_LARGE") != "1") Assert.Skip("set FLOWMESH_SIM_LARGE=1 to run the 10,000-node zone simulation");
        var result = PlanningRun.Run(new PlanningOptions { Nodes = 10_000, ZoneBranching = 10, Epochs = 12, Loss = 0.01, Crash = 0.1, Seed = 1 },
            line => TestContext.Current.SendDiagnosticMessage(line));
        TestContext.Current.SendDiagnosticMessage(System.Text.Json.JsonSerializer.Serialize(result));
        Assert.Equal(3, result.Levels);
        Assert.True(result.ExactlyOnce);
        Assert.Equal(0, result.LostSealedRecords);
        Assert.NotNull(result.CoverageSeconds);
    }

    [Fact]
    public void A_leaf_zone_cut_in_two_makes_two_aggregates_and_the_heal_replaces_both_by_their_union()
    {
        var records = new SyntheticRecords(Key, worstCase: false);
        var sim = new ZonedSimulator(new ZonedSimulatorOptions { Branching = 5, Levels = 2, Seed = 5 }, Key, records.Build);
        var names = Enumerable.Range(0, 50).Select(i => $"n{i:D5}").ToList();
        foreach (var n in names) sim.AddNode(name: n);
        var cutZone = sim["n00000"].LeafPath;
        Assert.Equal(cutZone, sim["n00004"].LeafPath);
        long origin = UnixMicros.FromDuration(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero) - DateTimeOffset.UnixEpoch);

        // Two members of the zone lose the rest of the network for the first period.
        sim.Partition(["n00003", "n00004"]);
        RunPeriod(sim, names, origin);
        sim.Clock.RunFor(TimeSpan.FromSeconds(10)); // both sides merge the period while still apart
        var during = sim.Produced.Values.Where(a => a.Zone.Equals(cutZone) && a.StartMicros == origin).ToList();
        Assert.Equal([6L, 9L], during.Select(a => a.Manifest.TotalWeight).Order().ToList());
        Assert.False(during[0].Manifest.Covers(during[1].Manifest) || during[1].Manifest.Covers(during[0].Manifest));

        sim.Heal();
        RunPeriod(sim, names, origin + Period);
        sim.Clock.RunFor(TimeSpan.FromSeconds(60));

        foreach (var node in sim.Nodes)
        {
            // Leaf aggregates replicate inside their parent zone; the rest of the network holds the parent's.
            var aggregates = node.AllAggregates();
            if (!cutZone.Contains(node.LeafPath) && cutZone.Parent.Contains(node.LeafPath))
                Assert.Equal(15, Assert.Single(aggregates.Held(cutZone, origin, Period)).Manifest.TotalWeight);
            // Outside the parent a node cannot prove the healed parent aggregate covers the one made during the cut
            // (that takes the children's manifests), so it may keep both; its view uses the complete one.
            if (!cutZone.Parent.Contains(node.LeafPath))
                Assert.Equal(75, aggregates.Best(cutZone.Parent, origin, Period)!.Manifest.TotalWeight);
            for (long p = origin; p <= origin + Period; p += Period) AssertExact(sim, records, node, p);
        }
    }

    private static void RunPeriod(ZonedSimulator sim, List<string> names, long periodStart)
    {
        for (long start = periodStart; start < periodStart + Period; start += Epoch)
        {
            sim.Clock.RunFor(TimeSpan.FromSeconds(10)); // the epoch ends, then every node seals it
            foreach (var n in names) sim.Seal(n, start, Epoch);
        }
        sim.PeriodEnded(periodStart + Period);
    }

    /// <summary>The node's view of a period against the true bytes of every origin record it stands for, none twice.</summary>
    private static void AssertExact(ZonedSimulator sim, SyntheticRecords records, ZonedSimulator.Node node, long start)
    {
        var leafOf = sim.Nodes.ToDictionary(n => n.Name, n => n.LeafPath, StringComparer.Ordinal);
        var held = new List<EpochRecord>();
        foreach (var digest in node.Leaf.Store.Digest())
            foreach (var id in node.Leaf.Store.IdsOf(digest.Origin).Where(id => id.StartMicros >= start && id.EndMicros <= start + Period))
            {
                Assert.True(SignedRecord.TryDecode(node.Leaf.Store.Read(id), out var signed, out _));
                held.Add(EpochRecord.Decode(signed!.Record, Key));
            }
        var selection = ZoneSelection.Select(held, r => leafOf[r.Id.Origin], node.AllAggregates(), start, Period);
        var byManifest = sim.Produced.Values.GroupBy(a => a.Manifest.Hash).ToDictionary(g => g.Key, g => g.First());
        var counted = selection.Direct.Select(r => r.Id).ToList();
        foreach (var a in selection.Aggregates) Expand(a, byManifest, counted);
        Assert.Equal(counted.Count, counted.Distinct().Count());
        Assert.Equal(150, counted.Count); // 50 PCs × 3 epochs: all healed
        var window = new ViewWindow(start, start + Period);
        var view = GlobalView.Build(selection.Records, [], window.ToMicros, window, GlobalViewOptions.Default with { EpochLength = TimeSpan.FromSeconds(10), SettleDelay = TimeSpan.Zero });
        Assert.Equal(counted.Aggregate(0UL, (sum, id) => sum + records.BytesOf(id)), (ulong)view.Totals().Bytes.Value);
    }

    private static void Expand(ZoneAggregate aggregate, Dictionary<ZoneHash, ZoneAggregate> byManifest, List<EpochId> into)
    {
        foreach (var e in aggregate.Manifest.Entries)
        {
            if (aggregate.Kind == ZoneAggregateKind.Records) into.Add(new EpochId(e.Key, e.StartMicros, e.LengthMicros));
            else Expand(byManifest[e.Hash], byManifest, into);
        }
    }
}

using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>
/// Exactly-once survives the hierarchy (issue 14's first design rule): 200 PCs in hashed zones two levels deep; the
/// zone aggregates exist in several versions (late records, two producers during a partition) and every node holds a
/// different random part of the records and aggregates. On every node, the view built from the selection counts each
/// origin record at most once, and its totals equal the sum of the flows of exactly the origin records it covers,
/// computed from the flows themselves.
/// </summary>
public sealed class ZoneSelectionTests
{
    private const int Nodes = 200;

    [Fact]
    public void Every_node_counts_each_origin_record_once_whatever_it_holds()
    {
        var random = new Random(2026);
        var zoneOfPc = Enumerable.Range(0, Nodes).ToDictionary(pc => $"pc-{pc}", pc => ZonePath.ForNode(ZonePath.Root, $"pc-{pc}", depth: 2, branching: 4, seed: 3));
        var records = Records(Enumerable.Range(0, Nodes));
        var truth = records.ToDictionary(r => (r.Id.Origin, r.Id.StartMicros, r.Id.LengthMicros), r =>
        {
            int pc = int.Parse(r.Id.Origin.AsSpan(3));
            int epoch = (int)((r.Id.StartMicros - PeriodStart) / (10 * Second));
            return (ulong)FlowsOf(pc, epoch).Sum(f => f.Bytes + f.ReverseBytes);
        });
        ZonePath ZoneOf(EpochRecord r) => zoneOfPc[r.Id.Origin];

        // Leaf aggregates in three versions each: early (some records late), complete, and a partition's other half.
        var all = new List<ZoneAggregate>();
        var leafVersions = new Dictionary<ZonePath, List<ZoneAggregate>>();
        foreach (var zone in records.GroupBy(ZoneOf))
        {
            var inZone = zone.ToList();
            var early = inZone.Where(_ => random.NextDouble() < 0.7).DefaultIfEmpty(inZone[0]).ToList();
            var half = inZone.Where(r => !early.Contains(r)).DefaultIfEmpty(inZone[^1]).ToList();
            leafVersions[zone.Key] = [.. new[] { early, inZone, half }.Select(set => ZoneAggregate.FromRecords(zone.Key, PeriodStart, Period, set[0].Id.Origin, set))];
            all.AddRange(leafVersions[zone.Key]);
        }
        // Upper aggregates over random versions of their children.
        foreach (var parent in leafVersions.Keys.GroupBy(z => z.Parent))
            for (int v = 0; v < 3; v++)
                all.Add(ZoneAggregate.FromChildren(parent.Key, PeriodStart, Period, "pc-0", parent.Select(z => leafVersions[z][random.Next(3)]).Where(_ => random.NextDouble() < 0.9).DefaultIfEmpty(leafVersions[parent.First()][0])));
        var byManifest = all.GroupBy(a => a.Manifest.Hash).ToDictionary(g => g.Key, g => g.First());

        long usedAggregates = 0, usedDirect = 0;
        for (int node = 0; node < Nodes; node++)
        {
            var self = zoneOfPc[$"pc-{node}"];
            // What this node holds: most of its own zone's records, a few stragglers from elsewhere, some of the aggregates.
            var held = records.Where(r => ZoneOf(r).Equals(self) ? random.NextDouble() < 0.9 : random.NextDouble() < 0.03).ToList();
            var set = new ZoneAggregateSet();
            foreach (var a in all.Where(_ => random.NextDouble() < 0.6).OrderBy(_ => random.Next())) set.Add(a);

            var selection = ZoneSelection.Select(held, ZoneOf, set, PeriodStart, Period);

            // Expand every aggregate used into its origin records, with the test's own knowledge of every aggregate.
            var counted = new List<(string, long, long)>();
            counted.AddRange(selection.Direct.Select(r => (r.Id.Origin, r.Id.StartMicros, r.Id.LengthMicros)));
            foreach (var a in selection.Aggregates) counted.AddRange(Expand(a, byManifest));
            Assert.Equal(counted.Count, counted.Distinct().Count()); // nothing twice
            Assert.Equal(counted.Count, selection.Direct.Count + selection.FromAggregates);

            var window = new ViewWindow(PeriodStart, PeriodStart + Period);
            var view = GlobalView.Build(selection.Records, [], window.ToMicros, window, GlobalViewOptions.Default with { EpochLength = TimeSpan.FromSeconds(10), SettleDelay = TimeSpan.Zero });
            Assert.Equal(counted.Aggregate(0UL, (sum, id) => sum + truth[id]), (ulong)view.Totals().Bytes.Value);

            // Never less than the records it holds itself would give.
            Assert.True(counted.Count >= held.Count, $"node {node} covers {counted.Count} records but holds {held.Count}");
            usedAggregates += selection.Aggregates.Count;
            usedDirect += selection.Direct.Count;
        }
        // The scenario exercised both paths.
        Assert.True(usedAggregates > Nodes && usedDirect > Nodes, $"aggregates used {usedAggregates}, direct records {usedDirect}");
    }

    [Fact]
    public void A_more_complete_subtree_wins_over_a_stale_aggregate()
    {
        var zone = ZonePath.Parse("a/b");
        var records = Records([1, 2, 3]);
        var stale = ZoneAggregate.FromRecords(zone, PeriodStart, Period, "pc-1", records.Take(2));
        var set = new ZoneAggregateSet();
        set.Add(stale);
        var selection = ZoneSelection.Select(records, _ => zone, set, PeriodStart, Period);
        Assert.Empty(selection.Aggregates);
        Assert.Equal(9, selection.Direct.Count);

        var complete = ZoneAggregate.FromRecords(zone, PeriodStart, Period, "pc-1", records);
        set.Add(complete);
        selection = ZoneSelection.Select(records, _ => zone, set, PeriodStart, Period);
        Assert.Equal(complete.Hash, Assert.Single(selection.Aggregates).Hash);
        Assert.Empty(selection.Direct);
    }

    [Fact]
    public void Records_without_a_zone_are_always_used_directly()
    {
        var zone = ZonePath.Parse("a");
        var records = Records([1, 2]);
        var set = new ZoneAggregateSet();
        set.Add(ZoneAggregate.FromRecords(zone, PeriodStart, Period, "pc-1", records.Where(r => r.Id.Origin == "pc-1")));
        var selection = ZoneSelection.Select(records, r => r.Id.Origin == "pc-1" ? zone : null, set, PeriodStart, Period);
        Assert.Equal(3, selection.Direct.Count);
        Assert.All(selection.Direct, r => Assert.Equal("pc-2", r.Id.Origin));
        Assert.Single(selection.Aggregates);
        Assert.Equal(6, selection.Covered.Count);
    }

    private static IEnumerable<(string, long, long)> Expand(ZoneAggregate a, Dictionary<ZoneHash, ZoneAggregate> byManifest) =>
        a.Kind == ZoneAggregateKind.Records
            ? a.Manifest.Entries.Select(e => (e.Key, e.StartMicros, e.LengthMicros))
            : a.Manifest.Entries.SelectMany(e => Expand(byManifest[e.Hash], byManifest));
}

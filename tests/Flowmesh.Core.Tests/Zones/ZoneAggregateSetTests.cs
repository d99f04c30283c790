using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>The superset rule: replacement never loses an input, and every delivery order ends in the same choice.</summary>
public sealed class ZoneAggregateSetTests
{
    private static readonly ZonePath Zone = ZonePath.Parse("site/1");

    private static ZoneAggregate Of(params int[] pcs) => ZoneAggregate.FromRecords(Zone, PeriodStart, Period, "pc-" + pcs[0], Records(pcs));

    [Fact]
    public void A_covering_aggregate_replaces_and_a_covered_one_adds_nothing()
    {
        var set = new ZoneAggregateSet();
        Assert.Equal(ZoneAggregateAddResult.Added, set.Add(Of(1, 2)));
        Assert.Equal(ZoneAggregateAddResult.Duplicate, set.Add(Of(1, 2)));
        Assert.Equal(ZoneAggregateAddResult.Replaced, set.Add(Of(1, 2, 3)));
        Assert.Equal(ZoneAggregateAddResult.Covered, set.Add(Of(1, 2)));
        Assert.Equal(ZoneAggregateAddResult.Covered, set.Add(Of(2, 3)));
        Assert.Equal(9, Assert.Single(set.Held(Zone, PeriodStart, Period)).Manifest.TotalWeight);
    }

    /// <summary>Two producers during a partition: neither covers the other, both are kept, and the union replaces both.</summary>
    [Fact]
    public void Incomparable_aggregates_are_kept_until_a_union_covers_them()
    {
        var set = new ZoneAggregateSet();
        set.Add(Of(1, 2));
        Assert.Equal(ZoneAggregateAddResult.Added, set.Add(Of(1, 3, 4)));
        Assert.Equal(2, set.Held(Zone, PeriodStart, Period).Count);
        Assert.Equal(9, set.Best(Zone, PeriodStart, Period)!.Manifest.TotalWeight);
        Assert.Equal(ZoneAggregateAddResult.Replaced, set.Add(Of(1, 2, 3, 4)));
        Assert.Equal(12, Assert.Single(set.Held(Zone, PeriodStart, Period)).Manifest.TotalWeight);
    }

    [Fact]
    public void Every_delivery_order_picks_the_same_aggregate()
    {
        ZoneAggregate[] all = [Of(1), Of(1, 2), Of(2, 3), Of(1, 3), Of(3, 4), Of(1, 2, 3), Of(4)];
        string? chosen = null;
        var random = new Random(5);
        for (int round = 0; round < 200; round++)
        {
            var set = new ZoneAggregateSet();
            foreach (var a in all.OrderBy(_ => random.Next())) set.Add(a);
            string best = set.Best(Zone, PeriodStart, Period)!.Hash.ToString();
            chosen ??= best;
            Assert.Equal(chosen, best);
            // Held: exactly the maximal manifests, {1,2,3} and {3,4}.
            Assert.Equal([9, 6], set.Held(Zone, PeriodStart, Period).Select(a => (int)a.Manifest.TotalWeight).OrderDescending());
        }
    }

    /// <summary>Same inputs, other contents: a producer merged wrongly or lied. It is reported and does not replace the held one.</summary>
    [Fact]
    public void Same_manifest_other_contents_is_a_conflict()
    {
        var honest = Of(1, 2, 3);
        var lesser = Of(1, 2);
        var lie = ZoneAggregate.Decode(ZoneAggregateTests.SpliceContents(honest, lesser), Key);
        var set = new ZoneAggregateSet();
        set.Add(honest);
        Assert.Equal(ZoneAggregateAddResult.Conflict, set.Add(lie));
        Assert.Equal(honest.Hash, Assert.Single(set.Held(Zone, PeriodStart, Period)).Hash);
    }

    [Fact]
    public void Upper_levels_compare_children_through_the_callback()
    {
        var parent = Zone.Parent;
        var small = ZoneAggregate.FromChildren(parent, PeriodStart, Period, "pc-1", [Of(1, 2)]);
        var large = ZoneAggregate.FromChildren(parent, PeriodStart, Period, "pc-1", [Of(1, 2, 3)]);
        var blind = new ZoneAggregateSet();
        blind.Add(small);
        Assert.Equal(ZoneAggregateAddResult.Added, blind.Add(large)); // the child manifests differ; nothing says how
        // A node that holds the child aggregates can tell that {1,2,3} covers {1,2}.
        var byManifest = new[] { Of(1, 2), Of(1, 2, 3) }.ToDictionary(a => a.Manifest.Hash);
        var informed = new ZoneAggregateSet((mine, theirs) =>
            byManifest.TryGetValue(mine.Hash, out var m) && byManifest.TryGetValue(theirs.Hash, out var t) && m.Manifest.Covers(t.Manifest));
        informed.Add(small);
        Assert.Equal(ZoneAggregateAddResult.Replaced, informed.Add(large));
        Assert.Equal(ZoneAggregateAddResult.Covered, informed.Add(small));
    }
}

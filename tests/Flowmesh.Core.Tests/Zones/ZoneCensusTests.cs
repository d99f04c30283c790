using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

public sealed class ZoneCensusTests
{
    private static EpochRecord Sealed(int pc, int epoch, string? zone)
    {
        var summary = new EpochSummary(new EpochId($"pc-{pc}", PeriodStart + epoch * 10 * Second, 10 * Second), Key) { Zone = zone is null ? null : ZonePath.Parse(zone) };
        foreach (var f in FlowsOf(pc, epoch)) summary.Add(f);
        return summary.Seal();
    }

    /// <summary>
    /// pc-1, pc-2 in a/1; pc-3 in a/2; pc-4 in b/1 (its newest record; it moved from a/2); pc-5 sends records naming no
    /// zone; pc-6 is a dead member that sent nothing; pc-7 is labelled exactly "a".
    /// </summary>
    private static GlobalView View()
    {
        var records = new List<EpochRecord>
        {
            Sealed(1, 0, "a/1"), Sealed(1, 1, "a/1"), Sealed(2, 1, "a/1"), Sealed(3, 0, "a/2"),
            Sealed(4, 0, "a/2"), Sealed(4, 2, "b/1"), Sealed(5, 2, null), Sealed(7, 1, "a"),
        };
        var expected = Enumerable.Range(1, 7).Select(i => new ExpectedOrigin($"pc-{i}", i == 6 ? OriginLiveness.Dead : i == 3 ? OriginLiveness.Suspect : OriginLiveness.Alive));
        var window = new ViewWindow(PeriodStart, PeriodStart + Period);
        return GlobalView.Build(records, expected, PeriodStart + Period + 2 * Second, window, GlobalViewOptions.Default with { EpochLength = TimeSpan.FromSeconds(10), SettleDelay = TimeSpan.Zero });
    }

    [Fact]
    public void The_root_shows_the_top_zones_and_who_has_no_known_place()
    {
        var census = ZoneCensus.Of(View(), ZonePath.Root);
        Assert.Equal(["a", "b"], census.Zones.Select(z => z.Zone.Text));
        var a = census.Zones[0];
        Assert.Equal((4, 3, 4), (a.Origins, a.Alive, a.Reporting)); // pc-1, pc-2, pc-3 (suspect), pc-7
        Assert.Equal(["pc-1", "pc-2", "pc-3", "pc-7"], a.Members);
        Assert.Equal(TimeSpan.FromSeconds(12), a.NewestDataAge); // epoch 1 (pc-1, pc-2, pc-7) ended at +20 s; now is +32 s
        Assert.Equal(["pc-4"], census.Zones[1].Members);
        Assert.Equal(TimeSpan.FromSeconds(2), census.Zones[1].NewestDataAge);
        Assert.Equal(["pc-5", "pc-6"], census.Unplaced.Members);
        Assert.Equal((2, 1, 1), (census.Unplaced.Origins, census.Unplaced.Alive, census.Unplaced.Reporting));
        Assert.Null(census.Here);
    }

    [Fact]
    public void One_level_down_lists_the_children_and_the_members_placed_exactly_there()
    {
        var census = ZoneCensus.Of(View(), ZonePath.Parse("a"));
        Assert.Equal(["a/1", "a/2"], census.Zones.Select(z => z.Zone.Text));
        Assert.Equal(["pc-1", "pc-2"], census.Zones[0].Members);
        Assert.Equal(["pc-3"], census.Zones[1].Members); // pc-4 moved to b/1: its newest record decides
        Assert.Equal(["pc-7"], census.Here!.Members);
        Assert.Equal(0, census.Unplaced.Origins); // unplaced origins are shown at the root only
        Assert.Empty(ZoneCensus.Of(View(), ZonePath.Parse("c")).Zones);
    }

    [Fact]
    public void Large_zones_are_counted_without_listing_members()
    {
        var records = Enumerable.Range(0, ZoneCensus.MaxListedMembers + 1).Select(pc => Sealed(pc, 0, "big/1")).ToList();
        var window = new ViewWindow(PeriodStart, PeriodStart + Period);
        var view = GlobalView.Build(records, [], PeriodStart + Period, window, GlobalViewOptions.Default with { EpochLength = TimeSpan.FromSeconds(10), SettleDelay = TimeSpan.Zero });
        var big = Assert.Single(ZoneCensus.Of(view, ZonePath.Root).Zones);
        Assert.Equal(ZoneCensus.MaxListedMembers + 1, big.Origins);
        Assert.Empty(big.Members);
    }
}

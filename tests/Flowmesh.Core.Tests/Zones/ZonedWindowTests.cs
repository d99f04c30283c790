using Flowmesh.Core.Epochs;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>
/// Count-once across zones (docs/zones.md "The view in the agent"): two monitored PCs, a in zone za and b in zb, see
/// each other's traffic; one counts each flow between them and the other leaves it to its owner in a "left to peer"
/// section (docs/global-view.md). A zoned view holds its own PC's records and the other zone's aggregates merged by
/// <see cref="ZoneAggregate.FromRecords"/>, which keep the sections; whichever side it stands on, its byte total is
/// every packet once, as in the flat view of both records.
/// </summary>
public sealed class ZonedWindowTests
{
    private const long Second = 1_000_000;
    private const long Period = 30 * Second;
    private static readonly string[] AddressesA = ["10.0.0.1", "2001:db8::1"];
    private static readonly string[] AddressesB = ["10.0.0.2", "10.0.5.2", "2001:db8::2"];
    private static readonly ZonePath Za = ZonePath.Parse("za"), Zb = ZonePath.Parse("zb");
    // Periods of 30 s: the traffic runs over [..003 s, ..063 s); the window covers two whole periods of it.
    private static readonly ViewWindow Window = ViewWindow.Between(1_700_000_010L * Second, 1_700_000_070L * Second);

    private static bool Touches(SyntheticPacket p, string[] addresses) => addresses.Contains(p.Source) || addresses.Contains(p.Destination);

    private static ZonePath? LeafOf(string origin) => origin switch { "a" => Za, "b" => Zb, _ => null };

    private static List<ZoneAggregate> Aggregates(ZonePath zone, IEnumerable<EpochRecord> records) =>
        [.. records.Where(r => Window.Contains(r.Id.StartMicros, r.Id.EndMicros))
            .GroupBy(r => EpochRollup.AlignDown(r.Id.StartMicros, Period))
            .Select(g => ZoneAggregate.FromRecords(zone, g.Key, Period, "producer", g))];

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void Flows_between_monitored_pcs_of_two_zones_count_once_on_either_side(string self)
    {
        var packets = AutomaticOwnershipTests.TwoPcs(seed: 2);
        var a = AutomaticOwnershipTests.Agent("a", AddressesA, "b", AddressesB, packets.Where(p => Touches(p, AddressesA)));
        var b = AutomaticOwnershipTests.Agent("b", AddressesB, "a", AddressesA, packets.Where(p => Touches(p, AddressesB)));
        Assert.Contains(b, r => r.Contents.Extensions.Left.Count > 0); // b leaves the flows between them to a
        long truth = packets.Where(p => p.Micros >= Window.FromMicros && p.Micros < Window.ToMicros).Sum(p => (long)p.IpLength);
        var expected = new[] { new ExpectedOrigin(self, OriginLiveness.Alive) };
        var options = GlobalViewOptions.Default with { SettleDelay = TimeSpan.Zero };
        Assert.Equal(truth, (long)GlobalView.Build(a.Concat(b), [], Window.ToMicros, Window, options).Totals().Bytes.Value);

        var (own, other, otherZone) = self == "a" ? (a, b, Zb) : (b, a, Za);
        var zoned = ZonedWindow.Select(own, LeafOf, LeafOf(self)!, Aggregates(otherZone, other), Window, Period);
        var view = GlobalView.Build(zoned.Records, expected, Window.ToMicros, Window, options, zones: zoned.Coverage);
        Assert.Equal(truth, (long)view.Totals().Bytes.Value);
        Assert.Equal(2, zoned.Coverage.Aggregates);
        // On b's side, b's own sections name a, whose records are inside za's aggregates: they are set aside. On a's
        // side, b's sections are inside zb's aggregates and name a, whose own records are there: the view resolves them.
        Assert.Equal(self == "b", zoned.Coverage.LeftSectionsResolved > 0);
    }

    [Fact]
    public void Flows_between_monitored_pcs_inside_one_aggregated_zone_count_once()
    {
        var packets = AutomaticOwnershipTests.TwoPcs(seed: 3);
        var a = AutomaticOwnershipTests.Agent("a", AddressesA, "b", AddressesB, packets.Where(p => Touches(p, AddressesA)));
        var b = AutomaticOwnershipTests.Agent("b", AddressesB, "a", AddressesA, packets.Where(p => Touches(p, AddressesB)));
        long truth = packets.Where(p => p.Micros >= Window.FromMicros && p.Micros < Window.ToMicros).Sum(p => (long)p.IpLength);
        var zab = ZonePath.Parse("zab");
        // An agent of another zone holds only zab's aggregates, which merged both PCs' records and b's sections to a.
        var zoned = ZonedWindow.Select([], o => o is "a" or "b" ? zab : null, ZonePath.Parse("zo"), Aggregates(zab, a.Concat(b)), Window, Period);
        var view = GlobalView.Build(zoned.Records, [], Window.ToMicros, Window, GlobalViewOptions.Default with { SettleDelay = TimeSpan.Zero }, zones: zoned.Coverage);
        Assert.Equal(truth, (long)view.Totals().Bytes.Value);
        Assert.True(zoned.Coverage.LeftSectionsResolved > 0);
    }
}

using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

public sealed class ZoneAggregateTests
{
    private static readonly ZonePath Top = ZonePath.Parse("site");

    /// <summary>Ten leaf zones of ten PCs under one parent, aggregated twice up: the numbers come from the flows.</summary>
    [Fact]
    public void A_two_level_aggregate_counts_every_flow_once()
    {
        var leaves = Enumerable.Range(0, 10).Select(z =>
            ZoneAggregate.FromRecords(Top.Child(z.ToString()), PeriodStart, Period, $"pc-{z * 10}", Records(Enumerable.Range(z * 10, 10)))).ToList();
        var top = ZoneAggregate.FromChildren(Top, PeriodStart, Period, "pc-0", leaves);

        var flows = Enumerable.Range(0, 100).SelectMany(pc => Enumerable.Range(0, 3).SelectMany(e => FlowsOf(pc, e))).ToList();
        ulong bytes = (ulong)flows.Sum(f => f.Bytes + f.ReverseBytes), packets = (ulong)flows.Sum(f => f.Packets + f.ReversePackets);
        Assert.Equal((bytes, packets, (ulong)flows.Count), (top.Contents.Totals.All.Bytes, top.Contents.Totals.All.Packets, top.Contents.Totals.All.Flows));
        Assert.Equal(300, top.Manifest.TotalWeight);
        Assert.Equal(10, top.Manifest.Entries.Count);

        // Distinct counts merge by register max: the two-level aggregate's sketches are bit-identical to one summary
        // that saw every flow itself.
        var direct = new EpochSummary(new EpochId(ZoneAggregate.ContentsOrigin(Top), PeriodStart, Period), Key);
        foreach (var f in flows) direct.Add(f);
        var whole = direct.Seal();
        for (int i = 0; i < whole.Contents.Distinct.Length; i++)
            Assert.Equal(whole.Contents.Distinct[i].Serialize(), top.Contents.Contents.Distinct[i].Serialize());
        for (int i = 0; i < whole.Contents.Spread.Length; i++)
            Assert.Equal(whole.Contents.Spread[i].Serialize(), top.Contents.Contents.Spread[i].Serialize());
    }

    [Fact]
    public void Duplicated_inputs_are_counted_once_and_give_the_same_bytes()
    {
        var records = Records([1, 2, 3]);
        var once = ZoneAggregate.FromRecords(Top, PeriodStart, Period, "pc-1", records);
        var shuffled = records.Concat(records).Concat([.. records.Select(r => EpochRecord.Decode(r.Encode(), Key))]).OrderBy(r => r.ContentHash).ToList();
        var again = ZoneAggregate.FromRecords(Top, PeriodStart, Period, "pc-1", shuffled);
        Assert.Equal(once.Encode(), again.Encode());
        Assert.Equal(9, again.Manifest.TotalWeight);
    }

    [Fact]
    public void Inputs_that_would_double_count_are_refused()
    {
        var records = Records([1]);
        // A roll-up of pc-1's period beside its own 10 s records.
        var rollup = EpochRollup.RollUp(records, Period).Single();
        Assert.Throws<EpochConflictException>(() => ZoneAggregate.FromRecords(Top, PeriodStart, Period, "pc-1", [.. records, rollup]));
        var child = ZoneAggregate.FromRecords(Top.Child("1"), PeriodStart, Period, "pc-1", records);
        var other = ZoneAggregate.FromRecords(Top.Child("1"), PeriodStart, Period, "pc-1", records.Take(2));
        Assert.Throws<ArgumentException>(() => ZoneAggregate.FromChildren(Top, PeriodStart, Period, "pc-1", [child, other]));
        Assert.Throws<ArgumentException>(() => ZoneAggregate.FromChildren(ZonePath.Parse("elsewhere"), PeriodStart, Period, "pc-1", [child]));
        Assert.Throws<ArgumentException>(() => ZoneAggregate.FromRecords(Top, PeriodStart + 10 * Second, Period, "pc-1", records));
    }

    [Fact]
    public void Anyone_holding_the_inputs_can_check_an_aggregate()
    {
        var records = Records([1, 2, 3]);
        var honest = ZoneAggregate.FromRecords(Top.Child("1"), PeriodStart, Period, "pc-1", records);
        Assert.True(honest.IsMergeOf(records.AsEnumerable().Reverse()));
        Assert.False(honest.IsMergeOf(records.Skip(1)));
        var substitute = records.Select(r => r.Id.Origin == "pc-2" && r.Id.StartMicros == PeriodStart ? Record(2, 0, seed: 99) : r).ToList();
        Assert.False(honest.IsMergeOf(substitute));

        // A producer that lists three PCs but merged only two: same header and manifest, other contents.
        var lesser = ZoneAggregate.FromRecords(Top.Child("1"), PeriodStart, Period, "pc-1", records.Where(r => r.Id.Origin != "pc-3"));
        var lie = ZoneAggregate.Decode(SpliceContents(honest, lesser), Key);
        Assert.Equal(honest.Manifest.Hash, lie.Manifest.Hash);
        Assert.False(lie.IsMergeOf(records));

        var top = ZoneAggregate.FromChildren(Top, PeriodStart, Period, "pc-1", [honest]);
        Assert.True(top.IsMergeOf([honest]));
        Assert.False(top.IsMergeOf([lesser]));
    }

    [Fact]
    public void Encoding_round_trips()
    {
        var leaf = ZoneAggregate.FromRecords(Top.Child("4"), PeriodStart, Period, "pc-40", Records(Enumerable.Range(40, 10)));
        var top = ZoneAggregate.FromChildren(Top, PeriodStart, Period, "pc-40", [leaf]);
        foreach (var a in new[] { leaf, top })
        {
            var back = ZoneAggregate.Decode(a.Encode(), Key);
            Assert.Equal(a.Encode(), back.Encode());
            Assert.Equal((a.Kind, a.Zone, a.StartMicros, a.LengthMicros, a.Producer, a.Manifest.Hash, a.Contents.ContentHash),
                (back.Kind, back.Zone, back.StartMicros, back.LengthMicros, back.Producer, back.Manifest.Hash, back.Contents.ContentHash));
        }
    }

    /// <summary>Splices <paramref name="contentsOf"/>'s merged contents into <paramref name="header"/>'s header and manifest.</summary>
    internal static byte[] SpliceContents(ZoneAggregate header, ZoneAggregate contentsOf)
    {
        byte[] h = header.Encode(), c = contentsOf.Encode();
        int hContents = h.Length - header.Contents.EncodedLength - 4, cContents = c.Length - contentsOf.Contents.EncodedLength - 4;
        return [.. h.AsSpan(0, hContents), .. c.AsSpan(cContents)];
    }
}

using System.Text;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>A record names its origin's zone (extension 5), so every node agrees on an epoch's tree without agreeing on membership.</summary>
public sealed class ZoneRecordTests
{
    private static EpochRecord Sealed(int pc, int epoch, ZonePath? zone)
    {
        var summary = new EpochSummary(new EpochId($"pc-{pc}", PeriodStart + epoch * 10 * Second, 10 * Second), Key) { Zone = zone };
        foreach (var f in FlowsOf(pc, epoch)) summary.Add(f);
        return summary.Seal();
    }

    [Fact]
    public void A_record_names_its_zone_and_without_one_keeps_its_old_bytes()
    {
        var zone = ZonePath.Parse("site-a/3/7");
        var named = Sealed(1, 0, zone);
        Assert.Equal(zone, named.Zone);
        Assert.Equal(zone, EpochRecord.Decode(named.Encode(), Key).Zone);
        // No zone (or the root) writes no extension: the very bytes an older build wrote.
        Assert.Null(Sealed(1, 0, null).Zone);
        Assert.Equal(Record(1, 0).ContentHash, Sealed(1, 0, null).ContentHash);
        Assert.Equal(Record(1, 0).ContentHash, Sealed(1, 0, ZonePath.Root).ContentHash);
        Assert.NotEqual(Record(1, 0).ContentHash, named.ContentHash);
    }

    [Fact]
    public void Merges_keep_the_zone_only_when_every_input_names_the_same()
    {
        var a = ZonePath.Parse("a/1");
        var same = EpochRollup.RollUp([Sealed(1, 0, a), Sealed(1, 1, a), Sealed(1, 2, a)], Period).Single();
        Assert.Equal(a, same.Zone);
        var moved = EpochRollup.RollUp([Sealed(1, 0, a), Sealed(1, 1, ZonePath.Parse("a/2")), Sealed(1, 2, a)], Period).Single();
        Assert.Null(moved.Zone);
        var partly = EpochRollup.RollUp([Sealed(1, 0, null), Sealed(1, 1, a), Sealed(1, 2, a)], Period).Single();
        Assert.Null(partly.Zone);
        var aggregate = ZoneAggregate.FromRecords(a, PeriodStart, Period, "pc-1", [Sealed(1, 0, a), Sealed(2, 0, a)]);
        Assert.Equal(a, aggregate.Contents.Zone);
    }

    [Fact]
    public void Every_truncation_of_a_record_with_a_zone_is_refused()
    {
        byte[] bytes = Sealed(1, 0, ZonePath.Parse("site-a/3/7")).Encode();
        for (int n = 0; n < bytes.Length; n++)
            Assert.Throws<EpochRecordFormatException>(() => EpochRecord.Decode(bytes.AsSpan(0, n), Key));
    }

    [Theory]
    [InlineData("Site-a/3/7")] // upper case
    [InlineData("site-a//37")] // an empty segment
    [InlineData("site a/3/7")] // a space
    [InlineData("site-\u00e9/37")] // not ASCII (é is two bytes in UTF-8)
    public void A_zone_that_is_not_a_path_is_refused(string bad)
    {
        const string good = "site-a/3/7";
        byte[] bytes = Sealed(1, 0, ZonePath.Parse(good)).Encode();
        int at = IndexOf(bytes, Encoding.ASCII.GetBytes(good));
        Assert.True(at > 0, "the zone extension is stored raw (short sections are not deflated)");
        byte[] replacement = Encoding.UTF8.GetBytes(bad);
        Assert.Equal(good.Length, replacement.Length); // same length: only the path's content is wrong
        byte[] damaged = [.. bytes.AsSpan(0, at), .. replacement, .. bytes.AsSpan(at + good.Length)];
        var e = Assert.Throws<EpochRecordFormatException>(() => EpochRecord.Decode(EpochTestTraffic.Reseal(damaged), Key));
        Assert.Contains("zone", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }
}

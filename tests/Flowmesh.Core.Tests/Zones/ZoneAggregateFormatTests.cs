using System.Buffers.Binary;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using static Flowmesh.Core.Tests.Zones.ZoneTestRecords;

namespace Flowmesh.Core.Tests.Zones;

/// <summary>
/// Hostile input for the aggregate decoder: the only outcomes allowed are <see cref="ZoneAggregateFormatException"/>
/// or an aggregate that re-encodes to the very bytes it came from.
/// </summary>
public sealed class ZoneAggregateFormatTests
{
    private static readonly ZonePath Zone = ZonePath.Parse("site/3");
    private static readonly ZoneAggregate Leaf = ZoneAggregate.FromRecords(Zone, PeriodStart, Period, "pc-30", Records(Enumerable.Range(30, 4)));
    private static readonly ZoneAggregate Upper = ZoneAggregate.FromChildren(Zone.Parent, PeriodStart, Period, "pc-30", [Leaf]);

    private static void DecodesOrRefuses(byte[] bytes)
    {
        try
        {
            var a = ZoneAggregate.Decode(bytes, Key);
            Assert.Equal(bytes, a.Encode());
        }
        catch (ZoneAggregateFormatException e)
        {
            Assert.StartsWith("Zone aggregate", e.Message);
        }
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        foreach (var a in new[] { Leaf, Upper })
        {
            byte[] bytes = a.Encode();
            for (int n = 0; n < bytes.Length; n++)
                Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(bytes.AsSpan(0, n), Key));
        }
    }

    [Fact]
    public void Trailing_bytes_another_key_and_oversized_input_are_refused()
    {
        Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode([.. Leaf.Encode(), 0], Key));
        Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(Leaf.Encode(), new SketchHashKey("another-key-16b!"u8)));
        Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(new byte[ZoneAggregate.MaxEncodedLength + 1], Key));
    }

    [Fact]
    public void Every_bit_of_the_header_and_manifest_and_random_bits_elsewhere()
    {
        byte[] bytes = Leaf.Encode();
        int headerAndManifest = bytes.Length - Leaf.Contents.EncodedLength;
        for (int bit = 0; bit < headerAndManifest * 8; bit++)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            DecodesOrRefuses(copy);
        }
        var random = new Random(11);
        for (int i = 0; i < 2000; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            int bit = random.Next(copy.Length * 8);
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            DecodesOrRefuses(copy);
        }
    }

    [Fact]
    public void Random_input_is_refused()
    {
        var random = new Random(12);
        for (int i = 0; i < 3000; i++)
        {
            byte[] junk = new byte[random.Next(0, 400)];
            random.NextBytes(junk);
            if (junk.Length >= 4 && i % 2 == 0) "FMZA"u8.CopyTo(junk); // get past the magic half the time
            if (junk.Length >= 5 && i % 4 == 0) junk[4] = ZoneAggregate.FormatVersion;
            Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(junk, Key));
        }
    }

    /// <summary>A 60-byte message claiming the largest manifest allocates nothing for it: the count is checked against the bytes left.</summary>
    [Fact]
    public void A_count_bomb_allocates_nothing()
    {
        byte[] bytes = Leaf.Encode();
        int manifestCount = 4 + 1 + 1 + 1 + Zone.Text.Length + 16 + 1 + "pc-30".Length;
        Assert.Equal((uint)Leaf.Manifest.Entries.Count, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(manifestCount)));
        byte[] bomb = bytes[..(manifestCount + 4)];
        BinaryPrimitives.WriteUInt32LittleEndian(bomb.AsSpan(manifestCount), ZoneManifest.MaxEntries);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(bomb, Key));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024, "the decoder allocated for entries the input cannot hold");
        BinaryPrimitives.WriteUInt32LittleEndian(bomb.AsSpan(manifestCount), ZoneManifest.MaxEntries + 1);
        var e = Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(bomb, Key));
        Assert.Contains("at most 4096", e.Message);
    }

    [Fact]
    public void Contents_of_another_zone_or_period_are_refused()
    {
        var elsewhere = ZoneAggregate.FromRecords(ZonePath.Parse("site/4"), PeriodStart, Period, "pc-30", Records(Enumerable.Range(30, 4)));
        var e = Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(ZoneAggregateTests.SpliceContents(Leaf, elsewhere), Key));
        Assert.Contains("not as this zone's period", e.Message);
    }

    /// <summary>The merged contents are a record: its own decoder's checks apply (here a record section cut short, resealed).</summary>
    [Fact]
    public void Damaged_contents_are_refused_by_the_record_decoder()
    {
        byte[] bytes = Leaf.Encode();
        int contentsAt = bytes.Length - Leaf.Contents.EncodedLength;
        byte[] record = EpochTestTrafficReseal(bytes[contentsAt..]);
        record[EpochContents.FixedHeaderBytes + 2] ^= 0xff;
        byte[] damaged = [.. bytes.AsSpan(0, contentsAt), .. EpochTestTrafficReseal(record)];
        Assert.Throws<ZoneAggregateFormatException>(() => ZoneAggregate.Decode(damaged, Key));
    }

    private static byte[] EpochTestTrafficReseal(byte[] record) => Epochs.EpochTestTraffic.Reseal(record);
}

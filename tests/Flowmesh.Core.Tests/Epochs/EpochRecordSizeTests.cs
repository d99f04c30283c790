using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>The record budget (docs/epoch-records.md): a busy PC's record stays within 64 KiB at the default sizes.</summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class EpochRecordSizeTests
{
    private const int Budget = 64 * 1024;

    [Fact]
    public void WorstCaseRecordStaysWithin64KiB()
    {
        // Everything at its largest: a 64-byte origin, every top list full of IPv6 keys, every distinct counter
        // dense, spread sketches (fixed size), the matrix full of IPv6 /64 cells, counters beyond 32 bits.
        var summary = new EpochSummary(new EpochId(new string('o', 64), Start, 10 * Second), Key);
        var random = new Random(50);
        for (int i = 0; i < 20_000; i++)
        {
            var source = new IpAddress128(0x2001_0db8_0000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            var destination = new IpAddress128(0x2001_0db8_8000_0000UL | (uint)random.Next(), (ulong)random.NextInt64());
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, source, (ushort)random.Next(1024, 65535), destination, (ushort)random.Next(1, 65535),
                random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), random.NextInt64(1, 1L << 40), true, Start, Start));
        }
        var record = summary.Seal();
        Assert.All(record.Contents.Top, t => Assert.Equal(t.Capacity, t.Count));
        Assert.All(record.Contents.Distinct, h => Assert.False(h.IsSparse));
        Assert.Equal(64, record.Contents.Matrix.Cells.Count);
        // Sections are stored deflated only when that is smaller, so the incompressible worst case is the sum of
        // the raw sketch sizes plus the fixed fields (header 20, origin 65, id 16, totals 96, health 40, CRC 4)
        // and 5 bytes of section framing each.
        var c = record.Contents;
        int raw = 20 + 65 + 16 + 96 + 40 + 4 + 16 * 5
            + c.Top.Sum(t => t.SerializedSize) + c.Distinct.Sum(h => h.SerializedSize) + c.Spread.Sum(s => s.SerializedSize) + c.Matrix.SerializedSize;
        TestContext.Current.SendDiagnosticMessage($"worst-case record: {record.EncodedLength} bytes stored, {raw} bytes if nothing compressed");
        Assert.InRange(raw, 55_000, Budget);
        Assert.InRange(record.EncodedLength, 1, raw);
    }

    [Fact]
    public void TypicalPcRecordSize()
    {
        // A PC's 10 s: a few dozen flows to a handful of servers.
        var summary = new EpochSummary(new EpochId("laptop-7", Start, 10 * Second), Key);
        var random = new Random(51);
        var me = IpAddress128.Parse("192.168.1.23");
        for (int i = 0; i < 60; i++)
        {
            var server = IpAddress128.FromIPv4(0x5DB8D800u + (uint)random.Next(40));
            summary.Add(new FlowTableDelta(IpProtocol.Tcp, me, (ushort)(50000 + i), server, 443, random.Next(1, 50), random.Next(100, 20_000), random.Next(1, 80), random.Next(100, 100_000), true, Start, Start));
        }
        var record = summary.Seal();
        TestContext.Current.SendDiagnosticMessage($"typical record: {record.EncodedLength} bytes");
        Assert.InRange(record.EncodedLength, 1, 8 * 1024);
    }
}

using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Flows.TestPacket;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>Memory and allocation bounds: a flood cannot grow the table, and updating known flows allocates nothing.</summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class FlowTableResourceTests
{
    [Fact]
    public void SpoofedSynFloodStaysWithinTheCap()
    {
        const int Sources = 1_000_000;
        const int Cap = 10_000;
        long emittedPackets = 0, emittedRecords = 0, evictedRecords = 0;
        var table = new FlowTable(new FlowTableOptions { MaxFlows = Cap }, r =>
        {
            // Count only: retaining records would measure the test, not the table.
            emittedRecords++;
            emittedPackets += r.Packets + r.ReversePackets;
            if (r.EndReason == FlowEndReason.LackOfResources) evictedRecords++;
        });
        var victim = IpAddress128.Parse("198.51.100.7");

        long memoryAtCap = 0;
        int maxCount = 0;
        for (int i = 0; i < Sources; i++)
        {
            // Every packet a new source (one per microsecond: the whole flood is inside the TCP idle timeout).
            var spoofed = IpAddress128.FromIPv4(0x0B000000u + (uint)i);
            var syn = Make(spoofed, (ushort)(1024 + i % 60000), victim, 80, IpProtocol.Tcp, 1_000_000 + i, 40, flags: Syn);
            table.Observe(in syn);
            if (table.Count > maxCount) maxCount = table.Count;
            if (i == 2 * Cap) memoryAtCap = GC.GetTotalMemory(forceFullCollection: true);
        }
        long memoryAtEnd = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(Cap, maxCount);
        Assert.Equal(Cap, table.Count);
        Assert.Equal(Sources - Cap, table.Evictions);
        Assert.Equal(Sources - Cap, evictedRecords);
        // 98% more flows than at the first measurement, and the heap did not grow with them.
        Assert.True(memoryAtEnd - memoryAtCap < 2 * 1024 * 1024, $"heap grew by {memoryAtEnd - memoryAtCap} bytes during the flood");

        table.Flush();
        Assert.Equal(0, table.Count);
        Assert.Equal(Sources, emittedRecords);
        Assert.Equal(Sources, emittedPackets);
        Assert.Equal(Sources, table.FlowsEnded);
    }

    [Fact]
    public void UpdatingExistingFlowsAllocatesNothing()
    {
        const int Flows = 1_000;
        var table = new FlowTable(new FlowTableOptions(), _ => throw new InvalidOperationException("no flow should end"));
        var packets = new PacketInfo[4 * Flows];
        var server = IpAddress128.Parse("2001:db8::80");
        for (int i = 0; i < Flows; i++)
        {
            var client = IpAddress128.FromIPv4(0x0A000000u + (uint)i);
            var v6Client = IpAddress128.Parse($"2001:db8:1::{i:x}");
            packets[4 * i] = Make(client, 40000, IpAddress128.FromIPv4(0x0A0A0A0A), 443, IpProtocol.Tcp, 0, 1500, flags: Ack | Psh);
            packets[4 * i + 1] = Make(IpAddress128.FromIPv4(0x0A0A0A0A), 443, client, 40000, IpProtocol.Tcp, 0, 52, flags: Ack);
            packets[4 * i + 2] = Make(v6Client, 5353, server, 53, IpProtocol.Udp, 0, 80);
            packets[4 * i + 3] = IcmpPacket(server, v6Client, IpProtocol.Icmpv6, 129, 100);
        }

        // Create every flow and let the JIT settle before measuring.
        for (int round = 0; round < 3; round++) Feed(table, packets, round);
        Assert.Equal(3 * Flows, table.Count);

        int next = 3;
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int end = next + 10; next < end; next++) Feed(table, packets, next);
        });

        Assert.Equal(0, allocated);
        Assert.Equal(3 * Flows, table.Count);
        Assert.Equal(0, table.FlowsEnded);

        static void Feed(FlowTable table, PacketInfo[] packets, int round)
        {
            for (int i = 0; i < packets.Length; i++)
            {
                packets[i].TimestampMicros = round * 1_000_000L + i;
                table.Observe(in packets[i]);
            }
        }
    }

    private static PacketInfo IcmpPacket(IpAddress128 source, IpAddress128 destination, byte protocol, byte icmpType, int length) =>
        TestPacket.Make(source, 0, destination, 0, protocol, 0, length, icmpType: icmpType);
}

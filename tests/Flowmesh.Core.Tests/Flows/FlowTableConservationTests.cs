using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// Whatever the table does (timeouts, closes, port reuse, active splits, evictions), every packet,
/// byte and segment it was given comes out in exactly one record, in the right direction.
/// </summary>
public sealed class FlowTableConservationTests
{
    private readonly record struct Directed(IpAddress128 Source, ushort SourcePort, IpAddress128 Destination, ushort DestinationPort, byte Protocol);

    [Fact]
    public void RandomStreamConservesPacketsBytesAndSegmentsPerDirection()
    {
        var random = new Random(20261123);
        var hosts = Enumerable.Range(0, 12).Select(i => i % 4 == 0
            ? IpAddress128.Parse($"2001:db8::{i + 1:x}")
            : IpAddress128.FromIPv4(0xC0A80000u + (uint)i)).ToArray();
        byte[] protocols = [IpProtocol.Tcp, IpProtocol.Tcp, IpProtocol.Udp, 0 /* ICMP family */, 47, IpProtocol.Sctp];

        var expected = new Dictionary<Directed, (long Packets, long Bytes, long Segments)>();
        var actual = new Dictionary<Directed, (long Packets, long Bytes, long Segments)>();
        var reasons = new Dictionary<FlowEndReason, int>();
        var table = new FlowTable(new FlowTableOptions
        {
            MaxFlows = 600,
            TcpIdleTimeout = TimeSpan.FromSeconds(2),
            TcpClosedTimeout = TimeSpan.FromMilliseconds(200),
            UdpIdleTimeout = TimeSpan.FromSeconds(1),
            IcmpIdleTimeout = TimeSpan.FromSeconds(1),
            OtherIdleTimeout = TimeSpan.FromMilliseconds(500),
            ActiveTimeout = TimeSpan.FromSeconds(3),
        }, record =>
        {
            Assert.True(record.Packets + record.ReversePackets > 0);
            Assert.True(record.StartMicros <= record.EndMicros);
            reasons[record.EndReason] = reasons.GetValueOrDefault(record.EndReason) + 1;
            Add(actual, new(record.SourceAddress, record.SourcePort, record.DestinationAddress, record.DestinationPort, record.Protocol),
                record.Packets, record.Bytes, record.Segments);
            Add(actual, new(record.DestinationAddress, record.DestinationPort, record.SourceAddress, record.SourcePort, record.Protocol),
                record.ReversePackets, record.ReverseBytes, record.ReverseSegments);
        });

        long time = 0;
        for (int i = 0; i < 300_000; i++)
        {
            time += random.Next(0, 1500);
            int a = random.Next(hosts.Length), b = random.Next(hosts.Length - 1);
            if (b >= a) b++;
            var source = hosts[a];
            var destination = hosts[b];
            if (source.IsIPv4 != destination.IsIPv4) destination = source.IsIPv4 ? IpAddress128.FromIPv4(0xC0A800FFu) : IpAddress128.Parse("2001:db8::ff");
            byte protocol = protocols[random.Next(protocols.Length)];
            if (protocol == 0) protocol = source.IsIPv4 ? IpProtocol.Icmp : IpProtocol.Icmpv6;
            bool ports = IpProtocol.HasPorts(protocol);
            ushort sourcePort = ports ? (ushort)random.Next(1, 4) : (ushort)0;
            ushort destinationPort = ports ? (ushort)random.Next(1, 4) : (ushort)0;
            // Bias TCP flags toward plain ACKs so connections live a while, with SYN, FIN and RST mixed in.
            byte flags = protocol == IpProtocol.Tcp ? (random.Next(10) < 7 ? (byte)0x10 : (byte)random.Next(0, 0x40)) : (byte)0;
            byte icmpType = IpProtocol.IsIcmp(protocol) ? (byte)random.Next(0, 256) : (byte)0;
            int length = random.Next(20, 9000);
            uint segments = (uint)random.Next(1, 5);
            long ts = time - random.Next(0, 300); // slightly out of order

            var packet = TestPacket.Make(source, sourcePort, destination, destinationPort, protocol, ts, length, flags, icmpType, segments: segments);
            table.Observe(in packet);
            Add(expected, new(source, sourcePort, destination, destinationPort, protocol), 1, length, segments);

            if (i % 1000 == 0) table.Expire(time);
            if (i % 10_000 == 0) table.AssertConsistent();
        }
        table.AssertConsistent();
        table.Flush();

        Assert.Equal(expected.Count, actual.Count(kv => kv.Value.Packets > 0));
        foreach (var (key, totals) in expected)
        {
            Assert.True(actual.TryGetValue(key, out var got), $"missing {key}");
            Assert.Equal(totals, got);
        }
        Assert.Equal(300_000, expected.Values.Sum(v => v.Packets));
        Assert.True(table.Evictions > 0, "the stream should have filled the table");
        // The stream must exercise every way a flow can end, or conservation proves little.
        string mix = string.Join(", ", reasons.Select(kv => $"{kv.Key}={kv.Value}"));
        foreach (FlowEndReason reason in Enum.GetValues<FlowEndReason>())
            Assert.True(reasons.GetValueOrDefault(reason) >= 10, $"too few {reason}: {mix}");
    }

    private static void Add(Dictionary<Directed, (long Packets, long Bytes, long Segments)> totals, Directed key, long packets, long bytes, long segments)
    {
        if (packets == 0) return;
        totals.TryGetValue(key, out var t);
        totals[key] = (t.Packets + packets, t.Bytes + bytes, t.Segments + segments);
    }
}

using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Flows.TestPacket;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// Pre-aggregated input (the eBPF drain) must give the records packet-by-packet input gives: same
/// initiator, counters, times, flags, ICMP types and end reasons, with packets, bytes and segments conserved.
/// </summary>
public sealed class FlowTableAggregateTests
{
    private const long Second = 1_000_000;
    private static readonly long Base = 1_700_000_000L * Second;

    private static readonly FlowTableOptions Options = new() { ActiveTimeout = TimeSpan.FromSeconds(60) };

    [Fact]
    public void DrainedAggregatesGiveTheSameRecordsAsThePackets()
    {
        List<PacketInfo> traffic = MixedTraffic(new Random(4242));

        var byPacket = new List<FlowRecord>();
        var packetTable = new FlowTable(Options, byPacket.Add);
        foreach (PacketInfo packet in traffic)
        {
            packetTable.Expire(packet.TimestampMicros);
            packetTable.Observe(in packet);
        }
        packetTable.Flush();

        var byAggregate = new List<FlowRecord>();
        var aggregateTable = new FlowTable(Options, byAggregate.Add);
        var window = new WindowAggregator();
        long drainAt = Base + 5 * Second;
        int drains = 0;
        foreach (PacketInfo packet in traffic)
        {
            while (packet.TimestampMicros >= drainAt)
            {
                aggregateTable.ObserveAggregates(window.Drain());
                aggregateTable.Expire(drainAt);
                aggregateTable.AssertConsistent();
                drainAt += 5 * Second;
                drains++;
            }
            window.Add(in packet);
        }
        aggregateTable.ObserveAggregates(window.Drain());
        aggregateTable.Flush();

        Assert.True(drains > 50, $"only {drains} drains: the traffic should span many windows");
        Assert.Contains(byPacket, r => r.EndReason == FlowEndReason.ActiveTimeout);
        Assert.Contains(byPacket, r => r.EndReason == FlowEndReason.IdleTimeout);
        Assert.Contains(byPacket, r => r.EndReason == FlowEndReason.EndOfFlow);
        Assert.Contains(byPacket, r => r.Protocol == IpProtocol.Icmp && r.IcmpType == 8);
        Assert.Equal(Describe(byPacket), Describe(byAggregate));
    }

    [Fact]
    public void ArbitraryDrainsConservePacketsBytesAndSegmentsPerDirection()
    {
        var random = new Random(77);
        List<PacketInfo> traffic = MixedTraffic(random);
        var expected = new Dictionary<(IpAddress128, ushort, IpAddress128, ushort, byte), (long, long, long)>();
        foreach (PacketInfo p in traffic)
        {
            bool icmp = IpProtocol.IsIcmp(p.Protocol);
            var k = (p.Source, icmp ? (ushort)0 : p.SourcePort, p.Destination, icmp ? (ushort)0 : p.DestinationPort, p.Protocol);
            var v = expected.GetValueOrDefault(k);
            expected[k] = (v.Item1 + 1, v.Item2 + p.IpLength, v.Item3 + p.Segments);
        }

        var actual = new Dictionary<(IpAddress128, ushort, IpAddress128, ushort, byte), (long, long, long)>();
        void Add((IpAddress128, ushort, IpAddress128, ushort, byte) k, long packets, long bytes, long segments)
        {
            if (packets == 0) return;
            var v = actual.GetValueOrDefault(k);
            actual[k] = (v.Item1 + packets, v.Item2 + bytes, v.Item3 + segments);
        }
        // Small cap, short timeouts, drains of random length: boundaries fall anywhere inside windows.
        var table = new FlowTable(new FlowTableOptions
        {
            MaxFlows = 4,
            ActiveTimeout = TimeSpan.FromSeconds(7),
            UdpIdleTimeout = TimeSpan.FromSeconds(3),
            TcpClosedTimeout = TimeSpan.FromSeconds(1),
        }, r =>
        {
            Add((r.SourceAddress, r.SourcePort, r.DestinationAddress, r.DestinationPort, r.Protocol), r.Packets, r.Bytes, r.Segments);
            Add((r.DestinationAddress, r.DestinationPort, r.SourceAddress, r.SourcePort, r.Protocol), r.ReversePackets, r.ReverseBytes, r.ReverseSegments);
        });
        var window = new WindowAggregator();
        long drainAt = Base;
        foreach (PacketInfo packet in traffic)
        {
            while (packet.TimestampMicros >= drainAt)
            {
                table.ObserveAggregates(window.Drain());
                table.Expire(drainAt);
                table.AssertConsistent();
                drainAt += random.NextInt64(Second / 10, 10 * Second);
            }
            window.Add(in packet);
        }
        table.ObserveAggregates(window.Drain());
        table.Flush();

        Assert.True(table.Evictions > 0, "the cap should have forced evictions");
        Assert.Equal(expected.OrderBy(e => e.Key.ToString()), actual.OrderBy(e => e.Key.ToString()));
    }

    [Fact]
    public void PureSynSenderInitiatesEvenWhenTheOtherSideWasSeenFirst()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(Options, records.Add);
        var window = new WindowAggregator();
        // The server's stray ACK is seen before the client's SYN inside one window.
        window.Add(Tcp("10.0.0.2", 80, "10.0.0.1", 5000, Ack, Base));
        window.Add(Tcp("10.0.0.1", 5000, "10.0.0.2", 80, Syn, Base + 10));
        table.ObserveAggregates(window.Drain());
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal(IpAddress128.Parse("10.0.0.1"), record.SourceAddress);
        Assert.Equal(5000, record.SourcePort);
    }

    [Fact]
    public void SynAckOnlyMakesItsReceiverTheInitiatorUntilAPureSynSettlesIt()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(Options, records.Add);
        var window = new WindowAggregator();
        window.Add(Tcp("10.0.0.2", 80, "10.0.0.1", 5000, Syn | Ack, Base));
        window.Add(Tcp("10.0.0.1", 5000, "10.0.0.2", 80, Ack, Base + 5));
        table.ObserveAggregates(window.Drain());
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal(IpAddress128.Parse("10.0.0.1"), record.SourceAddress);
        Assert.Equal(1, record.Packets);
        Assert.Equal(1, record.ReversePackets);
    }

    [Fact]
    public void IcmpReplyOnlyNamesTheAskerAndTheRequestType()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(Options, records.Add);
        var window = new WindowAggregator();
        window.Add(Icmp("10.0.0.9", "10.0.0.1", 0, 0, Base));
        window.Add(Icmp("10.0.0.9", "10.0.0.1", 0, 0, Base + Second));
        table.ObserveAggregates(window.Drain());
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal(IpAddress128.Parse("10.0.0.1"), record.SourceAddress);
        Assert.Equal(8, record.IcmpType);
        Assert.Equal(0, record.Packets);
        Assert.Equal(2, record.ReversePackets);
    }

    [Fact]
    public void IcmpKeyWithPortsIsTheSameFlowAsWithout()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(Options, records.Add);
        var a = IpAddress128.Parse("10.0.0.1");
        var b = IpAddress128.Parse("10.0.0.2");
        var withPorts = new FlowAggregate
        {
            Key = new FlowKey(a, 7, b, 1, IpProtocol.Icmp),
            FromLow = new() { Packets = 1, Bytes = 84, Segments = 1, FirstMicros = Base, LastMicros = Base, IcmpType = 8 },
        };
        var plain = new FlowAggregate
        {
            Key = new FlowKey(a, 0, b, 0, IpProtocol.Icmp),
            FromHigh = new() { Packets = 1, Bytes = 84, Segments = 1, FirstMicros = Base + 1, LastMicros = Base + 1, IcmpType = 0 },
        };
        table.ObserveAggregate(in withPorts);
        table.ObserveAggregate(in plain);
        table.ObserveAggregate(new FlowAggregate { Key = plain.Key }); // empty: ignored
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal((1, 1), (record.Packets, record.ReversePackets));
        Assert.Equal((0, 0), (record.SourcePort, record.DestinationPort));
    }

    [Fact]
    public void SegmentsOfSuperPacketsAreKeptAndMissingOnesCountAsPackets()
    {
        var records = new List<FlowRecord>();
        var table = new FlowTable(Options, records.Add);
        var key = FlowKey.FromDirected(IpAddress128.Parse("10.0.0.1"), 5000, IpAddress128.Parse("10.0.0.2"), 80, IpProtocol.Tcp, out _);
        table.ObserveAggregate(new FlowAggregate
        {
            Key = key,
            FromLow = new() { Packets = 2, Bytes = 130_000, Segments = 90, FirstMicros = Base, LastMicros = Base + 10, TcpFlags = Syn | Ack, SentSynWithoutAck = true },
            FromHigh = new() { Packets = 3, Bytes = 156, Segments = 0, FirstMicros = Base + 1, LastMicros = Base + 9, TcpFlags = Syn | Ack },
        });
        table.Flush();

        FlowRecord record = Assert.Single(records);
        Assert.Equal((2, 90, 3, 3), (record.Packets, record.Segments, record.ReversePackets, record.ReverseSegments));
        Assert.Equal((Base, Base + 10), (record.StartMicros, record.EndMicros));
    }

    [Fact]
    public void UpdatingExistingFlowsFromAggregatesAllocatesNothing()
    {
        const int Flows = 1_000;
        var table = new FlowTable(new FlowTableOptions(), _ => throw new InvalidOperationException("no flow should end"));
        var server = IpAddress128.Parse("2001:db8::80");
        var batch = new FlowAggregate[Flows];
        long now = Base;
        for (int i = 0; i < Flows; i++)
        {
            var client = IpAddress128.FromIPv4(0x0A000000u + (uint)i);
            batch[i].Key = FlowKey.FromDirected(client, (ushort)(2000 + i), server, 443, IpProtocol.Tcp, out _);
        }
        void Drain()
        {
            now += Second;
            for (int i = 0; i < Flows; i++)
            {
                batch[i].FromLow = new() { Packets = 3, Bytes = 300, Segments = 3, FirstMicros = now - 1000 + i, LastMicros = now - 500 + i, TcpFlags = Ack };
                batch[i].FromHigh = new() { Packets = 2, Bytes = 3000, Segments = 6, FirstMicros = now - 900 + i, LastMicros = now - 400 + i, TcpFlags = Ack | Psh };
            }
            table.ObserveAggregates(batch);
            table.Expire(now);
        }
        Drain(); // inserts (these may allocate: the table grows)

        long allocated = AllocationMeter.Measure(Drain);
        Assert.Equal(0, allocated);
        Assert.Equal(Flows, table.Count);
    }

    /// <summary>
    /// Traffic whose record boundaries all fall on 5 s drain boundaries: idle gaps, FIN closes, a port reuse
    /// whose SYN opens a window, and a slow flow (one packet per window) crossing the active timeout.
    /// </summary>
    private static List<PacketInfo> MixedTraffic(Random random)
    {
        var packets = new List<PacketInfo>();
        var server = "10.1.0.1";
        var server6 = "2001:db8::1";
        ushort port = 10000;
        for (int c = 0; c < 40; c++)
        {
            string client = c % 3 == 0 ? $"2001:db8::{c + 100:x}" : $"10.0.{c / 200}.{c % 200 + 2}";
            string srv = c % 3 == 0 ? server6 : server;
            ushort cp = port++;
            long t = Base + random.NextInt64(0, 200 * Second);
            packets.Add(Tcp(client, cp, srv, 80, Syn, t, 60));
            packets.Add(Tcp(srv, 80, client, cp, Syn | Ack, t += 100, 60));
            packets.Add(Tcp(client, cp, srv, 80, Ack, t += 100, 52));
            int data = random.Next(1, 40);
            for (int i = 0; i < data; i++)
            {
                bool up = random.Next(2) == 0;
                uint segments = (uint)random.Next(1, 5);
                int length = 52 + (int)segments * random.Next(1, 1449);
                var p = up ? Tcp(client, cp, srv, 80, Ack | Psh, t += random.NextInt64(1, Second), length)
                           : Tcp(srv, 80, client, cp, Ack | Psh, t += random.NextInt64(1, Second), length);
                p.Segments = segments;
                packets.Add(p);
            }
            packets.Add(Tcp(client, cp, srv, 80, Fin | Ack, t += 1000, 52));
            packets.Add(Tcp(srv, 80, client, cp, Fin | Ack, t += 1000, 52));
            packets.Add(Tcp(client, cp, srv, 80, Ack, t += 1000, 52));
        }
        // A connection mid-handshake: the first packet seen is the server's SYN+ACK.
        long mid = Base + 42 * Second;
        packets.Add(Tcp(server, 443, "10.0.9.9", 40000, Syn | Ack, mid, 60));
        packets.Add(Tcp("10.0.9.9", 40000, server, 443, Ack, mid + 200, 52));
        packets.Add(Tcp("10.0.9.9", 40000, server, 443, Ack | Psh, mid + 400, 300));

        for (int u = 0; u < 20; u++)
        {
            string client = $"10.2.0.{u + 2}";
            ushort cp = port++;
            long t = Base + random.NextInt64(0, 100 * Second);
            for (int burst = 0; burst < 3; burst++)
            {
                int count = random.Next(1, 15);
                for (int i = 0; i < count; i++)
                {
                    bool up = random.Next(3) != 0;
                    int length = random.Next(28, 1500);
                    packets.Add(up ? Udp(client, cp, server, 53, t, length) : Udp(server, 53, client, cp, t, length));
                    t += random.NextInt64(1, 3 * Second);
                }
                t += random.NextInt64(70 * Second, 90 * Second); // beyond the 60 s UDP idle timeout
            }
        }

        for (int e = 0; e < 10; e++)
        {
            string pinger = e % 2 == 0 ? $"10.3.0.{e + 2}" : $"2001:db8::3:{e + 2:x}";
            string target = e % 2 == 0 ? server : server6;
            bool v4 = e % 2 == 0;
            long t = Base + random.NextInt64(0, 150 * Second);
            int count = random.Next(2, 30);
            for (int i = 0; i < count; i++, t += Second)
            {
                // Some exchanges lose their first request: the reply comes first.
                if (i > 0 || e % 3 != 0) packets.Add(Icmp(pinger, target, v4 ? (byte)8 : (byte)128, 0, t, 84));
                packets.Add(Icmp(target, pinger, v4 ? (byte)0 : (byte)129, 0, t + 300, 84));
            }
        }

        // Port reuse: closed within [300 s, 305 s), reopened by a SYN opening the next window.
        long reuse = Base + 301 * Second;
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Syn, reuse, 60));
        packets.Add(Tcp(server, 22, "10.4.0.2", 7000, Syn | Ack, reuse + 100, 60));
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Ack, reuse + 200, 52));
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Fin | Ack, reuse + Second, 52));
        packets.Add(Tcp(server, 22, "10.4.0.2", 7000, Fin | Ack, reuse + Second + 100, 52));
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Ack, reuse + Second + 200, 52));
        long reopen = Base + 305 * Second + 500_000;
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Syn, reopen, 60));
        packets.Add(Tcp(server, 22, "10.4.0.2", 7000, Syn | Ack, reopen + 100, 60));
        packets.Add(Tcp("10.4.0.2", 7000, server, 22, Ack, reopen + 200, 52));

        // A slow flow: one packet per window, 400 s long, crossing the 60 s active timeout several times.
        for (long t = Base + 2 * Second + 500_000; t < Base + 400 * Second; t += 10 * Second)
            packets.Add(Udp("10.5.0.2", 123, server, 123, t, 76));

        return packets.OrderBy(p => p.TimestampMicros).ToList();
    }

    private static List<string> Describe(List<FlowRecord> records) => records
        .Select(r => $"{r.Protocol} {r.SourceAddress}:{r.SourcePort} > {r.DestinationAddress}:{r.DestinationPort} " +
            $"{r.Packets}/{r.Bytes}/{r.Segments} rev {r.ReversePackets}/{r.ReverseBytes}/{r.ReverseSegments} " +
            $"{r.StartMicros}-{r.EndMicros} flags {r.TcpFlags} icmp {r.IcmpType}/{r.IcmpCode} {r.EndReason}")
        .Order(StringComparer.Ordinal)
        .ToList();
}

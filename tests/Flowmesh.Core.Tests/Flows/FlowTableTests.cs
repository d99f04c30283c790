using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Flows.TestPacket;

namespace Flowmesh.Core.Tests.Flows;

public sealed class FlowTableTests
{
    private const long Second = 1_000_000;
    private const string Client = "10.0.0.1";
    private const string Server = "10.0.0.2";

    private readonly List<FlowRecord> _records = [];

    private FlowTable NewTable(FlowTableOptions? options = null)
    {
        var table = new FlowTable(options ?? new FlowTableOptions(), _records.Add);
        return table;
    }

    [Fact]
    public void BothDirectionsMeetInOneRecord()
    {
        var table = NewTable();
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 1_000, ipLength: 60));
        table.Observe(Tcp(Server, 80, Client, 40000, Syn | Ack, 2_000, ipLength: 60));
        table.Observe(Tcp(Client, 40000, Server, 80, Ack, 3_000));
        table.Observe(Tcp(Client, 40000, Server, 80, Psh | Ack, 4_000, ipLength: 152));
        table.Observe(Tcp(Server, 80, Client, 40000, Psh | Ack, 5_000, ipLength: 1052));
        Assert.Equal(1, table.Count);
        table.Flush();

        FlowRecord r = Assert.Single(_records);
        Assert.Equal(IpAddress128.Parse(Client), r.SourceAddress);
        Assert.Equal(40000, r.SourcePort);
        Assert.Equal(IpAddress128.Parse(Server), r.DestinationAddress);
        Assert.Equal(80, r.DestinationPort);
        Assert.Equal(IpProtocol.Tcp, r.Protocol);
        Assert.Equal((3L, 60L + 52 + 152), (r.Packets, r.Bytes));
        Assert.Equal((2L, 60L + 1052), (r.ReversePackets, r.ReverseBytes));
        Assert.Equal((3L, 2L), (r.Segments, r.ReverseSegments));
        Assert.Equal((1_000L, 5_000L), (r.StartMicros, r.EndMicros));
        Assert.Equal(Syn | Ack | Psh, r.TcpFlags);
        Assert.Equal(FlowEndReason.ForcedEnd, r.EndReason);
        Assert.Equal(0, table.Count);
        Assert.Equal(1, table.FlowsEnded);
    }

    [Fact]
    public void SegmentsComeFromThePacket()
    {
        var table = NewTable();
        var gso = Make(IpAddress128.Parse(Client), 1, IpAddress128.Parse(Server), 2, IpProtocol.Udp, 1, 64_000, segments: 44);
        table.Observe(in gso);
        table.Observe(Udp(Server, 2, Client, 1, 2));
        table.Flush();
        FlowRecord r = Assert.Single(_records);
        Assert.Equal((1L, 44L, 64_000L), (r.Packets, r.Segments, r.Bytes));
        Assert.Equal((1L, 1L), (r.ReversePackets, r.ReverseSegments));
    }

    [Fact]
    public void SynAckFirstMakesItsReceiverTheInitiator()
    {
        var table = NewTable();
        table.Observe(Tcp(Server, 443, Client, 50000, Syn | Ack, 1));
        table.Observe(Tcp(Client, 50000, Server, 443, Ack, 2));
        table.Observe(Tcp(Client, 50000, Server, 443, Psh | Ack, 3, ipLength: 300));
        table.Flush();

        FlowRecord r = Assert.Single(_records);
        Assert.Equal(IpAddress128.Parse(Client), r.SourceAddress);
        Assert.Equal(50000, r.SourcePort);
        Assert.Equal((2L, 1L), (r.Packets, r.ReversePackets));
        Assert.Equal(352, r.Bytes);
    }

    [Fact]
    public void MidStreamFirstPacketSenderIsTheGuess()
    {
        var table = NewTable();
        table.Observe(Tcp(Server, 443, Client, 50000, Psh | Ack, 1));
        table.Observe(Tcp(Client, 50000, Server, 443, Ack, 2));
        table.Flush();
        Assert.Equal(IpAddress128.Parse(Server), Assert.Single(_records).SourceAddress);
    }

    [Theory]
    [InlineData("192.168.0.1", "192.168.0.89", 0, 8)]          // ICMP echo reply
    [InlineData("192.168.0.1", "192.168.0.89", 14, 13)]        // ICMP timestamp reply
    [InlineData("2001:db8::1", "2001:db8::2", 129, 128)]       // ICMPv6 echo reply
    public void IcmpReplyFirstMakesItsReceiverTheInitiator(string replier, string asker, byte replyType, byte requestType)
    {
        var table = NewTable();
        table.Observe(Icmp(replier, asker, replyType, 0, 1, ipLength: 84));
        table.Observe(Icmp(asker, replier, requestType, 0, 2, ipLength: 100));
        table.Observe(Icmp(replier, asker, replyType, 0, 3, ipLength: 100));
        table.Flush();

        FlowRecord r = Assert.Single(_records);
        Assert.Equal(IpAddress128.Parse(asker), r.SourceAddress);
        Assert.Equal((0, 0), ((int)r.SourcePort, (int)r.DestinationPort));
        Assert.Equal((1L, 100L), (r.Packets, r.Bytes));
        Assert.Equal((2L, 184L), (r.ReversePackets, r.ReverseBytes));
        Assert.Equal(requestType, r.IcmpType);
    }

    [Fact]
    public void IcmpRequestOrErrorFirstKeepsItsSender()
    {
        var table = NewTable();
        table.Observe(Icmp("10.9.9.9", Client, type: 3, code: 3, 1));           // port unreachable from a router
        table.Observe(Icmp(Client, Server, type: 8, code: 0, 2));
        table.Observe(Icmp(Server, Client, type: 0, code: 0, 3));
        table.Flush();

        var byAddress = _records.ToDictionary(r => r.SourceAddress.ToString());
        Assert.Equal((3, 3), ((int)byAddress["10.9.9.9"].IcmpType, (int)byAddress["10.9.9.9"].IcmpCode));
        Assert.Equal(8, byAddress[Client].IcmpType);
        Assert.Equal((1L, 1L), (byAddress[Client].Packets, byAddress[Client].ReversePackets));
    }

    [Fact]
    public void LateSynFromTheOtherSideSwapsAGuessedInitiator()
    {
        var table = NewTable();
        // Capture starts with the server's data; the client's SYN (retransmitted, or reordered) shows up later.
        table.Observe(Tcp(Server, 80, Client, 40000, Psh | Ack, 10, ipLength: 1500));
        table.Observe(Tcp(Server, 80, Client, 40000, Psh | Ack, 11, ipLength: 1500));
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 12, ipLength: 60));
        table.Flush();

        FlowRecord r = Assert.Single(_records);
        Assert.Equal(IpAddress128.Parse(Client), r.SourceAddress);
        Assert.Equal(40000, r.SourcePort);
        Assert.Equal((1L, 60L), (r.Packets, r.Bytes));
        Assert.Equal((2L, 3000L), (r.ReversePackets, r.ReverseBytes));
    }

    [Fact]
    public void SynFromTheResponderDoesNotOverrideAnObservedSyn()
    {
        var table = NewTable();
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 1));
        table.Observe(Tcp(Server, 80, Client, 40000, Syn, 2)); // simultaneous open
        table.Observe(Tcp(Server, 80, Client, 40000, Ack, 3));
        table.Flush();
        FlowRecord r = Assert.Single(_records);
        Assert.Equal(IpAddress128.Parse(Client), r.SourceAddress);
        Assert.Equal((1L, 2L), (r.Packets, r.ReversePackets));
    }

    [Fact]
    public void SynFromTheGuessedInitiatorConfirmsIt()
    {
        var table = NewTable();
        table.Observe(Tcp(Client, 40000, Server, 80, Ack, 1));
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 2));
        table.Observe(Tcp(Server, 80, Client, 40000, Syn, 3)); // would swap if the guess were still open
        table.Flush();
        Assert.Equal(IpAddress128.Parse(Client), Assert.Single(_records).SourceAddress);
    }

    [Fact]
    public void EachProtocolClassHasItsOwnIdleTimeout()
    {
        var table = NewTable(new FlowTableOptions
        {
            TcpIdleTimeout = TimeSpan.FromSeconds(300),
            UdpIdleTimeout = TimeSpan.FromSeconds(60),
            IcmpIdleTimeout = TimeSpan.FromSeconds(30),
            OtherIdleTimeout = TimeSpan.FromSeconds(10),
        });
        table.Observe(Tcp(Client, 1, Server, 2, Syn, 0));
        table.Observe(Udp(Client, 1, Server, 2, 0));
        table.Observe(Icmp(Client, Server, 8, 0, 0));
        table.Observe(Other(Client, Server, protocol: 47, 0));       // GRE
        table.Observe(Make(IpAddress128.Parse(Client), 1, IpAddress128.Parse(Server), 2, IpProtocol.Sctp, 0, 100)); // SCTP is "other"

        (long At, int Ended, byte Protocol)[] steps =
        [
            (10 * Second - 1, 0, 0), (10 * Second, 2, 47), (30 * Second - 1, 2, 0), (30 * Second, 3, IpProtocol.Icmp),
            (60 * Second - 1, 3, 0), (60 * Second, 4, IpProtocol.Udp), (300 * Second - 1, 4, 0), (300 * Second, 5, IpProtocol.Tcp),
        ];
        foreach (var (at, ended, protocol) in steps)
        {
            table.Expire(at);
            Assert.Equal(ended, _records.Count);
            if (protocol != 0) Assert.Contains(_records, r => r.Protocol == protocol);
        }
        Assert.All(_records, r => Assert.Equal(FlowEndReason.IdleTimeout, r.EndReason));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void IdleTimeoutCountsFromTheLastPacket()
    {
        var table = NewTable(new FlowTableOptions { UdpIdleTimeout = TimeSpan.FromSeconds(60) });
        table.Observe(Udp(Client, 1, Server, 2, 0));
        table.Observe(Udp(Server, 2, Client, 1, 50 * Second));
        table.Expire(109 * Second);
        Assert.Empty(_records);
        table.Expire(110 * Second);
        FlowRecord r = Assert.Single(_records);
        Assert.Equal((0L, 50 * Second), (r.StartMicros, r.EndMicros));
    }

    [Fact]
    public void TcpCloseEndsAfterTheGraceAndKeepsTheFinalAck()
    {
        var table = NewTable(new FlowTableOptions { TcpClosedTimeout = TimeSpan.FromSeconds(5) });
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 0));
        table.Observe(Tcp(Server, 80, Client, 40000, Syn | Ack, 1_000));
        table.Observe(Tcp(Client, 40000, Server, 80, Ack, 2_000));
        table.Observe(Tcp(Client, 40000, Server, 80, Fin | Ack, 1 * Second));
        table.Expire(20 * Second);           // half-closed: only the TCP idle timeout applies
        Assert.Empty(_records);
        table.Observe(Tcp(Server, 80, Client, 40000, Fin | Ack, 21 * Second));
        table.Expire(21 * Second + 100);
        Assert.Empty(_records);
        table.Observe(Tcp(Client, 40000, Server, 80, Ack, 21 * Second + 300)); // the last ACK
        table.Expire(26 * Second + 299);
        Assert.Empty(_records);
        table.Expire(26 * Second + 300);

        FlowRecord r = Assert.Single(_records);
        Assert.Equal(FlowEndReason.EndOfFlow, r.EndReason);
        Assert.Equal((4L, 2L), (r.Packets, r.ReversePackets));
        Assert.Equal(21 * Second + 300, r.EndMicros);
        Assert.Equal(Syn | Ack | Fin, r.TcpFlags);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void RstEndsAfterTheGrace()
    {
        var table = NewTable(new FlowTableOptions { TcpClosedTimeout = TimeSpan.FromSeconds(2) });
        table.Observe(Tcp(Client, 40000, Server, 81, Syn, 0));
        table.Observe(Tcp(Server, 81, Client, 40000, Rst | Ack, 500));
        table.Expire(2 * Second + 499);
        Assert.Empty(_records);
        table.Expire(2 * Second + 500);
        FlowRecord r = Assert.Single(_records);
        Assert.Equal(FlowEndReason.EndOfFlow, r.EndReason);
        Assert.Equal((1L, 1L), (r.Packets, r.ReversePackets));
        Assert.Equal(Syn | Rst | Ack, r.TcpFlags);
    }

    [Fact]
    public void SynOnAClosedFlowStartsANewRecord()
    {
        var table = NewTable();
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 0));
        table.Observe(Tcp(Server, 80, Client, 40000, Syn | Ack, 10));
        table.Observe(Tcp(Client, 40000, Server, 80, Fin | Ack, 20));
        table.Observe(Tcp(Server, 80, Client, 40000, Fin | Ack, 30));
        table.Observe(Tcp(Client, 40000, Server, 80, Ack, 40));
        // Port reused at once, well inside the closing grace.
        table.Observe(Tcp(Client, 40000, Server, 80, Syn, 50, ipLength: 60));
        FlowRecord first = Assert.Single(_records);
        Assert.Equal(FlowEndReason.EndOfFlow, first.EndReason);
        Assert.Equal((3L, 2L, 0L, 40L), (first.Packets, first.ReversePackets, first.StartMicros, first.EndMicros));

        table.Observe(Tcp(Server, 80, Client, 40000, Syn | Ack, 60));
        table.Flush();
        Assert.Equal(2, _records.Count);
        FlowRecord second = _records[1];
        Assert.Equal(IpAddress128.Parse(Client), second.SourceAddress);
        Assert.Equal((1L, 1L, 50L, 60L), (second.Packets, second.ReversePackets, second.StartMicros, second.EndMicros));
        Assert.Equal(Syn | Ack, second.TcpFlags);
        Assert.Equal(FlowEndReason.ForcedEnd, second.EndReason);
    }

    [Fact]
    public void SynRetryAfterRstIsANewRecord()
    {
        var table = NewTable();
        table.Observe(Tcp(Client, 40000, Server, 81, Syn, 0));
        table.Observe(Tcp(Server, 81, Client, 40000, Rst | Ack, 1));
        table.Observe(Tcp(Client, 40000, Server, 81, Syn, Second));
        table.Observe(Tcp(Server, 81, Client, 40000, Rst | Ack, Second + 1));
        table.Flush();
        Assert.Equal(2, _records.Count);
        Assert.All(_records, r => Assert.Equal((1L, 1L), (r.Packets, r.ReversePackets)));
        Assert.Equal([FlowEndReason.EndOfFlow, FlowEndReason.ForcedEnd], _records.Select(r => r.EndReason));
    }

    [Fact]
    public void ActiveTimeoutSplitsALongFlowAndConservesTotals()
    {
        var table = NewTable(new FlowTableOptions { ActiveTimeout = TimeSpan.FromSeconds(100), UdpIdleTimeout = TimeSpan.FromSeconds(60) });
        long packets = 0, bytes = 0;
        for (int i = 0; i <= 35; i++)
        {
            bool forward = i % 3 != 2;
            int length = 100 + i;
            table.Observe(forward ? Udp(Client, 5000, Server, 53, i * 10 * Second, length) : Udp(Server, 53, Client, 5000, i * 10 * Second, length));
            packets++;
            bytes += length;
        }
        table.Flush();

        Assert.Equal(
            [FlowEndReason.ActiveTimeout, FlowEndReason.ActiveTimeout, FlowEndReason.ActiveTimeout, FlowEndReason.ForcedEnd],
            _records.Select(r => r.EndReason));
        Assert.Equal([0, 100 * Second, 200 * Second, 300 * Second], _records.Select(r => r.StartMicros));
        Assert.Equal([90 * Second, 190 * Second, 290 * Second, 350 * Second], _records.Select(r => r.EndMicros));
        Assert.Equal([10L, 10L, 10L, 6L], _records.Select(r => r.Packets + r.ReversePackets));
        Assert.All(_records, r => Assert.Equal(IpAddress128.Parse(Client), r.SourceAddress));
        Assert.Equal(packets, _records.Sum(r => r.Packets + r.ReversePackets));
        Assert.Equal(bytes, _records.Sum(r => r.Bytes + r.ReverseBytes));
        Assert.Equal(24, _records.Sum(r => r.Packets));
    }

    [Fact]
    public void FlushEndsEverything()
    {
        var table = NewTable();
        for (int i = 0; i < 50; i++) table.Observe(Udp(Client, (ushort)(1000 + i), Server, 53, i));
        table.Observe(Tcp(Client, 1, Server, 2, Syn, 60));
        table.Observe(Icmp(Client, Server, 8, 0, 70));
        Assert.Equal(52, table.Count);
        table.Flush();
        Assert.Equal(52, _records.Count);
        Assert.All(_records, r => Assert.Equal(FlowEndReason.ForcedEnd, r.EndReason));
        Assert.Equal(0, table.Count);
        Assert.Equal(52, table.FlowsEnded);
        Assert.Equal(0, table.Evictions);
        table.AssertConsistent();
        // The table is reusable after a flush.
        table.Observe(Udp(Client, 1000, Server, 53, 100));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void FullTableEvictsTheLeastRecentlySeenFlowAcrossClasses()
    {
        var table = NewTable(new FlowTableOptions { MaxFlows = 3 });
        table.Observe(Tcp(Client, 1, Server, 80, Syn, 10));   // a
        table.Observe(Udp(Client, 2, Server, 53, 20));        // b
        table.Observe(Icmp(Client, Server, 8, 0, 30));        // c
        table.Observe(Tcp(Server, 80, Client, 1, Syn | Ack, 40)); // a is now the newest
        table.Observe(Other(Client, Server, 47, 50));         // d: evicts b, the oldest of all list tails

        FlowRecord evicted = Assert.Single(_records);
        Assert.Equal(IpProtocol.Udp, evicted.Protocol);
        Assert.Equal(FlowEndReason.LackOfResources, evicted.EndReason);
        Assert.Equal(1, table.Evictions);
        Assert.Equal(3, table.Count);

        table.Observe(Udp(Client, 3, Server, 53, 60));        // evicts c (ICMP, 30)
        Assert.Equal(IpProtocol.Icmp, _records[1].Protocol);
        table.AssertConsistent();
    }

    [Fact]
    public void FullTableExpiresTimedOutFlowsBeforeEvicting()
    {
        var table = NewTable(new FlowTableOptions { MaxFlows = 2, UdpIdleTimeout = TimeSpan.FromSeconds(1) });
        table.Observe(Udp(Client, 1, Server, 53, 0));
        table.Observe(Tcp(Client, 2, Server, 80, Syn, 1));
        table.Observe(Udp(Client, 3, Server, 53, 2 * Second));
        FlowRecord ended = Assert.Single(_records);
        Assert.Equal((IpProtocol.Udp, FlowEndReason.IdleTimeout), (ended.Protocol, ended.EndReason));
        Assert.Equal(0, table.Evictions);
    }

    [Fact]
    public void OutOfOrderTimestampsKeepListsSortedAndRecordsExact()
    {
        var table = NewTable(new FlowTableOptions { UdpIdleTimeout = TimeSpan.FromSeconds(10) });
        table.Observe(Udp(Client, 1, Server, 53, 100 * Second));   // x
        table.Observe(Udp(Client, 2, Server, 53, 101 * Second));   // y
        table.Observe(Udp(Server, 53, Client, 1, 99 * Second));    // x again, late in time but newest in arrival
        table.AssertConsistent();
        table.Observe(Udp(Client, 3, Server, 53, 95 * Second));    // z, a new flow from the past
        table.AssertConsistent();

        // Nothing is idle yet relative to the table clock (101 s) ...
        table.Expire(110 * Second);
        Assert.Empty(_records);
        // ... and all three were last touched when the clock read 101 s.
        table.Expire(111 * Second);
        Assert.Equal(3, _records.Count);
        FlowRecord x = _records.Single(r => r.SourcePort == 1);
        Assert.Equal((99 * Second, 100 * Second), (x.StartMicros, x.EndMicros));
        Assert.Equal((1L, 1L), (x.Packets, x.ReversePackets));
        FlowRecord z = _records.Single(r => r.SourcePort == 3);
        Assert.Equal((95 * Second, 95 * Second), (z.StartMicros, z.EndMicros));
    }

    [Fact]
    public void JitteredStreamNeverCorruptsTheLists()
    {
        var random = new Random(7);
        var table = NewTable(new FlowTableOptions { MaxFlows = 64, UdpIdleTimeout = TimeSpan.FromMilliseconds(50), TcpClosedTimeout = TimeSpan.FromMilliseconds(5) });
        long time = 0;
        for (int i = 0; i < 20_000; i++)
        {
            time += random.Next(0, 200);
            long ts = time - random.Next(0, 2_000); // up to 2 ms early
            var client = IpAddress128.FromIPv4((uint)(0x0A000000 + random.Next(0, 100)));
            var server = IpAddress128.FromIPv4(0x0A010001);
            byte flags = (byte)random.Next(0, 0x20);
            var p = random.Next(2) == 0
                ? Make(client, 1000, server, 80, IpProtocol.Tcp, ts, 60, flags: flags)
                : Make(client, 1000, server, 53, IpProtocol.Udp, ts, 60);
            table.Observe(in p);
            if (i % 97 == 0) table.Expire(time - random.Next(0, 5_000));
            if (i % 13 == 0) table.AssertConsistent();
        }
        table.AssertConsistent();
        Assert.True(table.Evictions > 0);
    }

    [Fact]
    public void RejectsNonsenseOptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowTable(new FlowTableOptions { MaxFlows = 0 }, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowTable(new FlowTableOptions { UdpIdleTimeout = TimeSpan.Zero }, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlowTable(new FlowTableOptions { ActiveTimeout = TimeSpan.FromSeconds(-1) }, _ => { }));
    }
}

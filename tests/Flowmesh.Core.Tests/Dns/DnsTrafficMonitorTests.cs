using Flowmesh.Core.Dns;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Dns;

/// <summary>
/// The DNS source's state fed through a real <see cref="FlowMeter"/>: transactions (latency, rcode, timeouts,
/// unmatched and spoofed responses, TCP split over segments) and the per-client name cache (TTL bounds, eviction).
/// </summary>
public sealed class DnsTrafficMonitorTests
{
    private const string Client = "10.1.0.2";
    private const string Server = "10.1.0.1";
    private const long T0 = 1_700_000_000_000_000;

    private sealed class Recorder : IDnsObservationListener
    {
        public List<DnsObservation> Seen { get; } = [];
        public void Observe(DnsObservation observation) => Seen.Add(observation);
    }

    private readonly Recorder _listener = new();
    private readonly DnsTrafficMonitor _monitor;
    private readonly FlowMeter _meter;

    public DnsTrafficMonitorTests() : this(new DnsMonitorOptions())
    {
    }

    private DnsTrafficMonitorTests(DnsMonitorOptions options)
    {
        _monitor = new DnsTrafficMonitor(options, _listener);
        _meter = new FlowMeter(new FlowTableOptions(), _ => { }) { DnsMonitor = _monitor };
    }

    private void Udp(long at, string source, int sourcePort, string destination, int destinationPort, byte[] message) =>
        _meter.ObservePacket(LinkType.Ethernet, at, DnsFrames.Udp(source, sourcePort, destination, destinationPort, message));

    private string? NameFor(string initiator, string responder, long at) =>
        _monitor.FindName(new FlowContextKey(6, IpAddress128.Parse(initiator), 50000, IpAddress128.Parse(responder), 443, at));

    [Fact]
    public void Answered_query_yields_latency_rcode_addresses_and_names_flows_both_ways()
    {
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(0x1234, "www.example.com", 1));
        Udp(T0 + 25_000, Server, 53, Client, 40000, DnsWire.Response(0x1234, "www.example.com", 1, 0, 300, "192.0.2.10", "192.0.2.11"));

        var seen = Assert.Single(_listener.Seen);
        Assert.Equal("www.example.com", seen.Name);
        Assert.Equal(1, seen.Type);
        Assert.Equal(0, seen.ResponseCode);
        Assert.Equal(25_000, seen.LatencyMicros);
        Assert.Equal(17, seen.Transport);
        Assert.Equal(IpAddress128.Parse(Client), seen.Client);
        Assert.Equal([IpAddress128.Parse("192.0.2.10"), IpAddress128.Parse("192.0.2.11")], seen.Addresses);
        Assert.Equal("www.example.com", NameFor(Client, "192.0.2.11", T0 + 60_000_000));
        // The PC answered a connection from the address it had looked up: the initiator gets the name.
        Assert.Equal("www.example.com", NameFor("192.0.2.10", Client, T0 + 60_000_000));
        // Another PC did not ask: no name.
        Assert.Null(NameFor("10.1.0.9", "192.0.2.10", T0 + 60_000_000));
        Assert.Equal(2, _monitor.MessagesDecoded);
        Assert.Equal(1, _monitor.Answered);
    }

    [Fact]
    public void Nxdomain_is_observed_without_addresses()
    {
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(9, "nope.test", 28));
        Udp(T0 + 1_000, Server, 53, Client, 40000, DnsWire.Response(9, "nope.test", 28, 3, 0));
        var seen = Assert.Single(_listener.Seen);
        Assert.Equal(3, seen.ResponseCode);
        Assert.Empty(seen.Addresses);
    }

    [Fact]
    public void Unanswered_query_times_out_as_an_observation_without_rcode()
    {
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(5, "slow.test", 1));
        _monitor.AdvanceTime(T0 + 14_000_000);
        Assert.Empty(_listener.Seen);
        _monitor.AdvanceTime(T0 + 16_000_000);
        var seen = Assert.Single(_listener.Seen);
        Assert.Null(seen.ResponseCode);
        Assert.Null(seen.LatencyMicros);
        Assert.Equal(1, _monitor.Timeouts);
        // The late answer matches nothing and names nothing.
        Udp(T0 + 17_000_000, Server, 53, Client, 40000, DnsWire.Response(5, "slow.test", 1, 0, 300, "192.0.2.5"));
        Assert.Equal(1, _monitor.UnmatchedResponses);
        Assert.Null(NameFor(Client, "192.0.2.5", T0 + 18_000_000));
    }

    [Fact]
    public void Responses_from_another_server_port_or_id_are_unmatched_and_name_nothing()
    {
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(5, "bank.test", 1));
        Udp(T0 + 1, "10.1.0.66", 53, Client, 40000, DnsWire.Response(5, "bank.test", 1, 0, 300, "203.0.113.66"));
        Udp(T0 + 2, Server, 53, Client, 40001, DnsWire.Response(5, "bank.test", 1, 0, 300, "203.0.113.66"));
        Udp(T0 + 3, Server, 53, Client, 40000, DnsWire.Response(6, "bank.test", 1, 0, 300, "203.0.113.66"));
        Assert.Equal(3, _monitor.UnmatchedResponses);
        Assert.Null(NameFor(Client, "203.0.113.66", T0 + 10));
        Assert.Empty(_listener.Seen);
    }

    [Fact]
    public void Cname_chain_names_the_final_addresses_with_the_question_and_ignores_unrelated_records()
    {
        var wire = new DnsWire().Header(8, true, answers: 3).Question("shop.example.com", 1);
        wire.Pointer(12).RecordFields(5, 60, 17).Name("cdn.example.net");
        int cdn = wire.Length - 17;
        wire.AddressRecordAt(cdn, "198.51.100.7", 20);
        wire.U8(5).Raw("other"u8.ToArray()).U8(4).Raw("test"u8.ToArray()).U8(0).RecordFields(1, 60, 4).Raw(203, 0, 113, 9);
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(8, "shop.example.com", 1));
        Udp(T0 + 10, Server, 53, Client, 40000, wire.Build());
        Assert.Equal("shop.example.com", NameFor(Client, "198.51.100.7", T0 + 20));
        Assert.Null(NameFor(Client, "203.0.113.9", T0 + 20));
        Assert.Equal([IpAddress128.Parse("198.51.100.7")], Assert.Single(_listener.Seen).Addresses);
    }

    [Fact]
    public void Names_live_for_the_ttl_held_between_five_minutes_and_a_day()
    {
        Udp(T0, Client, 40000, Server, 53, DnsWire.Query(1, "short.test", 1));
        Udp(T0, Server, 53, Client, 40000, DnsWire.Response(1, "short.test", 1, 0, 1, "192.0.2.1"));
        Udp(T0, Client, 40001, Server, 53, DnsWire.Query(2, "long.test", 1));
        Udp(T0, Server, 53, Client, 40001, DnsWire.Response(2, "long.test", 1, 0, 864_000, "192.0.2.2"));
        Udp(T0, Client, 40002, Server, 53, DnsWire.Query(3, "hour.test", 1));
        Udp(T0, Server, 53, Client, 40002, DnsWire.Response(3, "hour.test", 1, 0, 3600, "192.0.2.3"));
        Assert.Equal("short.test", NameFor(Client, "192.0.2.1", T0 + 299_000_000));
        Assert.Null(NameFor(Client, "192.0.2.1", T0 + 301_000_000));
        Assert.Equal("hour.test", NameFor(Client, "192.0.2.3", T0 + 3_599_000_000));
        Assert.Null(NameFor(Client, "192.0.2.3", T0 + 3_601_000_000));
        Assert.Equal("long.test", NameFor(Client, "192.0.2.2", T0 + 86_399_000_000));
        Assert.Null(NameFor(Client, "192.0.2.2", T0 + 86_401_000_000));
    }

    [Fact]
    public void A_full_cache_evicts_the_least_recently_resolved_and_counts_it()
    {
        var test = new DnsTrafficMonitorTests(new DnsMonitorOptions { MaxCachedNames = 2 });
        for (int i = 0; i < 3; i++)
        {
            test.Udp(T0 + i, Client, 40000 + i, Server, 53, DnsWire.Query(i, $"n{i}.test", 1));
            test.Udp(T0 + i, Server, 53, Client, 40000 + i, DnsWire.Response(i, $"n{i}.test", 1, 0, 600, $"192.0.2.{i + 1}"));
        }
        Assert.Equal(1, test._monitor.CacheEvictions);
        Assert.Equal(2, test._monitor.CachedNames);
        Assert.Null(test.NameFor(Client, "192.0.2.1", T0 + 10));
        Assert.Equal("n2.test", test.NameFor(Client, "192.0.2.3", T0 + 10));
    }

    [Fact]
    public void A_full_pending_table_counts_instead_of_growing()
    {
        var test = new DnsTrafficMonitorTests(new DnsMonitorOptions { MaxPendingQueries = 2 });
        for (int i = 0; i < 5; i++) test.Udp(T0 + i, Client, 40000 + i, Server, 53, DnsWire.Query(i, "flood.test", 1));
        Assert.Equal(3, test._monitor.PendingTableFull);
    }

    [Fact]
    public void Tcp_dns_in_one_segment_and_split_over_two_is_read()
    {
        byte[] query = DnsFrames.LengthPrefixed(DnsWire.Query(0x4444, "big.test", 1));
        string[] addresses = [.. Enumerable.Range(1, 40).Select(i => $"192.0.2.{i}")];
        byte[] response = DnsFrames.LengthPrefixed(DnsWire.Response(0x4444, "big.test", 1, 0, 600, addresses));
        _meter.ObservePacket(LinkType.Ethernet, T0, DnsFrames.Tcp(Client, 41000, Server, 53, 100, query));
        _meter.ObservePacket(LinkType.Ethernet, T0 + 500, DnsFrames.Tcp(Server, 53, Client, 41000, 7000, response[..100]));
        Assert.Empty(_listener.Seen);
        _meter.ObservePacket(LinkType.Ethernet, T0 + 900, DnsFrames.Tcp(Server, 53, Client, 41000, 7100, response[100..]));
        var seen = Assert.Single(_listener.Seen);
        Assert.Equal(6, seen.Transport);
        Assert.Equal(900, seen.LatencyMicros);
        Assert.Equal(40, seen.Addresses.Count);
        Assert.Equal(1, _monitor.TcpMessagesReassembled);
        Assert.Equal("big.test", NameFor(Client, "192.0.2.40", T0 + 1000));
    }

    [Fact]
    public void Tcp_segment_after_a_gap_is_counted_lost()
    {
        byte[] response = DnsFrames.LengthPrefixed(DnsWire.Response(1, "gap.test", 1, 0, 600, "192.0.2.1", "192.0.2.2"));
        _meter.ObservePacket(LinkType.Ethernet, T0, DnsFrames.Tcp(Server, 53, Client, 41000, 7000, response[..20]));
        _meter.ObservePacket(LinkType.Ethernet, T0 + 1, DnsFrames.Tcp(Server, 53, Client, 41000, 7030, response[30..]));
        Assert.Equal(1, _monitor.TcpMessagesLost);
        Assert.Equal(0, _monitor.TcpMessagesReassembled);
    }

    [Fact]
    public void A_message_cut_by_the_snap_length_still_tracks_its_question()
    {
        byte[] query = DnsWire.Query(77, "cut.example.com", 1);
        byte[] response = DnsFrames.Udp(Server, 53, Client, 40000, DnsWire.Response(77, "cut.example.com", 1, 2, 0, "192.0.2.1", "192.0.2.2"));
        Udp(T0, Client, 40000, Server, 53, query);
        _meter.ObservePacket(LinkType.Ethernet, T0 + 3_000, response[..(response.Length - 20)]);
        var seen = Assert.Single(_listener.Seen);
        Assert.Equal(2, seen.ResponseCode);
        Assert.Equal(1, _monitor.MessagesCutByCapture);
        Assert.Equal(0, _monitor.Malformed);
    }

    [Fact]
    public void Non_dns_packets_cost_no_allocation_with_the_monitor_attached()
    {
        byte[] web = new Packets.FrameBuilder().Ethernet(0x0800).Ipv4(40, 6, Client, "192.0.2.80").Tcp(50000, 443, 0x10).Build();
        long t = T0;
        _meter.ObservePacket(LinkType.Ethernet, t, web);
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 1000; i++) _meter.ObservePacket(LinkType.Ethernet, t, web);
        });
        Assert.Equal(0, allocated);
    }
}

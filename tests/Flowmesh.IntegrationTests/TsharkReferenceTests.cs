using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Reference;
using static Flowmesh.IntegrationTests.Synthetic.Frames;
using Flowmesh.IntegrationTests.Synthetic;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// The tshark reference itself is checked on a hand-built capture whose per-direction totals are
/// written down here from the flow contract, so a wrong rule in the reference (inner header taken
/// for the outer one, ports on a fragment, ...) cannot go unnoticed and bless a wrong decoder.
/// </summary>
public sealed class TsharkReferenceTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Outermost_header_rules_give_the_hand_computed_totals()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        using var dir = new TemporaryDirectory();
        string path = dir.File("rules.pcap");
        var expected = new DirectedFlowMap();
        var pcap = new PcapFile();

        // TCP handshake over IPv4, the SYN seen twice: 40-byte packets, two per direction summed.
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 80, 0x02))));
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.2", "10.0.0.1", 6, Tcp(80, 40000, 0x12))));
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.1", "10.0.0.2", 6, Tcp(40000, 80, 0x02))));
        expected.Add(Key(6, "10.0.0.1", 40000, "10.0.0.2", 80), 2, 80);
        expected.Add(Key(6, "10.0.0.2", 80, "10.0.0.1", 40000), 1, 40);

        // ICMP port unreachable quoting an IPv4/UDP packet: the flow is the ICMP message, ports 0.
        byte[] quoted = Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(5000, 53, Bytes(12)))[..28];
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.9", "10.0.0.1", 1, Icmp(3, 3, quoted))));
        expected.Add(Key(1, "10.0.0.9", 0, "10.0.0.1", 0), 1, 20 + 8 + 28);

        // IPv4 in IPv6 (next header 4) carrying TCP: only the outer header counts.
        pcap.Add(Ethernet(EtherTypeIpv6, Ipv6("2001:db8::1", "2001:db8::2", 4, Ipv4("10.1.1.1", "10.1.1.2", 6, Tcp(1, 2, 0x10)))));
        expected.Add(Key(4, "2001:db8::1", 0, "2001:db8::2", 0), 1, 40 + 40);

        // 6in4 (protocol 41) carrying UDP.
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("192.0.2.1", "192.0.2.2", 41, Ipv6("2001:db8:1::1", "2001:db8:1::2", 17, Udp(7, 9, Bytes(4))))));
        expected.Add(Key(41, "192.0.2.1", 0, "192.0.2.2", 0), 1, 20 + 40 + 12);

        // IPv4 fragments: the first has ports, the next one (offset 3 x 8 bytes) does not.
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.3", "10.0.0.4", 17, Udp(5353, 5353, Bytes(16))[..24], moreFragments: true)));
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.3", "10.0.0.4", 17, Bytes(8), fragmentOffsetUnits: 3)));
        expected.Add(Key(17, "10.0.0.3", 5353, "10.0.0.4", 5353), 1, 44);
        expected.Add(Key(17, "10.0.0.3", 0, "10.0.0.4", 0), 1, 28);

        // MLD report behind a hop-by-hop header: protocol 58 after the chain.
        pcap.Add(Ethernet(EtherTypeIpv6, Ipv6("fe80::1", "ff02::16", 0, HopByHop(58, Icmp(143, 0, Bytes(20))))));
        expected.Add(Key(58, "fe80::1", 0, "ff02::16", 0), 1, 40 + 8 + 28);

        // IPv6 fragments: first (offset 0) with ports, then a non-first one without.
        pcap.Add(Ethernet(EtherTypeIpv6, Ipv6("2001:db8::a", "2001:db8::b", 44, Ipv6Fragment(17, 0, true, Udp(1000, 2000, Bytes(8))))));
        pcap.Add(Ethernet(EtherTypeIpv6, Ipv6("2001:db8::a", "2001:db8::b", 44, Ipv6Fragment(17, 2, false, Bytes(8)))));
        expected.Add(Key(17, "2001:db8::a", 1000, "2001:db8::b", 2000), 1, 40 + 8 + 16);
        expected.Add(Key(17, "2001:db8::a", 0, "2001:db8::b", 0), 1, 40 + 16);

        // ARP is not a flow.
        pcap.Add(Ethernet(EtherTypeArp, ArpRequest()));

        // VLAN-tagged UDP, 28-byte packet in a padded 64-byte frame: padding is not counted.
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.1.1", "10.0.1.2", 17, Udp(1000, 2000, [])), vlanId: 100));
        expected.Add(Key(17, "10.0.1.1", 1000, "10.0.1.2", 2000), 1, 28);

        // Snap length cut the TCP header before the flags: counted with its IP length, ports 0.
        byte[] cut = Ethernet(EtherTypeIpv4, Ipv4("10.0.2.1", "10.0.2.2", 6, Tcp(3333, 4444, 0x18, Bytes(100))));
        pcap.Add(cut, capturedLength: 14 + 20 + 10);
        expected.Add(Key(6, "10.0.2.1", 0, "10.0.2.2", 0), 1, 20 + 20 + 100);

        // TCP with a bogus data offset (8 bytes): tshark stops before the flags, but ports and
        // flags are in the packet, so the flow keeps its ports.
        byte[] bogus = Tcp(7000, 8000, 0x02);
        bogus[12] = 2 << 4;
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.3.1", "10.0.3.2", 6, bogus)));
        expected.Add(Key(6, "10.0.3.1", 7000, "10.0.3.2", 8000), 1, 40);

        // GRE carrying IPv4: protocol 47, ports 0.
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("192.0.2.10", "192.0.2.11", 47, Gre(0x0800, Ipv4("10.9.9.1", "10.9.9.2", 17, Udp(1, 2, []))))));
        expected.Add(Key(47, "192.0.2.10", 0, "192.0.2.11", 0), 1, 20 + 4 + 28);

        // VXLAN: outer UDP ports, although tshark also lists the inner TCP ports.
        byte[] inner = Ethernet(EtherTypeIpv4, Ipv4("10.8.0.1", "10.8.0.2", 6, Tcp(5555, 443, 0x02)), minimumFrame: 0);
        pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("192.0.2.20", "192.0.2.21", 17, Udp(49152, 4789, Vxlan(inner)))));
        expected.Add(Key(17, "192.0.2.20", 49152, "192.0.2.21", 4789), 1, 20 + 8 + 8 + 14 + 40);

        pcap.Save(path);
        var reference = TsharkFlowReference.Compute(tshark, path, Timeout);

        Assert.Equal(0, reference.ExitCode);
        Assert.Equal(17, reference.Frames);
        var difference = FlowMapDifference.Compute(expected, reference.Flows);
        Assert.True(difference.IsEmpty, difference.Describe("hand-computed", "tshark reference"));
    }

    [Fact]
    public void Truncated_file_is_read_up_to_the_cut()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        using var dir = new TemporaryDirectory();
        string path = dir.File("cut.pcap");
        var pcap = new PcapFile();
        for (int i = 0; i < 3; i++) pcap.Add(Ethernet(EtherTypeIpv4, Ipv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 2, Bytes(10)))));
        byte[] bytes = pcap.ToBytes();
        File.WriteAllBytes(path, bytes[..^5]);

        var reference = TsharkFlowReference.Compute(tshark, path, Timeout);

        Assert.True(reference.ReadWholeOrUpToDamage, reference.StandardError);
        Assert.True(reference.ReportsDamage, reference.StandardError);
        Assert.Equal(2, reference.Flows[Key(17, "10.0.0.1", 1, "10.0.0.2", 2)].Packets);
    }

    private static DirectedFlowKey Key(byte protocol, string source, ushort sourcePort, string destination, ushort destinationPort) =>
        DirectedFlowKey.Create(protocol, source, sourcePort, destination, destinationPort);
}

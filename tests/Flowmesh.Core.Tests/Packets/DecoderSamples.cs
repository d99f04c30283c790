using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

/// <summary>
/// A valid frame with what it must decode to, and where its layers end, so every prefix of it has
/// a known right answer: before <see cref="IpStart"/> the link header is cut, before
/// <see cref="IpHeaderEnd"/> the IP header is; before <see cref="TransportStart"/> the IPv6 extension
/// chain is, and after it the transport fields may be (the packet still counts, without ports).
/// </summary>
internal sealed record DecoderSample(
    string Name,
    LinkType LinkType,
    byte[] Frame,
    PacketInfo Expected,
    int IpStart,
    int IpHeaderEnd,
    int TransportStart,
    bool LinkReadsIpVersion = false)
{
    /// <summary>
    /// Where the transport fields the decoder reports end: the ports (TCP: through the flags byte at
    /// offset 13; ICMP: type and code). Fewer bytes than this is a truncated transport.
    /// </summary>
    public int TransportEnd => Expected.IsNonFirstFragment
        ? TransportStart
        : TransportStart + Expected.Protocol switch { 6 => 14, 17 or 132 => 4, 1 or 58 => 2, _ => 0 };

    public override string ToString() => Name;
}

/// <summary>
/// Hand-built frames for every link type and encapsulation the decoder supports. All expected
/// values (lengths, offsets, ports) are the author's arithmetic, written out next to each frame.
/// </summary>
internal static class DecoderSamples
{
    private const string A4 = "192.0.2.1";
    private const string B4 = "198.51.100.2";
    private const string A6 = "2001:db8::1";
    private const string B6 = "2001:db8:ffff::2";

    public static PacketInfo Expect(int version, string source, string destination, int protocol, int ipLength,
        int sourcePort = 0, int destinationPort = 0, byte tcpFlags = 0, byte icmpType = 0, byte icmpCode = 0,
        bool nonFirstFragment = false) => new()
    {
        IpVersion = (byte)version,
        Source = IpAddress128.Parse(source),
        Destination = IpAddress128.Parse(destination),
        Protocol = (byte)protocol,
        IpLength = ipLength,
        SourcePort = (ushort)sourcePort,
        DestinationPort = (ushort)destinationPort,
        TcpFlags = tcpFlags,
        IcmpType = icmpType,
        IcmpCode = icmpCode,
        IsNonFirstFragment = nonFirstFragment,
        Segments = 1,
    };

    public static IReadOnlyList<DecoderSample> All { get; } = Build();

    public static DecoderSample Get(string name) => All.Single(s => s.Name == name);

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var sample in All) data.Add(sample.Name);
        return data;
    }

    /// <summary>SLL v1 header (16 bytes): packet type, ARPHRD, address length, 8-byte address, protocol.</summary>
    private static FrameBuilder Sll(int protocol, int hardwareType = 1) =>
        new FrameBuilder().U16(0).U16(hardwareType).U16(6).Mac(1).U16(0).U16(protocol);

    /// <summary>SLL v2 header (20 bytes): protocol, reserved, ifindex, ARPHRD, packet type, address length, address.</summary>
    private static FrameBuilder Sll2(int protocol) =>
        new FrameBuilder().U16(protocol).U16(0).U32(3).U16(1).U8(4).U8(6).Mac(1).U16(0);

    /// <summary>802.11 data header without QoS: FC, duration, three addresses, sequence control = 24 bytes.</summary>
    private static FrameBuilder Wifi(FrameBuilder f, byte frameControl0, byte flags) =>
        f.U8(frameControl0).U8(flags).U16(0).Mac(1).Mac(2).Mac(3).U16(0x1230);

    private static List<DecoderSample> Build()
    {
        var samples = new List<DecoderSample>();
        void Add(string name, LinkType link, FrameBuilder frame, PacketInfo expected, int ipStart, int ipHeaderEnd, int transportStart, bool linkReadsVersion = false) =>
            samples.Add(new DecoderSample(name, link, frame.Build(), expected, ipStart, ipHeaderEnd, transportStart, linkReadsVersion));

        // ---- Ethernet + IPv4 ----
        // 14 Ethernet + 20 IP + 20 TCP + 6 payload = 60; total length 46.
        Add("eth-ipv4-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(46, 6, A4, B4).Tcp(49152, 80, 0x18).Fill(6),
            Expect(4, A4, B4, 6, 46, 49152, 80, tcpFlags: 0x18), 14, 34, 34);

        // IHL 8 = 32-byte header (12 bytes of options) + 8 UDP + 4 payload = total 44.
        Add("eth-ipv4-options-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(44, 17, A4, B4, ihl: 8).Udp(5353, 53, 12).Fill(4),
            Expect(4, A4, B4, 17, 44, 5353, 53), 14, 46, 46);

        // MF set, offset 0: ports are there. Captured only 100 bytes of the 1480-byte payload.
        Add("eth-ipv4-first-fragment", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(1500, 17, A4, B4, flagsAndOffset: 0x2000).Udp(4000, 4001, 3000).Fill(100),
            Expect(4, A4, B4, 17, 1500, 4000, 4001), 14, 34, 34);

        // Offset 0xB9 * 8 = 1480: payload bytes 0x12 must not be read as ports.
        Add("eth-ipv4-nonfirst-fragment", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(1020, 17, A4, B4, flagsAndOffset: 0x00B9).Fill(1000, 0x12),
            Expect(4, A4, B4, 17, 1020, nonFirstFragment: true), 14, 34, 34);

        // Echo request: 20 + 8 + 32 = 60. The ICMP common header is 4 bytes.
        Add("eth-ipv4-icmp-echo", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(60, 1, A4, B4).Icmp(8, 0).Fill(32),
            Expect(4, A4, B4, 1, 60, icmpType: 8), 14, 34, 34);

        // Port unreachable: type 3 code 3, quoting the 28-byte offending IPv4/UDP header. 20 + 8 + 28 = 56.
        Add("eth-ipv4-icmp-unreachable", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(56, 1, B4, A4).Icmp(3, 3).Ipv4(28, 17, A4, B4).Udp(1, 2, 8),
            Expect(4, B4, A4, 1, 56, icmpType: 3, icmpCode: 3), 14, 34, 34);

        // 20 + 12 SCTP common header + 16 chunk = 48.
        Add("eth-ipv4-sctp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(48, 132, A4, B4).Sctp(5000, 38412).Fill(16),
            Expect(4, A4, B4, 132, 48, 5000, 38412), 14, 34, 34);

        // GRE (4-byte header) carrying IPv4/UDP: counted as the outer GRE packet, 20 + 4 + 28 = 52.
        Add("eth-ipv4-gre", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(52, 47, A4, B4).Bytes(0, 0, 0x08, 0x00).Ipv4(28, 17, "10.0.0.1", "10.0.0.2").Udp(1, 2, 8),
            Expect(4, A4, B4, 47, 52), 14, 34, 34);

        // IP-in-IP (protocol 4): outer header only.
        Add("eth-ipv4-in-ipv4", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(48, 4, A4, B4).Ipv4(28, 17, "10.0.0.1", "10.0.0.2").Udp(1, 2, 8),
            Expect(4, A4, B4, 4, 48), 14, 34, 34);

        // ---- Ethernet + IPv6 ----
        // Payload 20 TCP + 5 = 25, IpLength 65.
        Add("eth-ipv6-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(25, 6, A6, B6).Tcp(50000, 443, 0x02).Fill(5),
            Expect(6, A6, B6, 6, 65, 50000, 443, tcpFlags: 0x02), 14, 54, 54);

        // Hop-by-hop (8) + routing (16) + fragment (8, offset 0, M) + UDP (8) + 4 = payload 44, IpLength 84.
        // Transport starts at 14 + 40 + 8 + 16 + 8 = 86.
        Add("eth-ipv6-hbh-routing-fragment-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(44, 0, A6, B6).Ipv6Extension(43, 0).Ipv6Extension(44, 1)
                .Ipv6Fragment(17, 0, moreFragments: true).Udp(7000, 7001, 12).Fill(4),
            Expect(6, A6, B6, 17, 84, 7000, 7001), 14, 54, 86);

        // Fragment offset 181 units = 1448 bytes: no transport header. Payload 8 + 100 = 108.
        Add("eth-ipv6-nonfirst-fragment", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(108, 44, A6, B6).Ipv6Fragment(17, 181, moreFragments: false).Fill(100, 0x12),
            Expect(6, A6, B6, 17, 148, nonFirstFragment: true), 14, 54, 62);

        // AH with payload-len 4: (4 + 2) * 4 = 24 bytes, then TCP. Payload 24 + 20 = 44.
        Add("eth-ipv6-ah-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(44, 51, A6, B6).U8(6).U8(4).U16(0).U32(0x100).U32(1).Fill(12, 0)
                .Tcp(22, 60000, 0x11),
            Expect(6, A6, B6, 6, 84, 22, 60000, tcpFlags: 0x11), 14, 54, 78);

        // ESP ends the walk: SPI, sequence, 32 encrypted bytes. Payload 40.
        Add("eth-ipv6-esp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(40, 50, A6, B6).U32(0x200).U32(7).Fill(32),
            Expect(6, A6, B6, 50, 80), 14, 54, 54);

        // Destination options (8 bytes) then No Next Header (59). Payload 8.
        Add("eth-ipv6-no-next-header", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(8, 60, A6, B6).Ipv6Extension(59, 0),
            Expect(6, A6, B6, 59, 48), 14, 54, 62);

        // Neighbor solicitation: ICMPv6 type 135. Payload 8 + 16 = 24.
        Add("eth-ipv6-icmpv6-ns", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x86DD).Ipv6(24, 58, A6, "ff02::1:ff00:2").Icmp(135, 0).Address("2001:db8:ffff::2"),
            Expect(6, A6, "ff02::1:ff00:2", 58, 64, icmpType: 135), 14, 54, 54);

        // 6in4 (41): outer IPv4 only. 20 + 40 + 8 = 68.
        Add("eth-ipv6-in-ipv4", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x0800).Ipv4(68, 41, A4, B4).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(4, A4, B4, 41, 68), 14, 34, 34);

        // ---- VLAN, MPLS, PPPoE, LLC/SNAP ----
        // 802.1ad outer + 802.1Q inner = 8 bytes of tags; IP at 22. 20 + 8 + 10 = 38.
        Add("qinq-88a8-ipv4-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x88A8).VlanTag(100, 0x8100).VlanTag(200, 0x0800).Ipv4(38, 17, A4, B4).Udp(123, 123, 18).Fill(10),
            Expect(4, A4, B4, 17, 38, 123, 123), 14 + 8, 42, 42);

        // Legacy 0x9100 outer tag. IPv6 at 22, ICMPv6 echo reply (129).
        Add("qinq-9100-ipv6-icmpv6", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x9100).VlanTag(5, 0x8100).VlanTag(6, 0x86DD).Ipv6(24, 58, A6, B6).Icmp(129, 0).Fill(16),
            Expect(6, A6, B6, 58, 64, icmpType: 129), 22, 62, 62);

        Add("vlan-ipv4-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8100).VlanTag(7, 0x0800).Ipv4(40, 6, A4, B4).Tcp(3306, 40000, 0x12),
            Expect(4, A4, B4, 6, 40, 3306, 40000, tcpFlags: 0x12), 18, 38, 38);

        // Two labels, the second bottom-of-stack: IP at 14 + 8 = 22.
        Add("mpls-two-labels-ipv4-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8847).MplsLabel(16, false).MplsLabel(17, true).Ipv4(40, 6, A4, B4).Tcp(1234, 179, 0x10),
            Expect(4, A4, B4, 6, 40, 1234, 179, tcpFlags: 0x10), 22, 42, 42, linkReadsVersion: true);

        Add("mpls-multicast-ipv6-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8848).MplsLabel(3000, true).Ipv6(8, 17, A6, B6).Udp(53, 5353, 8),
            Expect(6, A6, B6, 17, 48, 53, 5353), 18, 58, 58, linkReadsVersion: true);

        Add("vlan-mpls-ipv4-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8100).VlanTag(9, 0x8847).MplsLabel(99, true).Ipv4(28, 17, A4, B4).Udp(500, 4500, 8),
            Expect(4, A4, B4, 17, 28, 500, 4500), 22, 42, 42, linkReadsVersion: true);

        // PPPoE session header 6 + PPP protocol 2: IP at 22.
        Add("pppoe-ipv4-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8864).PppoeSession(42, 0x0021).Ipv4(40, 6, A4, B4).Tcp(1, 2, 0x04),
            Expect(4, A4, B4, 6, 40, 1, 2, tcpFlags: 0x04), 22, 42, 42);

        Add("pppoe-ipv6-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8864).PppoeSession(50, 0x0057).Ipv6(8, 17, A6, B6).Udp(546, 547, 8),
            Expect(6, A6, B6, 17, 48, 546, 547), 22, 62, 62);

        // 802.3 length 36 = 8 LLC/SNAP + 28 IP; 2 bytes of padding after. IP at 22.
        Add("llc-snap-ipv4-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(36).LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Udp(67, 68, 8).Fill(2, 0),
            Expect(4, A4, B4, 17, 28, 67, 68), 22, 42, 42);

        // VLAN tag whose inner type is an 802.3 length; SNAP with the Cisco 00-00-F8 OUI. IP at 26.
        Add("vlan-llc-snap-cisco-ipv4-udp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8100).VlanTag(10, 36).LlcSnap(0x0800, ouiLast: 0xF8).Ipv4(28, 17, A4, B4).Udp(69, 1069, 8),
            Expect(4, A4, B4, 17, 28, 69, 1069), 26, 46, 46);

        // ---- Linux cooked ----
        Add("sll-ipv4-tcp", LinkType.LinuxSll,
            Sll(0x0800).Ipv4(40, 6, A4, B4).Tcp(8080, 33000, 0x11),
            Expect(4, A4, B4, 6, 40, 8080, 33000, tcpFlags: 0x11), 16, 36, 36);

        Add("sll-vlan-ipv6-udp", LinkType.LinuxSll,
            Sll(0x8100).VlanTag(42, 0x86DD).Ipv6(8, 17, A6, B6).Udp(4789, 4789, 8),
            Expect(6, A6, B6, 17, 48, 4789, 4789), 20, 60, 60);

        // ETH_P_802_2: an LLC header follows the 16-byte header. IP at 24.
        Add("sll-llc-snap-ipv4-udp", LinkType.LinuxSll,
            Sll(0x0004).LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Udp(161, 162, 8),
            Expect(4, A4, B4, 17, 28, 161, 162), 24, 44, 44);

        Add("sll2-ipv6-udp", LinkType.LinuxSll2,
            Sll2(0x86DD).Ipv6(12, 17, A6, B6).Udp(443, 51000, 12).Fill(4),
            Expect(6, A6, B6, 17, 52, 443, 51000), 20, 60, 60);

        Add("sll2-ipv4-tcp", LinkType.LinuxSll2,
            Sll2(0x0800).Ipv4(40, 6, A4, B4).Tcp(25, 40001, 0x01),
            Expect(4, A4, B4, 6, 40, 25, 40001, tcpFlags: 0x01), 20, 40, 40);

        // Cisco FabricPath: outer MACs, 0x8903, FTag/TTL, inner MACs, 802.1Q tag, IPv4/TCP (as in nfstream/ajp.pcap).
        Add("eth-fabricpath-vlan-ipv4-tcp", LinkType.Ethernet,
            new FrameBuilder().Ethernet(0x8903).U16(0x4020).Fill(12, 0x00).U16(0x8100).U16(0x0007).U16(0x0800).Ipv4(40, 6, A4, B4).Tcp(8009, 38856, 0x18),
            Expect(4, A4, B4, 6, 40, 8009, 38856, tcpFlags: 0x18), 34, 54, 54);

        // ---- Serial links ----
        // PPP in HDLC-like framing: FF 03, protocol 0x0021 (IPv4).
        Add("ppp-hdlc-ipv4", LinkType.Ppp,
            new FrameBuilder().Bytes(0xFF, 0x03).U16(0x0021).Ipv4(28, 17, A4, B4).Udp(1000, 2000, 8),
            Expect(4, A4, B4, 17, 28, 1000, 2000), 4, 24, 24);
        // PPP without framing, protocol-field compression: one byte 0x57 (IPv6).
        Add("ppp-compressed-ipv6", LinkType.Ppp,
            new FrameBuilder().U8(0x57).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 1, 41, 41);
        // Cisco HDLC: address 0x0F, control 0, EtherType 0x0800.
        Add("cisco-hdlc-ipv4", LinkType.CiscoHdlc,
            new FrameBuilder().Bytes(0x0F, 0x00).U16(0x0800).Ipv4(40, 6, A4, B4).Tcp(179, 33000, 0x18),
            Expect(4, A4, B4, 6, 40, 179, 33000, tcpFlags: 0x18), 4, 24, 24);
        // Cisco HDLC frames in a file declared PPP (nfstream's BGP_Cisco_hdlc_slarp.pcap): the 0x0F
        // address gives them away, as in Wireshark's PPP dissector.
        Add("ppp-link-cisco-hdlc-ipv4", LinkType.Ppp,
            new FrameBuilder().Bytes(0x0F, 0x00).U16(0x0800).Ipv4(40, 6, A4, B4).Tcp(179, 33000, 0x18),
            Expect(4, A4, B4, 6, 40, 179, 33000, tcpFlags: 0x18), 4, 24, 24);

        // ---- BSD loopback ----
        Add("null-little-endian-ipv4", LinkType.Null,
            new FrameBuilder().U32Le(2).Ipv4(28, 17, A4, B4).Udp(1000, 2000, 8),
            Expect(4, A4, B4, 17, 28, 1000, 2000), 4, 24, 24);
        Add("null-big-endian-ipv4", LinkType.Null,
            new FrameBuilder().U32(2).Ipv4(28, 17, A4, B4).Udp(1000, 2000, 8),
            Expect(4, A4, B4, 17, 28, 1000, 2000), 4, 24, 24);
        Add("null-little-endian-ipv6-darwin", LinkType.Null,
            new FrameBuilder().U32Le(30).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 4, 44, 44);
        Add("null-big-endian-ipv6-freebsd", LinkType.Null,
            new FrameBuilder().U32(28).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 4, 44, 44);
        Add("null-little-endian-ipv6-openbsd", LinkType.Null,
            new FrameBuilder().U32Le(24).Ipv6(20, 6, A6, B6).Tcp(3, 4, 0x02),
            Expect(6, A6, B6, 6, 60, 3, 4, tcpFlags: 0x02), 4, 44, 44);
        Add("null-little-endian-ipv6-linux", LinkType.Null,
            new FrameBuilder().U32Le(10).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 4, 44, 44);
        Add("loop-ipv4", LinkType.Loop,
            new FrameBuilder().U32(2).Ipv4(28, 17, A4, B4).Udp(1000, 2000, 8),
            Expect(4, A4, B4, 17, 28, 1000, 2000), 4, 24, 24);
        Add("loop-ipv6", LinkType.Loop,
            new FrameBuilder().U32(24).Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 4, 44, 44);

        // ---- Raw IP ----
        Add("raw-ipv4-tcp", LinkType.Raw,
            new FrameBuilder().Ipv4(40, 6, A4, B4).Tcp(80, 1025, 0x14),
            Expect(4, A4, B4, 6, 40, 80, 1025, tcpFlags: 0x14), 0, 20, 20);
        Add("raw-ipv6-udp", LinkType.Raw,
            new FrameBuilder().Ipv6(8, 17, A6, B6).Udp(1, 2, 8),
            Expect(6, A6, B6, 17, 48, 1, 2), 0, 40, 40);
        Add("linktype-ipv4", LinkType.Ipv4,
            new FrameBuilder().Ipv4(28, 17, A4, B4).Udp(9, 10, 8),
            Expect(4, A4, B4, 17, 28, 9, 10), 0, 20, 20);
        Add("linktype-ipv6", LinkType.Ipv6,
            new FrameBuilder().Ipv6(8, 17, A6, B6).Udp(9, 10, 8),
            Expect(6, A6, B6, 17, 48, 9, 10), 0, 40, 40);

        // ---- 802.11 ----
        // Data (type 2 subtype 0 = 0x08), ToDS: 24-byte header + 8 LLC/SNAP: IP at 32.
        Add("wifi-data-ipv4-udp", LinkType.Ieee80211,
            Wifi(new FrameBuilder(), 0x08, 0x01).LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Udp(5000, 5001, 8),
            Expect(4, A4, B4, 17, 28, 5000, 5001), 32, 52, 52);

        // ToDS + FromDS: a fourth address, header 30; IP at 38.
        Add("wifi-four-address-ipv4-tcp", LinkType.Ieee80211,
            Wifi(new FrameBuilder(), 0x08, 0x03).Mac(4).LlcSnap(0x0800).Ipv4(40, 6, A4, B4).Tcp(1, 2, 0x02),
            Expect(4, A4, B4, 6, 40, 1, 2, tcpFlags: 0x02), 38, 58, 58);

        // Radiotap: version, pad, length 18, present = TSFT|Flags|Rate; TSFT at 8 (8-aligned), Flags at 16
        // with data-pad (0x20), Rate at 17. Then QoS data (0x88), FromDS: 26-byte header padded to 28.
        // IP at 18 + 28 + 8 = 54.
        Add("radiotap-wifi-qos-datapad-ipv6-icmpv6", LinkType.Ieee80211Radiotap,
            Wifi(new FrameBuilder().U8(0).U8(0).U16Le(18).U32Le(0x07).Fill(8, 0).U8(0x20).U8(2), 0x88, 0x02)
                .U8(0x00).U8(0x00).Fill(2).LlcSnap(0x86DD).Ipv6(24, 58, A6, B6).Icmp(128, 0).Fill(16),
            Expect(6, A6, B6, 58, 64, icmpType: 128), 54, 94, 94);

        // Radiotap with no fields (8 bytes). QoS data with ToDS and Order: + QoS 2 + HT control 4 = 30.
        // IP at 8 + 30 + 8 = 46.
        Add("radiotap-wifi-qos-htc-ipv4-tcp", LinkType.Ieee80211Radiotap,
            Wifi(new FrameBuilder().U8(0).U8(0).U16Le(8).U32Le(0), 0x88, 0x81).U8(0x05).U8(0x00).U32(0x11223344)
                .LlcSnap(0x0800).Ipv4(40, 6, A4, B4).Tcp(443, 40000, 0x18),
            Expect(4, A4, B4, 6, 40, 443, 40000, tcpFlags: 0x18), 46, 66, 66);

        // Two present words (the first has the extension bit and Flags), Flags at 12, length 13.
        // Plain data frame, no padding needed. IP at 13 + 24 + 8 = 45.
        Add("radiotap-extended-present-wifi-data-ipv4-udp", LinkType.Ieee80211Radiotap,
            Wifi(new FrameBuilder().U8(0).U8(0).U16Le(13).U32Le(0x8000_0002).U32Le(0).U8(0x00), 0x08, 0x01)
                .LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Udp(68, 67, 8),
            Expect(4, A4, B4, 17, 28, 68, 67), 45, 65, 65);

        return samples;
    }
}

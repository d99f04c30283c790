using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

/// <summary>Frames that are not IP, lie about their lengths, or are plain noise: no throw, the right reason.</summary>
public sealed class PacketDecoderHostileInputTests
{
    private const string A4 = "192.0.2.1";
    private const string B4 = "198.51.100.2";
    private const string A6 = "2001:db8::1";
    private const string B6 = "2001:db8::2";

    private static readonly LinkType[] AllLinkTypes =
    [
        LinkType.Null, LinkType.Ethernet, LinkType.Raw, LinkType.Ieee80211, LinkType.Loop, LinkType.LinuxSll,
        LinkType.Ieee80211Radiotap, LinkType.Ipv4, LinkType.Ipv6, LinkType.LinuxSll2, (LinkType)9, (LinkType)65535,
    ];

    private static FrameBuilder Wifi(byte frameControl0, byte flags) =>
        new FrameBuilder().U8(frameControl0).U8(flags).U16(0).Mac(1).Mac(2).Mac(3).U16(0);

    private static FrameBuilder Tags(FrameBuilder f, int count, int innerType)
    {
        for (int i = 0; i < count; i++) f.VlanTag(i + 1, i == count - 1 ? innerType : 0x8100);
        return f;
    }

    private static FrameBuilder Labels(FrameBuilder f, int count, bool lastIsBottom)
    {
        for (int i = 0; i < count; i++) f.MplsLabel(100 + i, lastIsBottom && i == count - 1);
        return f;
    }

    /// <summary>Each frame and the one failure it must produce.</summary>
    private static readonly Dictionary<string, (LinkType Link, byte[] Frame, DecodeFailure Failure)> Rejected = new()
    {
        // Not IP, well formed.
        ["arp"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x0806).Fill(28).Build(), DecodeFailure.NotIp),
        ["lldp"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x88CC).Fill(46).Build(), DecodeFailure.NotIp),
        ["ethertype-in-802.3-gap"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(1536 - 1).Fill(46).Build(), DecodeFailure.NotIp),
        ["pppoe-discovery"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x8863).Bytes(0x11, 0x09, 0, 0, 0, 0).Fill(40).Build(), DecodeFailure.NotIp),
        ["pppoe-lcp"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x8864).PppoeSession(10, 0xC021).Fill(38).Build(), DecodeFailure.NotIp),
        ["llc-stp"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(38).Bytes(0x42, 0x42, 0x03).Fill(43).Build(), DecodeFailure.NotIp),
        ["snap-cdp"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(40).Bytes(0xAA, 0xAA, 0x03, 0x00, 0x00, 0x0C).U16(0x2000).Fill(38).Build(), DecodeFailure.NotIp),
        ["mpls-pseudowire-control-word"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x8847).MplsLabel(100, true).U32(0).Ethernet(0x0800).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.NotIp),
        ["wifi-beacon"] = (LinkType.Ieee80211, new FrameBuilder().U8(0x80).U8(0).Fill(60).Build(), DecodeFailure.NotIp),
        ["wifi-ack"] = (LinkType.Ieee80211, new FrameBuilder().U8(0xD4).U8(0).U16(0).Mac(1).Build(), DecodeFailure.NotIp),
        ["wifi-null-data"] = (LinkType.Ieee80211, Wifi(0x48, 0x01).Build(), DecodeFailure.NotIp),
        ["wifi-qos-null"] = (LinkType.Ieee80211, Wifi(0xC8, 0x01).U16(0).Build(), DecodeFailure.NotIp),
        ["wifi-protected-data"] = (LinkType.Ieee80211, Wifi(0x08, 0x41).Fill(8).Fill(40).Build(), DecodeFailure.NotIp),
        ["wifi-amsdu"] = (LinkType.Ieee80211, Wifi(0x88, 0x01).U8(0x80).U8(0).Mac(1).Mac(2).U16(36).LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.NotIp),
        ["wifi-non-snap-llc"] = (LinkType.Ieee80211, Wifi(0x08, 0x01).Bytes(0x42, 0x42, 0x03).Fill(35).Build(), DecodeFailure.NotIp),
        ["wifi-protocol-version-1"] = (LinkType.Ieee80211, Wifi(0x09, 0x01).LlcSnap(0x0800).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.NotIp),
        ["null-unknown-family"] = (LinkType.Null, new FrameBuilder().U32Le(7).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.NotIp),
        ["loop-little-endian-family"] = (LinkType.Loop, new FrameBuilder().U32Le(2).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.NotIp),
        ["sll-netlink"] = (LinkType.LinuxSll, new FrameBuilder().U16(4).U16(824).U16(0).Fill(8, 0).U16(0).Fill(20).Build(), DecodeFailure.NotIp),
        ["sll-802.3-novell"] = (LinkType.LinuxSll, new FrameBuilder().U16(0).U16(1).U16(6).Mac(1).U16(0).U16(0x0001).Fill(30).Build(), DecodeFailure.NotIp),
        ["radiotap-version-1"] = (LinkType.Ieee80211Radiotap, new FrameBuilder().U8(1).U8(0).U16Le(8).U32Le(0).Fill(40).Build(), DecodeFailure.NotIp),

        // Wrong or impossible IP headers.
        ["ipv4-ethertype-carrying-ipv6"] = (LinkType.Ethernet, new FrameBuilder().Ethernet(0x0800).Ipv6(8, 17, A6, B6).Udp(1, 2, 8).Build(), DecodeFailure.BadIpVersion),
        ["ipv6-linktype-carrying-ipv4"] = (LinkType.Ipv6, new FrameBuilder().Ipv4(28, 17, A4, B4).Udp(1, 2, 8).Build(), DecodeFailure.BadIpVersion),
        ["raw-version-5"] = (LinkType.Raw, new FrameBuilder().U8(0x50).Fill(39).Build(), DecodeFailure.BadIpVersion),
        ["raw-empty"] = (LinkType.Raw, [], DecodeFailure.TruncatedIpHeader),
        ["ipv4-ihl-4"] = (LinkType.Raw, new FrameBuilder().Ipv4(40, 6, A4, B4, ihl: 4).Fill(20).Build(), DecodeFailure.BadIpHeaderLength),
        ["ipv4-ihl-0"] = (LinkType.Raw, new FrameBuilder().Ipv4(40, 6, A4, B4, ihl: 0).Fill(20).Build(), DecodeFailure.BadIpHeaderLength),
        // IHL 15 claims 60 header bytes; the frame has the 20 a plain header needs and no more.
        ["ipv4-ihl-15-in-20-bytes"] = (LinkType.Raw, new FrameBuilder().U8(0x4F).Fill(19, 0).Build(), DecodeFailure.TruncatedIpHeader),
        ["ipv4-total-length-below-header"] = (LinkType.Raw, new FrameBuilder().Ipv4(19, 6, A4, B4).Tcp(1, 2, 0).Build(), DecodeFailure.BadIpLength),
        ["ipv4-total-length-below-options"] = (LinkType.Raw, new FrameBuilder().Ipv4(30, 6, A4, B4, ihl: 8).Tcp(1, 2, 0).Build(), DecodeFailure.BadIpLength),
        // Hop-by-hop length 255 = 2048 bytes, in a packet whose payload length says 16.
        ["ipv6-extension-longer-than-packet"] = (LinkType.Raw, new FrameBuilder().Ipv6(16, 0, A6, B6).U8(17).U8(255).Fill(14).Build(), DecodeFailure.BadIpLength),
        ["ipv6-ah-longer-than-packet"] = (LinkType.Raw, new FrameBuilder().Ipv6(16, 51, A6, B6).U8(6).U8(255).Fill(14).Build(), DecodeFailure.BadIpLength),
        ["ipv6-fragment-header-longer-than-packet"] = (LinkType.Raw, new FrameBuilder().Ipv6(4, 44, A6, B6).Ipv6Fragment(17, 0, true).Build(), DecodeFailure.BadIpLength),
        ["ipv6-jumbo-larger-than-int"] = (LinkType.Raw, new FrameBuilder().Ipv6(0, 0, A6, B6).U8(17).U8(0).U8(0xC2).U8(4).U32(0xFFFF_FFF0).Udp(1, 2, 8).Build(), DecodeFailure.BadIpLength),

        // Link-layer abuse.
        ["vlan-storm"] = (LinkType.Ethernet, Tags(new FrameBuilder().Ethernet(0x8100), 100, 0x8100).Build(), DecodeFailure.NotIp),
        ["vlan-9-tags"] = (LinkType.Ethernet, Tags(new FrameBuilder().Ethernet(0x8100), 9, 0x0800).Ipv4(28, 17, A4, B4).Udp(1, 2, 8).Build(), DecodeFailure.NotIp),
        ["vlan-tags-to-end-of-frame"] = (LinkType.Ethernet, Tags(new FrameBuilder().Ethernet(0x8100), 5, 0x8100).Build(), DecodeFailure.TruncatedLinkHeader),
        ["snap-inside-snap-storm"] = (LinkType.Ethernet, SnapStorm(20), DecodeFailure.NotIp),
        ["mpls-without-bottom-of-stack"] = (LinkType.Ethernet, Labels(new FrameBuilder().Ethernet(0x8847), 10, false).Build(), DecodeFailure.TruncatedLinkHeader),
        ["mpls-label-storm"] = (LinkType.Ethernet, Labels(new FrameBuilder().Ethernet(0x8847), 300, false).Build(), DecodeFailure.NotIp),
        ["mpls-17-labels"] = (LinkType.Ethernet, Labels(new FrameBuilder().Ethernet(0x8847), 17, true).Ipv4(28, 17, A4, B4).Udp(1, 2, 8).Build(), DecodeFailure.NotIp),
        ["radiotap-length-past-frame"] = (LinkType.Ieee80211Radiotap, new FrameBuilder().U8(0).U8(0).U16Le(500).U32Le(0).Fill(60).Build(), DecodeFailure.TruncatedLinkHeader),
        ["radiotap-length-below-minimum"] = (LinkType.Ieee80211Radiotap, new FrameBuilder().U8(0).U8(0).U16Le(4).U32Le(0).Fill(60).Build(), DecodeFailure.TruncatedLinkHeader),
        ["radiotap-present-words-past-header"] = (LinkType.Ieee80211Radiotap, new FrameBuilder().U8(0).U8(0).U16Le(16).U32Le(0x8000_0000).U32Le(0x8000_0000).U32Le(0x8000_0000).U32Le(0x8000_0000).Fill(60).Build(), DecodeFailure.TruncatedLinkHeader),
        ["radiotap-flags-past-header"] = (LinkType.Ieee80211Radiotap, new FrameBuilder().U8(0).U8(0).U16Le(16).U32Le(0x03).Fill(8, 0).Fill(60).Build(), DecodeFailure.TruncatedLinkHeader),
        ["unsupported-link-type-user0"] = ((LinkType)147, new FrameBuilder().U16(0xFF03).U16(0x0021).Ipv4(28, 17, A4, B4).Build(), DecodeFailure.UnsupportedLinkType),
        ["ppp-lcp"] = (LinkType.Ppp, new FrameBuilder().Bytes(0xFF, 0x03).U16(0xC021).Fill(10).Build(), DecodeFailure.NotIp),
        ["cisco-hdlc-slarp"] = (LinkType.CiscoHdlc, new FrameBuilder().Bytes(0x8F, 0x00).U16(0x8035).Fill(20).Build(), DecodeFailure.NotIp),
    };

    /// <summary>802.3 frame whose SNAP header names an 802.3 length again, over and over.</summary>
    private static byte[] SnapStorm(int depth)
    {
        var f = new FrameBuilder().Ethernet(8);
        for (int i = 0; i < depth; i++) f.LlcSnap(8);
        return f.Build();
    }

    public static TheoryData<string> RejectedNames => [.. Rejected.Keys];

    [Theory]
    [MemberData(nameof(RejectedNames))]
    public void RejectsWithTheRightReason(string name)
    {
        var (link, frame, failure) = Rejected[name];
        var packet = new PacketInfo();
        Assert.Equal(failure, PacketDecoder.Decode(link, frame, ref packet));
    }

    [Fact]
    public void TotalLengthLargerThanTheFrameIsASnapLengthCutNotAnError()
    {
        // 65535 claimed, 60 bytes captured: counted at the claimed length, ports read from what is there.
        byte[] frame = new FrameBuilder().Ethernet(0x0800).Ipv4(65535, 6, A4, B4).Tcp(1234, 80, 0x10).Fill(6).Build();
        var packet = new PacketInfo();
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Ethernet, frame, ref packet));
        Assert.Equal((65535, (ushort)1234, (ushort)80, false), (packet.IpLength, packet.SourcePort, packet.DestinationPort, packet.TransportTruncated));
    }

    [Fact]
    public void ExtensionHeaderLongerThanTheCaptureButNotThanThePacketIsATruncatedTransport()
    {
        // Payload length 4000 allows a 2048-byte hop-by-hop header; only 16 bytes were captured.
        byte[] frame = new FrameBuilder().Ipv6(4000, 0, A6, B6).U8(17).U8(255).Fill(14).Build();
        var packet = new PacketInfo();
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Raw, frame, ref packet));
        Assert.True(packet.TransportTruncated);
        Assert.Equal((4040, (byte)0, (ushort)0), (packet.IpLength, packet.Protocol, packet.SourcePort));
    }

    [Fact]
    public void DepthBoundsStillAdmitRealisticStacks()
    {
        var packet = new PacketInfo();
        // 8 VLAN tags: the maximum decoded. IP at 14 + 32.
        byte[] tags = Tags(new FrameBuilder().Ethernet(0x8100), 8, 0x0800).Ipv4(28, 17, A4, B4).Udp(11, 12, 8).Build();
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Ethernet, tags, ref packet));
        Assert.Equal((ushort)11, packet.SourcePort);

        // 16 MPLS labels, the last bottom-of-stack.
        byte[] labels = Labels(new FrameBuilder().Ethernet(0x8847), 16, true).Ipv4(28, 17, A4, B4).Udp(13, 14, 8).Build();
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Ethernet, labels, ref packet));
        Assert.Equal((ushort)13, packet.SourcePort);

        // 8 destination-options headers, then UDP: walked to the end. Payload 8 * 8 + 8 = 72.
        var eight = new FrameBuilder().Ipv6(72, 60, A6, B6);
        for (int i = 0; i < 8; i++) eight.Ipv6Extension(i == 7 ? 17 : 60, 0);
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Raw, eight.Udp(15, 16, 8).Build(), ref packet));
        Assert.Equal(((byte)17, (ushort)15, 112), (packet.Protocol, packet.SourcePort, packet.IpLength));

        // 9: the walk stops at the ninth header and reports it as the protocol, without ports.
        var nine = new FrameBuilder().Ipv6(80, 60, A6, B6);
        for (int i = 0; i < 9; i++) nine.Ipv6Extension(i == 8 ? 17 : 60, 0);
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(LinkType.Raw, nine.Udp(15, 16, 8).Build(), ref packet));
        Assert.Equal(((byte)60, (ushort)0, false), (packet.Protocol, packet.SourcePort, packet.TransportTruncated));
    }

    [Fact]
    public void RandomBytesNeverThrowAndAnySuccessIsConsistent()
    {
        var random = new Random(20261123);
        byte[] buffer = new byte[256];
        int decoded = 0;
        foreach (var link in AllLinkTypes)
        {
            for (int i = 0; i < 20_000; i++)
            {
                int length = random.Next(4) == 0 ? random.Next(buffer.Length + 1) : random.Next(80);
                random.NextBytes(buffer.AsSpan(0, length));
                // Nudge a quarter of the frames towards plausible headers so the IP layers get exercised.
                if (length > 0 && random.Next(4) == 0) buffer[0] = (byte)(random.Next(2) == 0 ? 0x45 : 0x60);
                if (CheckOne(link, buffer.AsSpan(0, length))) decoded++;
            }
        }
        Assert.True(decoded > 0, "no random frame decoded at all: the consistency checks never ran");
    }

    [Fact]
    public void MutatedValidFramesNeverThrowAndAnySuccessIsConsistent()
    {
        var random = new Random(7);
        foreach (var sample in DecoderSamples.All)
        {
            byte[] frame = new byte[sample.Frame.Length];
            for (int i = 0; i < 3_000; i++)
            {
                sample.Frame.CopyTo(frame, 0);
                int changes = 1 + random.Next(4);
                for (int c = 0; c < changes; c++)
                {
                    int at = random.Next(frame.Length);
                    // Length and type fields live in the first 120 bytes; extreme values hit the bounds.
                    frame[at] = random.Next(3) switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
                }
                int length = random.Next(2) == 0 ? frame.Length : random.Next(frame.Length + 1);
                CheckOne(sample.LinkType, frame.AsSpan(0, length));
            }
        }
    }

    /// <summary>Decodes and checks what must hold for any input. Returns true when it decoded.</summary>
    private static bool CheckOne(LinkType link, ReadOnlySpan<byte> frame)
    {
        var packet = new PacketInfo { TimestampMicros = -5 };
        DecodeFailure result = PacketDecoder.Decode(link, frame, ref packet);
        Assert.True(Enum.IsDefined(result), $"undefined failure {result}");
        Assert.NotEqual(DecodeFailure.TruncatedTransportHeader, result); // that one is the meter's to count
        Assert.Equal(-5, packet.TimestampMicros);
        if (result != DecodeFailure.None) return false;

        string what = PacketInfoText.Describe(packet);
        Assert.True(packet.Segments == 1, what);
        Assert.True(packet.IpVersion is 4 or 6, what);
        Assert.True(packet.IpLength >= (packet.IpVersion == 4 ? 20 : 40), what);
        Assert.True(packet.Source.IsIPv4 == (packet.IpVersion == 4) || packet.IpVersion == 6, what);
        if (packet.IsNonFirstFragment || packet.TransportTruncated || !IpProtocol.HasPorts(packet.Protocol))
            Assert.True(packet.SourcePort == 0 && packet.DestinationPort == 0, what);
        if (packet.Protocol != IpProtocol.Tcp) Assert.True(packet.TcpFlags == 0, what);
        if (!IpProtocol.IsIcmp(packet.Protocol)) Assert.True(packet.IcmpType == 0 && packet.IcmpCode == 0, what);
        return true;
    }
}

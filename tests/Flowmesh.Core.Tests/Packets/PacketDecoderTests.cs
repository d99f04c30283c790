using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Packets;

public sealed class PacketDecoderTests
{
    public static TheoryData<string> SampleNames => DecoderSamples.Names();

    private static DecodeFailure Decode(LinkType link, ReadOnlySpan<byte> frame, out PacketInfo packet)
    {
        packet = default;
        return PacketDecoder.Decode(link, frame, ref packet);
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void DecodesHandBuiltFrame(string name)
    {
        var sample = DecoderSamples.Get(name);
        Assert.Equal(DecodeFailure.None, Decode(sample.LinkType, sample.Frame, out var packet));
        Assert.Equal(PacketInfoText.Describe(sample.Expected), PacketInfoText.Describe(packet));
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void EveryTruncationOfAFrameFailsAtTheLayerThatWasCut(string name)
    {
        var sample = DecoderSamples.Get(name);
        for (int length = 0; length <= sample.Frame.Length; length++)
        {
            var packet = new PacketInfo { TimestampMicros = 777, SourcePort = 9, TcpFlags = 9 };
            DecodeFailure result = PacketDecoder.Decode(sample.LinkType, sample.Frame.AsSpan(0, length), ref packet);
            string at = $"{name} cut to {length} bytes";
            Assert.True(packet.TimestampMicros == 777, $"{at}: timestamp was overwritten");

            if (length < sample.IpStart || (length == sample.IpStart && sample.LinkReadsIpVersion))
            {
                Assert.True(result == DecodeFailure.TruncatedLinkHeader, $"{at}: {result}");
                continue;
            }
            if (length < sample.IpHeaderEnd)
            {
                Assert.True(result == DecodeFailure.TruncatedIpHeader, $"{at}: {result}");
                continue;
            }
            Assert.True(result == DecodeFailure.None, $"{at}: {result}");
            var expected = sample.Expected;
            expected.TimestampMicros = 777;
            if (length >= sample.TransportEnd)
            {
                Assert.Equal(PacketInfoText.Describe(expected), PacketInfoText.Describe(packet));
                continue;
            }
            // IP header whole, the rest cut: counted with its addresses and IP length, no ports.
            // (An IPv6 fragment header that was cut cannot tell whether the fragment is the first.)
            Assert.True(packet.TransportTruncated, at);
            Assert.Equal((expected.IpVersion, expected.Source, expected.Destination, expected.IpLength, false),
                (packet.IpVersion, packet.Source, packet.Destination, packet.IpLength, packet.IsNonFirstFragment));
            Assert.Equal((0, 0, 0, 0, 0, 1u),
                (packet.SourcePort, packet.DestinationPort, packet.TcpFlags, packet.IcmpType, packet.IcmpCode, packet.Segments));
        }
    }

    [Fact]
    public void RawAliasesNormalizeToRaw()
    {
        var sample = DecoderSamples.Get("raw-ipv4-tcp");
        foreach (uint alias in new uint[] { 12, 14, 101 })
        {
            Assert.Equal(DecodeFailure.None, Decode(LinkTypes.Normalize(alias), sample.Frame, out var packet));
            Assert.Equal(PacketInfoText.Describe(sample.Expected), PacketInfoText.Describe(packet));
        }
    }

    [Fact]
    public void OverwritesEverythingButTheTimestamp()
    {
        var sample = DecoderSamples.Get("eth-ipv4-nonfirst-fragment");
        var packet = new PacketInfo
        {
            TimestampMicros = 42, SourcePort = 1, DestinationPort = 2, TcpFlags = 3, IcmpType = 4, IcmpCode = 5,
            TransportTruncated = true, Segments = 7,
        };
        Assert.Equal(DecodeFailure.None, PacketDecoder.Decode(sample.LinkType, sample.Frame, ref packet));
        var expected = sample.Expected;
        expected.TimestampMicros = 42;
        Assert.Equal(PacketInfoText.Describe(expected), PacketInfoText.Describe(packet));
    }

    [Fact]
    public void Ipv4TotalLengthZeroFromTsoCountsTheCapturedIpBytes()
    {
        // 14 + 20 + 20 + 3000 = 3054-byte super-packet; its IP part is 3040 bytes.
        byte[] frame = new FrameBuilder().Ethernet(0x0800).Ipv4(0, 6, "192.0.2.1", "198.51.100.2").Tcp(443, 50000, 0x10).Fill(3000).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(PacketInfoText.Describe(DecoderSamples.Expect(4, "192.0.2.1", "198.51.100.2", 6, 3040, 443, 50000, tcpFlags: 0x10)),
            PacketInfoText.Describe(packet));
    }

    [Fact]
    public void Ipv6PayloadLengthZeroWithoutJumboCountsTheCapturedIpBytes()
    {
        // Linux BIG TCP: 40 + 20 + 5000 = 5060 bytes of IP.
        byte[] frame = new FrameBuilder().Ethernet(0x86DD).Ipv6(0, 6, "2001:db8::1", "2001:db8::2").Tcp(5201, 40000, 0x10).Fill(5000).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(PacketInfoText.Describe(DecoderSamples.Expect(6, "2001:db8::1", "2001:db8::2", 6, 5060, 5201, 40000, tcpFlags: 0x10)),
            PacketInfoText.Describe(packet));
    }

    [Fact]
    public void Ipv6JumbogramTakesItsLengthFromTheHopByHopOption()
    {
        // Payload length 0; hop-by-hop: next 17, len 0, option C2 len 4 value 70000. IpLength = 70000 + 40.
        byte[] frame = new FrameBuilder().Ethernet(0x86DD).Ipv6(0, 0, "2001:db8::1", "2001:db8::2")
            .U8(17).U8(0).U8(0xC2).U8(4).U32(70000).Udp(9000, 9001, 0).Fill(16).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(PacketInfoText.Describe(DecoderSamples.Expect(6, "2001:db8::1", "2001:db8::2", 17, 70040, 9000, 9001)),
            PacketInfoText.Describe(packet));

        // Options before the jumbo option are stepped over. Hop-by-hop of 16 bytes (len 1):
        // next + len (2), Pad1 (1), PadN with 3 data bytes (5), jumbo (6), Pad1 x2 (2) = 16.
        byte[] padded = new FrameBuilder().Ethernet(0x86DD).Ipv6(0, 0, "2001:db8::1", "2001:db8::2")
            .U8(17).U8(1).U8(0).U8(1).U8(3).Fill(3, 0).U8(0xC2).U8(4).U32(100_000).U8(0).U8(0).Udp(1, 2, 0).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, padded, out packet));
        Assert.Equal(100_040, packet.IpLength);
        Assert.Equal((1, 2), (packet.SourcePort, packet.DestinationPort));
    }

    [Fact]
    public void PaddingAfterAShortIpPacketIsNotReadAsTransport()
    {
        // Total length 20 says there is no TCP header; the 26 bytes after it are Ethernet padding.
        byte[] frame = new FrameBuilder().Ethernet(0x0800).Ipv4(20, 6, "192.0.2.1", "198.51.100.2").Fill(26, 0x55).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, frame, out var packet));
        Assert.True(packet.TransportTruncated);
        Assert.Equal((0, 0, 0, 20), (packet.SourcePort, packet.DestinationPort, packet.TcpFlags, packet.IpLength));
    }

    [Fact]
    public void TinyFirstFragmentStillYieldsPortsAndFlags()
    {
        // Total length 36: a 16-byte TCP header (a classic overlapping-fragment trick); ports and the
        // flags byte at offset 13 are all there.
        byte[] frame = new FrameBuilder().Ethernet(0x0800).Ipv4(36, 6, "10.0.0.2", "10.128.0.2", flagsAndOffset: 0x2000)
            .U16(24102).U16(10792).U32(1).U32(2).U8(0x40).U8(0x02).U16(512).Build();
        Assert.Equal(DecodeFailure.None, Decode(LinkType.Ethernet, frame, out var packet));
        Assert.Equal(PacketInfoText.Describe(DecoderSamples.Expect(4, "10.0.0.2", "10.128.0.2", 6, 36, 24102, 10792, tcpFlags: 0x02)),
            PacketInfoText.Describe(packet));
    }
}

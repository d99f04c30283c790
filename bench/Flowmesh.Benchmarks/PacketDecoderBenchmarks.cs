using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>Cost of decoding one frame: the per-packet price every capture source pays.</summary>
[MemoryDiagnoser]
public class PacketDecoderBenchmarks
{
    private byte[] _ethernetIpv4Tcp = [];
    private byte[] _ipv6ExtensionHeaders = [];
    private byte[] _vlanIpv4Udp = [];
    private PacketInfo _packet;

    [GlobalSetup]
    public void Setup()
    {
        // Ethernet + IPv4 + TCP (ACK|PSH) + 6 payload bytes: a typical 60-byte frame.
        _ethernetIpv4Tcp = Concat(
            Ethernet(0x0800),
            [0x45, 0, 0, 46, 0xBE, 0xEF, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2],
            [0xC0, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0xFF, 0xFF, 0, 0, 0, 0],
            new byte[6]);

        // Ethernet + IPv6 + hop-by-hop (8) + destination options (8) + fragment (8, first) + UDP.
        _ipv6ExtensionHeaders = Concat(
            Ethernet(0x86DD),
            [0x60, 0, 0, 0, 0, 40, 0, 64],
            [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            [60, 0, 1, 4, 0, 0, 0, 0],
            [44, 0, 1, 4, 0, 0, 0, 0],
            [17, 0, 0, 1, 0, 0, 0, 1],
            [0x1F, 0x40, 0x1F, 0x41, 0, 16, 0, 0],
            new byte[8]);

        // Ethernet + 802.1Q tag + IPv4 + UDP.
        _vlanIpv4Udp = Concat(
            Ethernet(0x8100),
            [0x00, 0x64, 0x08, 0x00],
            [0x45, 0, 0, 38, 0xBE, 0xEF, 0x40, 0, 64, 17, 0, 0, 192, 0, 2, 1, 198, 51, 100, 2],
            [0x00, 0x35, 0xD4, 0x31, 0, 18, 0, 0],
            new byte[10]);

        foreach (var frame in new[] { _ethernetIpv4Tcp, _ipv6ExtensionHeaders, _vlanIpv4Udp })
        {
            if (PacketDecoder.Decode(LinkType.Ethernet, frame, ref _packet) != DecodeFailure.None || _packet.SourcePort == 0)
                throw new InvalidOperationException("benchmark frame does not decode");
        }
    }

    [Benchmark(Baseline = true)]
    public DecodeFailure EthernetIpv4Tcp() => PacketDecoder.Decode(LinkType.Ethernet, _ethernetIpv4Tcp, ref _packet);

    [Benchmark]
    public DecodeFailure Ipv6WithExtensionHeaders() => PacketDecoder.Decode(LinkType.Ethernet, _ipv6ExtensionHeaders, ref _packet);

    [Benchmark]
    public DecodeFailure VlanIpv4Udp() => PacketDecoder.Decode(LinkType.Ethernet, _vlanIpv4Udp, ref _packet);

    private static byte[] Ethernet(ushort type) =>
        [0x02, 0, 0x5E, 0x10, 0, 1, 0x02, 0, 0x5E, 0x10, 0, 2, (byte)(type >> 8), (byte)type];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}

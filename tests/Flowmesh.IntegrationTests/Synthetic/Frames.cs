using System.Buffers.Binary;
using System.Net;

namespace Flowmesh.IntegrationTests.Synthetic;

/// <summary>
/// Hand-built protocol headers for captures whose flows are known exactly. Lengths and checksums
/// are filled in as a sender would; nothing here depends on Flowmesh code.
/// </summary>
public static class Frames
{
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;
    public const ushort EtherTypeArp = 0x0806;
    public const ushort EtherTypeVlan = 0x8100;

    public static byte[] Ethernet(ushort etherType, byte[] payload, ushort? vlanId = null, int minimumFrame = 60)
    {
        var frame = new List<byte>();
        frame.AddRange([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01]);
        if (vlanId is ushort vlan)
        {
            frame.AddRange(BigEndian(EtherTypeVlan));
            frame.AddRange(BigEndian(vlan));
        }
        frame.AddRange(BigEndian(etherType));
        frame.AddRange(payload);
        while (frame.Count < minimumFrame) frame.Add(0); // Ethernet padding: not part of the IP packet
        return [.. frame];
    }

    public static byte[] Ipv4(string source, string destination, byte protocol, byte[] payload, ushort fragmentOffsetUnits = 0, bool moreFragments = false)
    {
        var header = new byte[20];
        header[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(20 + payload.Length));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(6), (ushort)((moreFragments ? 0x2000 : 0) | fragmentOffsetUnits));
        header[8] = 64;
        header[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(header, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(header, 16);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), Checksum(header));
        return [.. header, .. payload];
    }

    public static byte[] Ipv6(string source, string destination, byte nextHeader, byte[] payload)
    {
        var header = new byte[40];
        header[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)payload.Length);
        header[6] = nextHeader;
        header[7] = 64;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(header, 8);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(header, 24);
        return [.. header, .. payload];
    }

    /// <summary>Hop-by-hop options header of 8 bytes: a router alert option (as MLD uses) and padding.</summary>
    public static byte[] HopByHop(byte nextHeader, byte[] payload) => [nextHeader, 0, 0x05, 0x02, 0, 0, 0x01, 0x00, .. payload];

    public static byte[] Ipv6Fragment(byte nextHeader, ushort offsetUnits, bool more, byte[] payload)
    {
        var header = new byte[8];
        header[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 0xCAFE);
        return [.. header, .. payload];
    }

    public static byte[] Tcp(ushort sourcePort, ushort destinationPort, byte flags, byte[]? payload = null)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 1000);
        header[12] = 5 << 4;
        header[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 65535);
        return [.. header, .. payload ?? []];
    }

    public static byte[] Udp(ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)(8 + payload.Length));
        return [.. header, .. payload];
    }

    public static byte[] Icmp(byte type, byte code, byte[] body) => [type, code, 0, 0, 0, 0, 0, 0, .. body];

    public static byte[] Gre(ushort protocolType, byte[] payload) => [0, 0, .. BigEndian(protocolType), .. payload];

    /// <summary>VXLAN header with a valid VNI flag; the payload is an inner Ethernet frame.</summary>
    public static byte[] Vxlan(byte[] innerFrame) => [0x08, 0, 0, 0, 0, 0, 0x2A, 0, .. innerFrame];

    public static byte[] ArpRequest() =>
    [
        0, 1, 0x08, 0, 6, 4, 0, 1,
        0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ];

    public static byte[] Bytes(int count, byte fill = 0xAB) => Enumerable.Repeat(fill, count).ToArray();

    private static byte[] BigEndian(ushort value) => [(byte)(value >> 8), (byte)value];

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}

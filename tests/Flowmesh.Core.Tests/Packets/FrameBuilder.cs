using System.Net;

namespace Flowmesh.Core.Tests.Packets;

/// <summary>
/// Writes test frames field by field. Deliberately dumb: every length and offset is passed in by
/// the test, so expected values come from the test author's arithmetic, not from code under test.
/// </summary>
internal sealed class FrameBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public byte[] Build() => [.. _bytes];

    public FrameBuilder Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public FrameBuilder U8(int value) => Bytes((byte)value);

    public FrameBuilder U16(int value) => Bytes((byte)(value >> 8), (byte)value);

    public FrameBuilder U32(uint value) => Bytes((byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value);

    public FrameBuilder U16Le(int value) => Bytes((byte)value, (byte)(value >> 8));

    public FrameBuilder U32Le(uint value) => Bytes((byte)value, (byte)(value >> 8), (byte)(value >> 16), (byte)(value >> 24));

    /// <summary>Filler that is not zero, so a decoder reading it by mistake produces visible garbage.</summary>
    public FrameBuilder Fill(int count, byte value = 0xEE)
    {
        for (int i = 0; i < count; i++) _bytes.Add(value);
        return this;
    }

    public FrameBuilder Address(string address) => Bytes(IPAddress.Parse(address).GetAddressBytes());

    public FrameBuilder Mac(byte last) => Bytes(0x02, 0x00, 0x5E, 0x10, 0x00, last);

    /// <summary>Destination and source MAC, then the type/length field: 14 bytes.</summary>
    public FrameBuilder Ethernet(int typeOrLength) => Mac(1).Mac(2).U16(typeOrLength);

    /// <summary>A VLAN tag after its TPID: tag control (PCP 0, VID) and the next type: 4 bytes.</summary>
    public FrameBuilder VlanTag(int vlanId, int nextType) => U16(vlanId & 0x0FFF).U16(nextType);

    /// <summary>One MPLS label stack entry: label (20 bits), TC 0, S bit, TTL 64: 4 bytes.</summary>
    public FrameBuilder MplsLabel(int label, bool bottomOfStack) =>
        U32(((uint)label << 12) | (bottomOfStack ? 0x100u : 0u) | 64u);

    /// <summary>PPPoE session header and the PPP protocol: 8 bytes.</summary>
    public FrameBuilder PppoeSession(int payloadLength, int pppProtocol) =>
        U8(0x11).U8(0x00).U16(0x1234).U16(payloadLength).U16(pppProtocol);

    /// <summary>LLC (AA AA 03) and SNAP (OUI, EtherType): 8 bytes.</summary>
    public FrameBuilder LlcSnap(int etherType, byte ouiLast = 0x00) =>
        Bytes(0xAA, 0xAA, 0x03, 0x00, 0x00, ouiLast).U16(etherType);

    /// <summary>
    /// An IPv4 header of <paramref name="ihl"/> 32-bit words: options are NOPs.
    /// <paramref name="flagsAndOffset"/> is the raw 16-bit field (0x2000 = MF; low 13 bits = offset / 8).
    /// </summary>
    public FrameBuilder Ipv4(int totalLength, int protocol, string source, string destination, int ihl = 5, int flagsAndOffset = 0x4000)
    {
        U8(0x40 | ihl).U8(0).U16(totalLength).U16(0xBEEF).U16(flagsAndOffset).U8(64).U8(protocol).U16(0);
        Address(source).Address(destination);
        for (int i = 5; i < ihl; i++) Bytes(0x01, 0x01, 0x01, 0x01);
        return this;
    }

    /// <summary>The fixed 40-byte IPv6 header.</summary>
    public FrameBuilder Ipv6(int payloadLength, int nextHeader, string source, string destination) =>
        U32(0x6000_0000).U16(payloadLength).U8(nextHeader).U8(64).Address(source).Address(destination);

    /// <summary>An IPv6 options/routing-style extension header of (lengthUnits + 1) * 8 bytes, padded with PadN.</summary>
    public FrameBuilder Ipv6Extension(int nextHeader, int lengthUnits)
    {
        U8(nextHeader).U8(lengthUnits);
        int padding = (lengthUnits + 1) * 8 - 2;
        return U8(1).U8(padding - 2).Fill(padding - 2, 0);
    }

    /// <summary>IPv6 fragment header: 8 bytes. <paramref name="offsetUnits"/> is the offset in 8-byte units.</summary>
    public FrameBuilder Ipv6Fragment(int nextHeader, int offsetUnits, bool moreFragments) =>
        U8(nextHeader).U8(0).U16((offsetUnits << 3) | (moreFragments ? 1 : 0)).U32(0xCAFE0001);

    /// <summary>A 20-byte TCP header without options.</summary>
    public FrameBuilder Tcp(int sourcePort, int destinationPort, byte flags) =>
        U16(sourcePort).U16(destinationPort).U32(1000).U32(2000).U8(0x50).U8(flags).U16(65535).U16(0).U16(0);

    /// <summary>An 8-byte UDP header.</summary>
    public FrameBuilder Udp(int sourcePort, int destinationPort, int length) =>
        U16(sourcePort).U16(destinationPort).U16(length).U16(0);

    /// <summary>ICMP/ICMPv6 type, code, checksum and 4 bytes of rest-of-header: 8 bytes.</summary>
    public FrameBuilder Icmp(int type, int code) => U8(type).U8(code).U16(0).U32(0x0001_0002);

    /// <summary>The 12-byte SCTP common header.</summary>
    public FrameBuilder Sctp(int sourcePort, int destinationPort) =>
        U16(sourcePort).U16(destinationPort).U32(0x11223344).U32(0);
}

using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Ports, TCP flags and ICMP type/code from the start of the transport header. A header shorter
/// than its fixed part marks the packet <see cref="PacketInfo.TransportTruncated"/> and reads nothing,
/// so a cut header never yields half-read ports.
/// </summary>
internal static class TransportDecoder
{
    private const int TcpHeaderLength = 20;
    private const int TcpFlagsOffset = 13;
    private const int UdpHeaderLength = 8;
    private const int SctpCommonHeaderLength = 12;
    private const int IcmpCommonHeaderLength = 4; // type, code, checksum: common to ICMP and ICMPv6

    /// <param name="segment">From the transport header to the end of the IP packet or of the capture, whichever is first.</param>
    public static void Decode(ReadOnlySpan<byte> segment, ref PacketInfo packet)
    {
        switch (packet.Protocol)
        {
            case IpProtocol.Tcp:
                if (!HasHeader(segment, TcpHeaderLength, ref packet)) return;
                ReadPorts(segment, ref packet);
                packet.TcpFlags = segment[TcpFlagsOffset];
                return;
            case IpProtocol.Udp:
                if (HasHeader(segment, UdpHeaderLength, ref packet)) ReadPorts(segment, ref packet);
                return;
            case IpProtocol.Sctp:
                if (HasHeader(segment, SctpCommonHeaderLength, ref packet)) ReadPorts(segment, ref packet);
                return;
            case IpProtocol.Icmp or IpProtocol.Icmpv6:
                if (!HasHeader(segment, IcmpCommonHeaderLength, ref packet)) return;
                packet.IcmpType = segment[0];
                packet.IcmpCode = segment[1];
                return;
        }
    }

    private static bool HasHeader(ReadOnlySpan<byte> segment, int length, ref PacketInfo packet)
    {
        if (segment.Length >= length) return true;
        packet.TransportTruncated = true;
        return false;
    }

    private static void ReadPorts(ReadOnlySpan<byte> segment, ref PacketInfo packet)
    {
        packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(segment);
        packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(segment[2..]);
    }
}

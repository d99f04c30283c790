using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Ports, TCP flags and ICMP type/code from the start of the transport header. A header cut before
/// the last of those fields marks the packet <see cref="PacketInfo.TransportTruncated"/> and reads
/// nothing, so a cut header never yields half-read values. Only the fields read must be present,
/// not the whole fixed header: tiny first fragments (a 16-byte TCP header) and short snap lengths
/// still identify their flow, as tshark does.
/// </summary>
internal static class TransportDecoder
{
    private const int PortsLength = 4;
    private const int TcpFlagsOffset = 13;
    private const int TcpFieldsLength = TcpFlagsOffset + 1;
    private const int IcmpFieldsLength = 2; // type, code

    /// <param name="segment">From the transport header to the end of the IP packet or of the capture, whichever is first.</param>
    public static void Decode(ReadOnlySpan<byte> segment, ref PacketInfo packet)
    {
        switch (packet.Protocol)
        {
            case IpProtocol.Tcp:
                if (!HasFields(segment, TcpFieldsLength, ref packet)) return;
                ReadPorts(segment, ref packet);
                packet.TcpFlags = segment[TcpFlagsOffset];
                return;
            case IpProtocol.Udp:
                if (HasFields(segment, PortsLength, ref packet)) ReadPorts(segment, ref packet);
                return;
            case IpProtocol.Sctp:
                if (HasFields(segment, PortsLength, ref packet)) ReadPorts(segment, ref packet);
                return;
            case IpProtocol.Icmp or IpProtocol.Icmpv6:
                if (!HasFields(segment, IcmpFieldsLength, ref packet)) return;
                packet.IcmpType = segment[0];
                packet.IcmpCode = segment[1];
                return;
        }
    }

    private static bool HasFields(ReadOnlySpan<byte> segment, int length, ref PacketInfo packet)
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

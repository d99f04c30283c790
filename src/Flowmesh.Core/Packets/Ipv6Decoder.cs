using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>The fixed IPv6 header (RFC 8200); extension headers are walked by <see cref="Ipv6ExtensionHeaders"/>.</summary>
internal static class Ipv6Decoder
{
    public const int HeaderLength = 40;

    /// <param name="ip">From the first byte of the IPv6 header to the end of the captured frame.</param>
    public static DecodeFailure Decode(ReadOnlySpan<byte> ip, ref PacketInfo packet)
    {
        if (ip.IsEmpty) return DecodeFailure.TruncatedIpHeader;
        if (ip[0] >> 4 != 6) return DecodeFailure.BadIpVersion;
        if (ip.Length < HeaderLength) return DecodeFailure.TruncatedIpHeader;

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        byte nextHeader = ip[6];
        int ipLength;
        int knownLength; // what the packet says its length is, for telling a cut capture from a lying header
        if (payloadLength != 0)
        {
            ipLength = payloadLength + HeaderLength;
            knownLength = ipLength;
        }
        else if (Ipv6ExtensionHeaders.TryReadJumboPayloadLength(ip, out uint jumboLength))
        {
            // RFC 2675: the real length sits in a hop-by-hop option. A pcap record cannot exceed
            // int range, so a larger value is a lie about the packet.
            if (jumboLength > int.MaxValue - HeaderLength) return DecodeFailure.BadIpLength;
            ipLength = (int)jumboLength + HeaderLength;
            knownLength = ipLength;
        }
        else
        {
            // GSO super-packets (Linux BIG TCP) carry payload length 0 without a jumbo option:
            // like IPv4 TSO, count the bytes that were captured. A jumbo option cut off by the
            // snap length lands here too; either way the real length is unknown.
            ipLength = ip.Length;
            knownLength = int.MaxValue;
        }

        packet.IpVersion = 6;
        packet.IpLength = ipLength;
        packet.Protocol = nextHeader;
        packet.Source = IpAddress128.FromIPv6(ip[8..]);
        packet.Destination = IpAddress128.FromIPv6(ip[24..]);
        return Ipv6ExtensionHeaders.Walk(ip, knownLength, ref packet);
    }
}

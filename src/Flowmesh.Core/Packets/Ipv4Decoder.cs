using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>The IPv4 header (RFC 791): addresses, protocol, total length, fragment offset; options are skipped.</summary>
internal static class Ipv4Decoder
{
    private const int MinHeaderLength = 20;
    private const ushort FragmentOffsetMask = 0x1FFF;

    /// <param name="ip">From the first byte of the IPv4 header to the end of the captured frame.</param>
    public static DecodeFailure Decode(ReadOnlySpan<byte> ip, ref PacketInfo packet)
    {
        if (ip.IsEmpty) return DecodeFailure.TruncatedIpHeader;
        if (ip[0] >> 4 != 4) return DecodeFailure.BadIpVersion;
        int headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < MinHeaderLength) return DecodeFailure.BadIpHeaderLength;
        if (ip.Length < headerLength) return DecodeFailure.TruncatedIpHeader;

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (totalLength == 0)
        {
            // TSO/GSO: the NIC fills in the length per segment, so a host-side capture of the
            // super-packet shows 0. The captured bytes are the best measure of what was sent.
            totalLength = ip.Length;
        }
        else if (totalLength < headerLength)
        {
            return DecodeFailure.BadIpLength;
        }

        packet.IpVersion = 4;
        packet.IpLength = totalLength;
        packet.Protocol = ip[9];
        packet.Source = IpAddress128.FromIPv4(ip[12..]);
        packet.Destination = IpAddress128.FromIPv4(ip[16..]);

        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & FragmentOffsetMask) != 0)
        {
            packet.IsNonFirstFragment = true;
            return DecodeFailure.None;
        }
        // Bytes past the total length are link padding (Ethernet minimum frame), not transport header.
        int end = Math.Min(ip.Length, totalLength);
        packet.TransportOffset = headerLength;
        packet.TransportLength = Math.Max(0, end - headerLength);
        packet.CaptureCut = ip.Length < totalLength;
        TransportDecoder.Decode(ip[headerLength..end], ref packet);
        return DecodeFailure.None;
    }
}

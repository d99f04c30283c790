using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Walks the IPv6 extension header chain to the upper-layer protocol, which is what a flow is
/// keyed on. Bounded: at most <see cref="MaxHeaders"/> headers, each at least 8 bytes long.
/// </summary>
internal static class Ipv6ExtensionHeaders
{
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte Fragment = 44;
    private const byte AuthenticationHeader = 51;
    private const byte DestinationOptions = 60;
    private const byte Mobility = 135;
    private const byte HostIdentity = 139;
    private const byte Shim6 = 140;

    private const int FragmentHeaderLength = 8;
    private const ushort FragmentOffsetMask = 0xFFF8;
    private const byte JumboPayloadOption = 0xC2;
    private const byte Pad1Option = 0;

    /// <summary>
    /// RFC 8200 recommends a fixed order with each header at most once (twice for destination
    /// options); 8 covers every legal chain. A ninth extension header stops the walk: the protocol
    /// is reported as that header's number, without ports.
    /// </summary>
    public const int MaxHeaders = 8;

    /// <summary>
    /// Sets <see cref="PacketInfo.Protocol"/>, the fragment flag and the transport fields.
    /// When the chain runs past the captured bytes the packet still counts (TransportTruncated,
    /// Protocol = the last next-header value read); past the packet's own length it is BadIpLength.
    /// </summary>
    /// <param name="ip">The IPv6 packet as captured, from its fixed header on.</param>
    /// <param name="ipLength">The packet's length on the wire, header included; int.MaxValue when unknown.</param>
    public static DecodeFailure Walk(ReadOnlySpan<byte> ip, int ipLength, ref PacketInfo packet)
    {
        int end = Math.Min(ip.Length, ipLength);
        byte next = ip[6];
        int offset = Ipv6Decoder.HeaderLength;
        for (int walked = 0; ; walked++)
        {
            packet.Protocol = next;
            int headerLength;
            switch (next)
            {
                case HopByHop or Routing or DestinationOptions or Mobility or HostIdentity or Shim6:
                    if (walked == MaxHeaders) return DecodeFailure.None;
                    if (end - offset < 2) return RanPastEnd(offset + 2, ipLength, ref packet);
                    headerLength = (ip[offset + 1] + 1) * 8;
                    break;
                case AuthenticationHeader:
                    if (walked == MaxHeaders) return DecodeFailure.None;
                    if (end - offset < 2) return RanPastEnd(offset + 2, ipLength, ref packet);
                    headerLength = (ip[offset + 1] + 2) * 4;
                    break;
                case Fragment:
                    if (walked == MaxHeaders) return DecodeFailure.None;
                    headerLength = FragmentHeaderLength;
                    break;
                default:
                    // Upper layer, ESP (50, encrypted from here on) or No Next Header (59).
                    packet.TransportOffset = offset;
                    packet.TransportLength = end - offset;
                    packet.CaptureCut = ipLength != int.MaxValue && ip.Length < ipLength;
                    TransportDecoder.Decode(ip[offset..end], ref packet);
                    return DecodeFailure.None;
            }
            if (end - offset < headerLength) return RanPastEnd(offset + headerLength, ipLength, ref packet);
            if (next == Fragment && (BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]) & FragmentOffsetMask) != 0)
            {
                packet.Protocol = ip[offset];
                packet.IsNonFirstFragment = true;
                return DecodeFailure.None;
            }
            next = ip[offset];
            offset += headerLength;
        }
    }

    private static DecodeFailure RanPastEnd(int needed, int ipLength, ref PacketInfo packet)
    {
        if (needed > ipLength) return DecodeFailure.BadIpLength;
        packet.TransportTruncated = true;
        return DecodeFailure.None;
    }

    /// <summary>
    /// Finds an RFC 2675 Jumbo Payload option in a hop-by-hop header directly after the fixed
    /// header. Only looked for when the payload length field is 0, as the RFC requires.
    /// </summary>
    public static bool TryReadJumboPayloadLength(ReadOnlySpan<byte> ip, out uint jumboLength)
    {
        jumboLength = 0;
        int start = Ipv6Decoder.HeaderLength;
        if (ip[6] != HopByHop || ip.Length - start < 2) return false;
        int end = Math.Min(ip.Length, start + (ip[start + 1] + 1) * 8);
        // Each step advances at least one byte, so the loop is bounded by the header length (<= 2048).
        int option = start + 2;
        while (option < end)
        {
            byte type = ip[option];
            if (type == Pad1Option)
            {
                option++;
                continue;
            }
            if (end - option < 2) return false;
            int dataLength = ip[option + 1];
            if (type == JumboPayloadOption)
            {
                if (dataLength != 4 || end - option < 6) return false;
                jumboLength = BinaryPrimitives.ReadUInt32BigEndian(ip[(option + 2)..]);
                return true;
            }
            option += 2 + dataLength;
        }
        return false;
    }
}

using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>Serial-line link layers seen on routers' WAN links: PPP (RFC 1661/1662) and Cisco HDLC.</summary>
internal static class PointToPointDecoder
{
    private const ushort PppIpv4 = 0x0021;
    private const ushort PppIpv6 = 0x0057;
    private const byte CiscoHdlcUnicast = 0x0F;
    private const byte CiscoHdlcBroadcast = 0x8F;

    /// <summary>
    /// PPP with or without the HDLC-like FF 03 address/control prefix. The protocol field is two
    /// bytes, or one when protocol-field compression is on (RFC 1661 6.5: an odd first byte ends it).
    /// </summary>
    public static DecodeFailure DecodePpp(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        // Cisco HDLC's addresses (0x0F unicast, 0x8F broadcast) start no PPP protocol field in use;
        // routers write such frames under the PPP link type, and Wireshark reads them as Cisco HDLC too.
        if (frame.Length >= 1 && frame[0] is CiscoHdlcUnicast or CiscoHdlcBroadcast)
            return DecodeCiscoHdlc(frame, out networkOffset, out layer);
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        // 0xFF cannot start a protocol field (its first byte is even), so it always means framing.
        int offset = frame.Length >= 1 && frame[0] == 0xFF ? 2 : 0;
        if (frame.Length <= offset) return DecodeFailure.TruncatedLinkHeader;
        ushort protocol;
        if ((frame[offset] & 1) == 1)
        {
            protocol = frame[offset];
            offset += 1;
        }
        else
        {
            if (frame.Length < offset + 2) return DecodeFailure.TruncatedLinkHeader;
            protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
            offset += 2;
        }
        networkOffset = offset;
        return TryIpLayer(protocol, out layer) ? DecodeFailure.None : DecodeFailure.NotIp;
    }

    /// <summary>The IP version a PPP protocol number carries (PPP, PPPoE); false for LCP, IPCP, CHAP and the rest.</summary>
    public static bool TryIpLayer(ushort pppProtocol, out NetworkLayer layer)
    {
        switch (pppProtocol)
        {
            case PppIpv4:
                layer = NetworkLayer.Ipv4;
                return true;
            case PppIpv6:
                layer = NetworkLayer.Ipv6;
                return true;
            default:
                layer = NetworkLayer.ByVersionNibble;
                return false;
        }
    }

    /// <summary>Cisco HDLC: address (0x0F unicast, 0x8F broadcast), control 0, then an EtherType.</summary>
    public static DecodeFailure DecodeCiscoHdlc(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        if (frame.Length < 4)
        {
            networkOffset = 0;
            layer = NetworkLayer.ByVersionNibble;
            return DecodeFailure.TruncatedLinkHeader;
        }
        // 0x8035 (SLARP keepalives) and other non-IP types come back as NotIp from the EtherType walk.
        return EtherTypeDecoder.Decode(frame, BinaryPrimitives.ReadUInt16BigEndian(frame[2..]), 4, out networkOffset, out layer);
    }
}

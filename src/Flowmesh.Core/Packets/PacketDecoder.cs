namespace Flowmesh.Core.Packets;

/// <summary>
/// Decodes one captured frame into a <see cref="PacketInfo"/> without allocating. Never throws on
/// any input: every way a frame can be unusable is a <see cref="DecodeFailure"/>. Every loop is
/// bounded (VLAN/LLC depth, MPLS labels, IPv6 extension headers), so hostile frames cannot stall it.
/// </summary>
/// <remarks>
/// <para>Tunnels (IP-in-IP 4/41, GRE 47, VXLAN, GTP-U, Teredo...) are counted as their OUTER
/// header only: the flow is the tunnel endpoints with the outer protocol and ports. This is how
/// NetFlow/IPFIX exporters such as softflowd count, so totals compare with theirs.</para>
/// <para>Lengths: <see cref="PacketInfo.IpLength"/> is the IP total length (IPv6: payload length
/// + 40, or the RFC 2675 jumbo length). A length field of 0, which host-side captures of TSO/GSO
/// super-packets show, is replaced by the IP bytes present in the frame.</para>
/// <para>Truncation: a cut link or IP header is a failure; an IP header that is whole while the
/// IPv6 extension chain or the transport fields (ports, TCP flags, ICMP type/code) are cut still
/// decodes (ports 0, <see cref="PacketInfo.TransportTruncated"/> set), because the packet was seen
/// and its bytes count. An extension chain longer than the packet's own length is BadIpLength.
/// Non-first fragments decode with ports 0 and <see cref="PacketInfo.IsNonFirstFragment"/> set.</para>
/// </remarks>
public static class PacketDecoder
{
    /// <summary>
    /// Decodes <paramref name="frame"/> (the captured bytes, possibly shorter than on the wire).
    /// On success fills every field of <paramref name="packet"/> except <see cref="PacketInfo.TimestampMicros"/>
    /// and returns <see cref="DecodeFailure.None"/>. On failure the fields other than the timestamp are
    /// unspecified.
    /// </summary>
    public static DecodeFailure Decode(LinkType linkType, ReadOnlySpan<byte> frame, ref PacketInfo packet)
    {
        long timestamp = packet.TimestampMicros;
        packet = default;
        packet.TimestampMicros = timestamp;

        DecodeFailure failure = LinkLayerDecoder.Decode(linkType, frame, out int networkOffset, out NetworkLayer layer);
        if (failure != DecodeFailure.None) return failure;
        ReadOnlySpan<byte> ip = frame[networkOffset..];

        if (layer == NetworkLayer.ByVersionNibble)
        {
            if (ip.IsEmpty) return DecodeFailure.TruncatedIpHeader;
            layer = (ip[0] >> 4) switch
            {
                4 => NetworkLayer.Ipv4,
                6 => NetworkLayer.Ipv6,
                _ => NetworkLayer.ByVersionNibble,
            };
            if (layer == NetworkLayer.ByVersionNibble) return DecodeFailure.BadIpVersion;
        }

        failure = layer == NetworkLayer.Ipv4 ? Ipv4Decoder.Decode(ip, ref packet) : Ipv6Decoder.Decode(ip, ref packet);
        if (failure == DecodeFailure.None) packet.Segments = 1;
        // The IP decoders place the transport relative to the IP header; callers index the frame.
        packet.TransportOffset += networkOffset;
        return failure;
    }
}

using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Follows an EtherType through the encapsulations that can sit between a link header and IP:
/// 802.1Q/802.1ad VLAN tags (stacked), MPLS label stacks, PPPoE sessions and 802.2 LLC/SNAP.
/// Shared by Ethernet, Linux cooked captures and 802.11 (after its LLC/SNAP header).
/// </summary>
internal static class EtherTypeDecoder
{
    public const ushort Ipv4 = 0x0800;
    public const ushort Ipv6 = 0x86DD;
    public const ushort Vlan = 0x8100;        // 802.1Q customer tag
    public const ushort ServiceVlan = 0x88A8; // 802.1ad provider tag (QinQ outer)
    public const ushort LegacyQinQ = 0x9100;  // pre-802.1ad QinQ outer tag, still emitted by some switches
    public const ushort MplsUnicast = 0x8847;
    public const ushort MplsMulticast = 0x8848;
    public const ushort PppoeSession = 0x8864;
    public const ushort CiscoFabricPath = 0x8903;

    /// <summary>Values up to 1500 in the type field are an 802.3 payload length: an LLC header follows.</summary>
    public const ushort MaxLengthField = 1500;

    /// <summary>
    /// Bound on VLAN tags plus LLC/SNAP headers, so a frame of nothing but tags cannot keep us walking.
    /// Real networks use at most two or three tags; a frame with more is not decoded (NotIp).
    /// </summary>
    public const int MaxEncapsulationDepth = 8;

    /// <summary>Bound on the MPLS label stack; real stacks rarely exceed five labels.</summary>
    public const int MaxMplsLabels = 16;

    /// <summary>
    /// <paramref name="type"/> was read just before <paramref name="offset"/>, where its payload begins.
    /// </summary>
    public static DecodeFailure Decode(ReadOnlySpan<byte> frame, ushort type, int offset, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        for (int depth = 0; depth <= MaxEncapsulationDepth; depth++)
        {
            switch (type)
            {
                case Ipv4:
                    networkOffset = offset;
                    layer = NetworkLayer.Ipv4;
                    return DecodeFailure.None;
                case Ipv6:
                    networkOffset = offset;
                    layer = NetworkLayer.Ipv6;
                    return DecodeFailure.None;
                case Vlan or ServiceVlan or LegacyQinQ:
                    // Tag control information (2 bytes), then the next type.
                    if (frame.Length - offset < 4) return DecodeFailure.TruncatedLinkHeader;
                    type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
                    offset += 4;
                    continue;
                case CiscoFabricPath:
                    // FTag and TTL (2 bytes), then the whole original Ethernet frame: its two MAC
                    // addresses (12) and its EtherType, which the walk continues with.
                    if (frame.Length - offset < 16) return DecodeFailure.TruncatedLinkHeader;
                    type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 14)..]);
                    offset += 16;
                    continue;
                case MplsUnicast or MplsMulticast:
                    return DecodeMpls(frame, offset, out networkOffset);
                case PppoeSession:
                    return DecodePppoe(frame, offset, out networkOffset, out layer);
                case <= MaxLengthField:
                    if (!TryDecodeSnap(frame, ref offset, out type, out DecodeFailure failure)) return failure;
                    continue;
                default:
                    return DecodeFailure.NotIp;
            }
        }
        return DecodeFailure.NotIp;
    }

    /// <summary>
    /// Reads an 802.2 LLC header at <paramref name="offset"/>; succeeds only for SNAP with an
    /// EtherType-carrying OUI (00-00-00 RFC 1042, 00-00-F8 Cisco/802.1H). Other LLC payloads
    /// (STP, NetBEUI, IPX...) are not IP.
    /// </summary>
    public static bool TryDecodeSnap(ReadOnlySpan<byte> frame, ref int offset, out ushort type, out DecodeFailure failure)
    {
        type = 0;
        if (frame.Length - offset < 3)
        {
            failure = DecodeFailure.TruncatedLinkHeader;
            return false;
        }
        ReadOnlySpan<byte> llc = frame[offset..];
        if (llc[0] != 0xAA || llc[1] != 0xAA || llc[2] != 0x03)
        {
            failure = DecodeFailure.NotIp;
            return false;
        }
        if (llc.Length < 8)
        {
            failure = DecodeFailure.TruncatedLinkHeader;
            return false;
        }
        bool etherTypeOui = llc[3] == 0 && llc[4] == 0 && (llc[5] == 0 || llc[5] == 0xF8);
        if (!etherTypeOui)
        {
            failure = DecodeFailure.NotIp;
            return false;
        }
        type = BinaryPrimitives.ReadUInt16BigEndian(llc[6..]);
        offset += 8;
        failure = DecodeFailure.None;
        return true;
    }

    /// <summary>
    /// Skips labels up to bottom-of-stack. MPLS does not say what it carries, so the first nibble
    /// after the stack decides; anything but 4 or 6 (pseudowires, control words) is not decoded.
    /// </summary>
    private static DecodeFailure DecodeMpls(ReadOnlySpan<byte> frame, int offset, out int networkOffset)
    {
        networkOffset = 0;
        for (int labels = 0; ; labels++)
        {
            if (labels == MaxMplsLabels) return DecodeFailure.NotIp;
            if (frame.Length - offset < 4) return DecodeFailure.TruncatedLinkHeader;
            bool bottomOfStack = (frame[offset + 2] & 0x01) != 0;
            offset += 4;
            if (bottomOfStack) break;
        }
        if (offset >= frame.Length) return DecodeFailure.TruncatedLinkHeader;
        int version = frame[offset] >> 4;
        if (version != 4 && version != 6) return DecodeFailure.NotIp;
        networkOffset = offset;
        return DecodeFailure.None;
    }

    /// <summary>PPPoE session header (version/type 0x11, code 0, session, length), then a 2-byte PPP protocol.</summary>
    private static DecodeFailure DecodePppoe(ReadOnlySpan<byte> frame, int offset, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length - offset < 8) return DecodeFailure.TruncatedLinkHeader;
        if (frame[offset] != 0x11 || frame[offset + 1] != 0x00) return DecodeFailure.NotIp;
        ushort pppProtocol = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]);
        if (!PointToPointDecoder.TryIpLayer(pppProtocol, out layer)) return DecodeFailure.NotIp;
        networkOffset = offset + 8;
        return DecodeFailure.None;
    }
}

using System.Buffers.Binary;

namespace Flowmesh.Core.Packets;

/// <summary>
/// Linux "cooked" captures (the "any" device): a pseudo-header instead of the real link header.
/// The protocol field is an EtherType, except below 0x0600 where Linux uses ETH_P_* pseudo
/// values; of those only ETH_P_802_2 (an LLC header follows) can lead to IP. libpcap re-inserts
/// offloaded VLAN tags, so the protocol may be 0x8100 followed by the tag.
/// </summary>
internal static class LinuxCookedDecoder
{
    private const int V1HeaderLength = 16;
    private const int V1ProtocolOffset = 14;
    private const int V1HardwareTypeOffset = 2;
    private const int V2HeaderLength = 20;
    private const int V2ProtocolOffset = 0;
    private const int V2HardwareTypeOffset = 8;

    /// <summary>ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType.</summary>
    private const ushort HardwareTypeNetlink = 824;
    private const ushort ProtocolLlc = 0x0004; // ETH_P_802_2
    private const ushort MinEtherType = 0x0600;

    public static DecodeFailure DecodeV1(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer) =>
        Decode(frame, V1HeaderLength, V1ProtocolOffset, V1HardwareTypeOffset, out networkOffset, out layer);

    public static DecodeFailure DecodeV2(ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer) =>
        Decode(frame, V2HeaderLength, V2ProtocolOffset, V2HardwareTypeOffset, out networkOffset, out layer);

    private static DecodeFailure Decode(ReadOnlySpan<byte> frame, int headerLength, int protocolOffset, int hardwareTypeOffset,
        out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = NetworkLayer.ByVersionNibble;
        if (frame.Length < headerLength) return DecodeFailure.TruncatedLinkHeader;
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[hardwareTypeOffset..]) == HardwareTypeNetlink) return DecodeFailure.NotIp;
        ushort protocol = BinaryPrimitives.ReadUInt16BigEndian(frame[protocolOffset..]);
        if (protocol < MinEtherType && protocol != ProtocolLlc) return DecodeFailure.NotIp;
        // ETH_P_802_2 (4) is below the 802.3 length limit, so the EtherType walk reads an LLC header for it.
        return EtherTypeDecoder.Decode(frame, protocol, headerLength, out networkOffset, out layer);
    }
}

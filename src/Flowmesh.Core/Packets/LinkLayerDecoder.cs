namespace Flowmesh.Core.Packets;

/// <summary>Finds where the IP header starts in a frame of a given pcap link type.</summary>
internal static class LinkLayerDecoder
{
    public static DecodeFailure Decode(LinkType linkType, ReadOnlySpan<byte> frame, out int networkOffset, out NetworkLayer layer)
    {
        switch (linkType)
        {
            case LinkType.Ethernet:
                return EthernetDecoder.Decode(frame, out networkOffset, out layer);
            case LinkType.Raw:
                return Direct(NetworkLayer.ByVersionNibble, out networkOffset, out layer);
            case LinkType.Ipv4:
                return Direct(NetworkLayer.Ipv4, out networkOffset, out layer);
            case LinkType.Ipv6:
                return Direct(NetworkLayer.Ipv6, out networkOffset, out layer);
            case LinkType.Null:
                return LoopbackDecoder.DecodeNull(frame, out networkOffset, out layer);
            case LinkType.Loop:
                return LoopbackDecoder.DecodeLoop(frame, out networkOffset, out layer);
            case LinkType.LinuxSll:
                return LinuxCookedDecoder.DecodeV1(frame, out networkOffset, out layer);
            case LinkType.LinuxSll2:
                return LinuxCookedDecoder.DecodeV2(frame, out networkOffset, out layer);
            case LinkType.Ppp or LinkType.PppHdlc:
                return PointToPointDecoder.DecodePpp(frame, out networkOffset, out layer);
            case LinkType.CiscoHdlc:
                return PointToPointDecoder.DecodeCiscoHdlc(frame, out networkOffset, out layer);
            case LinkType.Ieee80211:
                return Ieee80211Decoder.Decode(frame, 0, paddedHeader: false, out networkOffset, out layer);
            case LinkType.Ieee80211Radiotap:
                return RadiotapDecoder.Decode(frame, out networkOffset, out layer);
            default:
                networkOffset = 0;
                layer = NetworkLayer.ByVersionNibble;
                return DecodeFailure.UnsupportedLinkType;
        }
    }

    private static DecodeFailure Direct(NetworkLayer known, out int networkOffset, out NetworkLayer layer)
    {
        networkOffset = 0;
        layer = known;
        return DecodeFailure.None;
    }
}

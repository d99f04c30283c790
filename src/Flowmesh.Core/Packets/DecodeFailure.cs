namespace Flowmesh.Core.Packets;

/// <summary>Why a frame produced no flow observation. Each value has a counter in <see cref="DecodeCounters"/>.</summary>
public enum DecodeFailure : byte
{
    None = 0,
    UnsupportedLinkType,
    TruncatedLinkHeader,
    /// <summary>A well-formed frame that does not carry IP (ARP, LLDP, STP...): not an error, but not a flow.</summary>
    NotIp,
    TruncatedIpHeader,
    BadIpVersion,
    BadIpHeaderLength,
    /// <summary>IP total length smaller than the header, or IPv6 extension header chain running past the packet.</summary>
    BadIpLength,
    /// <summary>Counted but not dropped: the packet still becomes a port-less observation (see <see cref="PacketInfo.TransportTruncated"/>).</summary>
    TruncatedTransportHeader,
}

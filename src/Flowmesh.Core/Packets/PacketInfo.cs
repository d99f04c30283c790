namespace Flowmesh.Core.Packets;

/// <summary>
/// What the flow table needs from one packet, filled in place by <see cref="PacketDecoder"/>.
/// A mutable struct on purpose: the decoder writes into a caller-owned instance, so decoding
/// allocates nothing.
/// </summary>
public struct PacketInfo
{
    /// <summary>Capture time, microseconds since the Unix epoch.</summary>
    public long TimestampMicros;
    public IpAddress128 Source;
    public IpAddress128 Destination;
    /// <summary>0 for protocols without ports and for non-first fragments.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;
    /// <summary>IANA protocol number of the transport (after IPv6 extension headers).</summary>
    public byte Protocol;
    /// <summary>4 or 6.</summary>
    public byte IpVersion;
    /// <summary>Bytes as NetFlow/IPFIX count them: the IP total length (IPv6: payload length + 40).</summary>
    public int IpLength;
    /// <summary>TCP flags byte (CWR..FIN); 0 for other protocols.</summary>
    public byte TcpFlags;
    /// <summary>ICMP/ICMPv6 type and code; 0 otherwise.</summary>
    public byte IcmpType;
    public byte IcmpCode;
    /// <summary>True for an IP fragment whose offset is not zero: it carries no transport header.</summary>
    public bool IsNonFirstFragment;
    /// <summary>
    /// The IP header was whole but the transport header was cut short (snap length, corruption):
    /// the packet is still counted, with ports 0, and <see cref="DecodeFailure.TruncatedTransportHeader"/> is counted too.
    /// </summary>
    public bool TransportTruncated;
    /// <summary>Wire segments this observation stands for (GSO/TSO super-packets count several); 1 for pcap.</summary>
    public uint Segments;
    /// <summary>
    /// Where the transport header starts in the frame, and how many of its bytes (header and payload) the frame holds
    /// up to the IP packet's end; 0 when there is none (non-first fragment, cut IP header). Application decoders that
    /// tap the capture (DNS) read the payload from here instead of decoding the frame a second time.
    /// </summary>
    public int TransportOffset;
    public int TransportLength;
    /// <summary>The frame ends before the IP packet does (the capture's snap length cut it): the payload is partial.</summary>
    public bool CaptureCut;
}

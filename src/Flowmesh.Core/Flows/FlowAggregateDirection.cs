namespace Flowmesh.Core.Flows;

/// <summary>
/// What one endpoint of a <see cref="FlowAggregate"/> sent during the aggregation window: the sums and
/// extremes a packet-by-packet observer would have built from the same packets.
/// </summary>
public struct FlowAggregateDirection
{
    /// <summary>Packets as the observer saw them; 0 means this endpoint sent nothing (the other fields are ignored).</summary>
    public long Packets;
    /// <summary>Sum of IP total lengths.</summary>
    public long Bytes;
    /// <summary>Wire segments (a GSO super-packet is several); 0 is read as <see cref="Packets"/>.</summary>
    public long Segments;
    /// <summary>Time of the first and last packet, microseconds since the Unix epoch.</summary>
    public long FirstMicros;
    public long LastMicros;
    /// <summary>OR of the TCP flags of these packets.</summary>
    public byte TcpFlags;
    /// <summary>At least one of these packets was a TCP SYN without ACK: this endpoint opened a connection.</summary>
    public bool SentSynWithoutAck;
    /// <summary>ICMP/ICMPv6 type and code of the first of these packets.</summary>
    public byte IcmpType;
    public byte IcmpCode;
}

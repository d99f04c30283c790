using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// A finished biflow (RFC 5103 spirit). The source is the initiator: the side that sent a SYN
/// without ACK, or otherwise the side whose packet was seen first. Forward counters are
/// initiator to responder; <c>Reverse*</c> are responder to initiator. Bytes are IP total lengths.
/// </summary>
public sealed class FlowRecord
{
    public required byte Protocol { get; init; }
    public required IpAddress128 SourceAddress { get; init; }
    public required ushort SourcePort { get; init; }
    public required IpAddress128 DestinationAddress { get; init; }
    public required ushort DestinationPort { get; init; }

    public long Packets { get; init; }
    public long Bytes { get; init; }
    public long ReversePackets { get; init; }
    public long ReverseBytes { get; init; }
    /// <summary>Wire segments (GSO/TSO expands one observed packet into several); equals the packet count for pcap sources.</summary>
    public long Segments { get; init; }
    public long ReverseSegments { get; init; }

    /// <summary>Microseconds since the Unix epoch.</summary>
    public long StartMicros { get; init; }
    public long EndMicros { get; init; }

    /// <summary>OR of the TCP flags of both directions.</summary>
    public byte TcpFlags { get; init; }
    /// <summary>ICMP type and code of the first packet from the initiator (0 otherwise).</summary>
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }

    public FlowEndReason EndReason { get; init; }

    public FlowKey Key => FlowKey.FromDirected(SourceAddress, SourcePort, DestinationAddress, DestinationPort, Protocol, out _);

    /// <summary>Community ID v1 with seed 0 (see <see cref="CommunityId"/>).</summary>
    public string CommunityIdV1() => CommunityId.Compute(this, seed: 0);
}

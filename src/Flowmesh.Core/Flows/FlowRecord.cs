using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// A finished biflow (RFC 5103 spirit). The source is the initiator: the sender of the flow's first
/// packet, except that a TCP SYN+ACK or an ICMP/ICMPv6 reply (echo reply and the other request/reply
/// pairs) seen first makes its <em>receiver</em> the initiator, and a pure SYN (SYN without ACK) seen
/// later on a flow whose first packet was not one makes its sender the initiator (see
/// <see cref="FlowTable"/>). Forward counters are initiator to responder; <c>Reverse*</c> are
/// responder to initiator. Bytes are IP total lengths. ICMP flows have ports 0.
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
    /// <summary>
    /// ICMP type and code of the first packet from the initiator; when only the responder's reply was
    /// captured, the request type that reply answers, code 0. 0 for other protocols.
    /// </summary>
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }

    public FlowEndReason EndReason { get; init; }

    /// <summary>
    /// Every packet was a non-first IP fragment: they carry no transport header, so the flow's ports (0) are unknown
    /// rather than zero, and its Community ID hashes it as a protocol without ports, as Wireshark and the spec's
    /// reference implementation do for such packets.
    /// </summary>
    public bool NonFirstFragmentsOnly { get; init; }

    /// <summary>What the PC knows beyond the packets (process, RTT, DNS name, drops); null: nothing known.</summary>
    public HostContext.FlowHostContext? Context { get; private set; }

    /// <summary>This record with <paramref name="context"/> attached (the same instance when both are null).</summary>
    public FlowRecord WithContext(HostContext.FlowHostContext? context)
    {
        if (context is null && Context is null) return this;
        var copy = (FlowRecord)MemberwiseClone();
        copy.Context = context;
        return copy;
    }

    public FlowKey Key => FlowKey.FromDirected(SourceAddress, SourcePort, DestinationAddress, DestinationPort, Protocol, out _);

    /// <summary>Community ID v1 with seed 0 (see <see cref="CommunityId"/>).</summary>
    public string CommunityIdV1() => CommunityId.Compute(this, seed: 0);
}

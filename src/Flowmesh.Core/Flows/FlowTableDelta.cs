using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// The traffic one flow carried since its previous delta, oriented like a <see cref="FlowRecord"/> (source =
/// initiator, forward = initiator to responder). The deltas of a record sum to that record's counters, so every
/// packet lands in exactly one delta, and a delta's packets were all observed between two interim exports
/// (see <see cref="FlowTable.ExportInterim"/>).
/// </summary>
/// <param name="StartsRecord">The first delta of a record: counts the record once in "flows started".</param>
/// <param name="StartMicros">When the record began (not when this delta's traffic began).</param>
/// <param name="EndMicros">Newest packet of the record so far.</param>
public readonly record struct FlowTableDelta(
    byte Protocol,
    IpAddress128 SourceAddress,
    ushort SourcePort,
    IpAddress128 DestinationAddress,
    ushort DestinationPort,
    long Packets,
    long Bytes,
    long ReversePackets,
    long ReverseBytes,
    bool StartsRecord,
    long StartMicros,
    long EndMicros)
{
    /// <summary>OR of the TCP flags of both directions of the record so far (0 for other protocols).</summary>
    public byte TcpFlags { get; init; }

    /// <summary>What the PC knows beyond the packets (process, RTT, DNS name, drops); null: nothing, or no resolver.</summary>
    public HostContext.FlowHostContext? Context { get; init; }
}

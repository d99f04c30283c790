using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// One flow record's traffic in one epoch, exactly as this agent counted it. Oriented like a flow record: the
/// source is the initiator, "out" is source to destination and "in" the replies. <see cref="FirstMicros"/> is when
/// the flow record began (it may be before this epoch), <see cref="LastMicros"/> its newest packet so far.
/// </summary>
internal readonly record struct FlowRow(
    long EpochStartMicros,
    long EpochLengthMicros,
    byte Protocol,
    IpAddress128 Source,
    ushort SourcePort,
    IpAddress128 Destination,
    ushort DestinationPort,
    long BytesOut,
    long PacketsOut,
    long BytesIn,
    long PacketsIn,
    long FirstMicros,
    long LastMicros)
{
    /// <summary>OR of the TCP flags of both directions of the flow record so far (0 for other protocols).</summary>
    public byte TcpFlags { get; init; }

    /// <summary>What the PC knew about the flow (process, RTT, DNS name, drops): the newest epoch's, its TCP counters and drops summed over the epochs.</summary>
    public Core.HostContext.FlowHostContext? Context { get; init; }

    public long Bytes => BytesOut + BytesIn;
}

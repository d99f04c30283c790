using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.HostContext;

/// <summary>A flow as a context provider looks it up: oriented like a flow record (source = initiator), plus when.</summary>
/// <param name="AtMicros">The newest packet the record or delta holds (µs since the Unix epoch).</param>
public readonly record struct FlowContextKey(
    byte Protocol, IpAddress128 SourceAddress, ushort SourcePort, IpAddress128 DestinationAddress, ushort DestinationPort, long AtMicros)
{
    public static FlowContextKey From(in FlowTableDelta delta) =>
        new(delta.Protocol, delta.SourceAddress, delta.SourcePort, delta.DestinationAddress, delta.DestinationPort, delta.EndMicros);

    public static FlowContextKey From(FlowRecord record) =>
        new(record.Protocol, record.SourceAddress, record.SourcePort, record.DestinationAddress, record.DestinationPort, record.EndMicros);
}

using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Live biflows keyed by <see cref="FlowKey"/>. Ends flows on idle timeout (per protocol), active
/// timeout, TCP close, or eviction when <see cref="FlowTableOptions.MaxFlows"/> is reached, and hands
/// each ended flow to the callback given at construction. Time is the packets' own time, so a pcap
/// file replays exactly as it was captured. Updating an existing flow allocates nothing.
/// </summary>
public sealed class FlowTable
{
    public FlowTable(FlowTableOptions options, Action<FlowRecord> onFlowEnd)
    {
        throw new NotImplementedException();
    }

    /// <summary>Live entries.</summary>
    public int Count => throw new NotImplementedException();

    /// <summary>Flows ended early because the table was full.</summary>
    public long Evictions => throw new NotImplementedException();

    /// <summary>Flows handed to the callback so far, for any reason.</summary>
    public long FlowsEnded => throw new NotImplementedException();

    /// <summary>Adds one decoded packet (its <see cref="PacketInfo.TimestampMicros"/> is the time).</summary>
    public void Observe(in PacketInfo packet) => throw new NotImplementedException();

    /// <summary>Ends every flow whose idle, closing or active timeout has passed at <paramref name="nowMicros"/>.</summary>
    public void Expire(long nowMicros) => throw new NotImplementedException();

    /// <summary>Ends every live flow with <see cref="FlowEndReason.ForcedEnd"/>.</summary>
    public void Flush() => throw new NotImplementedException();
}

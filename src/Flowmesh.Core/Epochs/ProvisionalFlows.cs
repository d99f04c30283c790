using System.Runtime.InteropServices;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// The flows of one epoch whose ownership verdict was provisional when their deltas arrived
/// (<see cref="FlowOwnership.Decide(IpAddress128, IpAddress128, long, out string?, out bool)"/>): "count it, because no
/// agent is known for the lower address". They are merged per directed 5-tuple and decided again at the seal, with
/// the address map as it is then.
/// </summary>
/// <remarks>
/// <para><b>Why.</b> When a PC joins, its peers learn its addresses within a gossip round (from membership) or an
/// epoch (from its first record). A flow between the newcomer and a peer whose address is higher would otherwise be
/// counted by both during that lag: by the newcomer (its address is the lower one, it knows that at once) and by the
/// peer (it does not know yet). Holding the peer's provisional verdicts until the seal closes that gap whenever the
/// newcomer's addresses arrived before the epoch ended.</para>
/// <para><b>Cost.</b> One dictionary entry per held flow and epoch (allocated per new flow of the epoch, never per
/// packet), at most <see cref="Capacity"/>; past it deltas are decided on arrival as before. Merging a flow's deltas
/// before counting changes nothing a sketch keeps: counters add, distinct and spread sketches are idempotent, and
/// Space-Saving stays within its bound whatever the order of its updates.</para>
/// </remarks>
internal sealed class ProvisionalFlows
{
    /// <summary>Most flows held in one epoch.</summary>
    public const int Capacity = 65_536;

    private readonly Dictionary<(byte, IpAddress128, ushort, IpAddress128, ushort), FlowTableDelta> _flows = [];

    public int Count => _flows.Count;

    /// <summary>Holds the delta (merged into the flow's earlier ones); false when the epoch already holds <see cref="Capacity"/> other flows.</summary>
    public bool TryHold(in FlowTableDelta flow)
    {
        var key = (flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);
        if (_flows.Count >= Capacity && !_flows.ContainsKey(key)) return false;
        ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(_flows, key, out bool exists);
        held = exists ? Merge(held, flow) : flow;
        return true;
    }

    /// <summary>Every held flow once, in arrival order; the holder is empty afterwards.</summary>
    public List<FlowTableDelta> Release()
    {
        var all = _flows.Values.ToList();
        _flows.Clear();
        return all;
    }

    private static FlowTableDelta Merge(in FlowTableDelta held, in FlowTableDelta next) => held with
    {
        Packets = held.Packets + next.Packets,
        Bytes = held.Bytes + next.Bytes,
        ReversePackets = held.ReversePackets + next.ReversePackets,
        ReverseBytes = held.ReverseBytes + next.ReverseBytes,
        StartsRecord = held.StartsRecord || next.StartsRecord,
        StartMicros = Math.Min(held.StartMicros, next.StartMicros),
        EndMicros = Math.Max(held.EndMicros, next.EndMicros),
        TcpFlags = (byte)(held.TcpFlags | next.TcpFlags),
    };
}

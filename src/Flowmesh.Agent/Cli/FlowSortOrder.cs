using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Cli;

/// <summary>How `flows --sort` orders records. <see cref="None"/> streams them in the order they end.</summary>
internal enum FlowSortOrder
{
    None,
    Bytes,
    Packets,
    Start,
    Duration,
}

internal static class FlowSortOrders
{
    /// <summary>Orders records "best first": largest totals, earliest start, longest duration.</summary>
    public static Comparison<FlowRecord> Comparison(FlowSortOrder order) => order switch
    {
        FlowSortOrder.Bytes => (a, b) => (b.Bytes + b.ReverseBytes).CompareTo(a.Bytes + a.ReverseBytes),
        FlowSortOrder.Packets => (a, b) => (b.Packets + b.ReversePackets).CompareTo(a.Packets + a.ReversePackets),
        FlowSortOrder.Start => (a, b) => a.StartMicros.CompareTo(b.StartMicros),
        FlowSortOrder.Duration => (a, b) => (b.EndMicros - b.StartMicros).CompareTo(a.EndMicros - a.StartMicros),
        _ => (_, _) => 0,
    };
}

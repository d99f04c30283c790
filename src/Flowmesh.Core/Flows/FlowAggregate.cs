namespace Flowmesh.Core.Flows;

/// <summary>
/// Pre-aggregated traffic of one biflow over a window (e.g. an eBPF flow map entry between two drains):
/// the input of <see cref="FlowTable.ObserveAggregate"/>. Directions are relative to <see cref="Key"/>:
/// <see cref="FromLow"/> is what its low endpoint sent.
/// </summary>
public struct FlowAggregate
{
    public FlowKey Key;
    public FlowAggregateDirection FromLow;
    public FlowAggregateDirection FromHigh;

    public readonly long Packets => FromLow.Packets + FromHigh.Packets;

    /// <summary>Time of the newest packet in either direction (the aggregate "arrives" then); long.MinValue when empty.</summary>
    public readonly long LastMicros => Math.Max(
        FromLow.Packets > 0 ? FromLow.LastMicros : long.MinValue,
        FromHigh.Packets > 0 ? FromHigh.LastMicros : long.MinValue);

    /// <summary>Time of the oldest packet in either direction; long.MaxValue when empty.</summary>
    public readonly long FirstMicros => Math.Min(
        FromLow.Packets > 0 ? FromLow.FirstMicros : long.MaxValue,
        FromHigh.Packets > 0 ? FromHigh.FirstMicros : long.MaxValue);
}

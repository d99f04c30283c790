namespace Flowmesh.Core.Epochs;

/// <summary>Exact additive counters: bytes (IP total lengths), packets, and flow records started.</summary>
public readonly record struct TrafficCounters(ulong Bytes, ulong Packets, ulong Flows)
{
    public static TrafficCounters operator +(TrafficCounters a, TrafficCounters b) =>
        new(a.Bytes + b.Bytes, a.Packets + b.Packets, a.Flows + b.Flows);
}

namespace Flowmesh.Core.Flows;

/// <summary>How much of a live record's counters <see cref="FlowTable"/> has already handed out as deltas (per key side).</summary>
internal readonly record struct FlowTableExportMark(long LowPackets, long LowBytes, long HighPackets, long HighBytes);

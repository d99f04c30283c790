namespace Flowmesh.Agent.Drill;

/// <summary>
/// One agent's answer to a <see cref="FlowQuery"/>: its matching flows (largest first), whether more matched than
/// the limit or the reply's byte bound, and the oldest epoch its flow log still holds (null: it holds none, or it
/// keeps no flow log), so the asker can tell "no such flow" from "already pruned".
/// </summary>
internal sealed record FlowQueryReply(IReadOnlyList<FlowRow> Rows, bool Truncated, bool LogDisabled, long? OldestEpochMicros);

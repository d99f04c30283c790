namespace Flowmesh.Gossip.Records;

/// <summary>Counts of dropped sync messages, one per <see cref="SyncDropReason"/>. Thread-safe.</summary>
public sealed class SyncDropCounters : ReasonCounters<SyncDropReason>;

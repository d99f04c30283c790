namespace Flowmesh.Gossip.Security;

/// <summary>Counts of refused signed records, one per <see cref="RecordRejection"/>. Thread-safe.</summary>
public sealed class RecordRejectCounters : ReasonCounters<RecordRejection>;

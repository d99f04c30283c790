namespace Flowmesh.Agent.Storage;

/// <summary>What one <see cref="SqliteRecordStore.Prune"/> removed, and the horizon it left.</summary>
public sealed record PruneResult(int RecordsDeleted, long BytesDeleted, long HorizonMicros);

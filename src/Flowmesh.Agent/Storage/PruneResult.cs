namespace Flowmesh.Agent.Storage;

/// <summary>
/// What one <see cref="SqliteRecordStore.Prune"/> removed, and the horizon it left. <paramref name="ForByteBudget"/> of
/// the records went because their origin held more than its fair share of the byte budget (the rest by age).
/// </summary>
public sealed record PruneResult(int RecordsDeleted, long BytesDeleted, long HorizonMicros, int ForByteBudget = 0);

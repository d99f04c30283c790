using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Where a node keeps signed epoch records: its own and every peer's. Records are immutable and single-writer, so
/// the store is a set keyed by <see cref="EpochId"/>: the first copy of an id wins and later copies are duplicates.
/// Thread-safe: the capture loop writes own records while replication sessions read and write.
/// </summary>
public interface IRecordStore
{
    /// <summary>One summary per origin held (records inside retention only).</summary>
    IReadOnlyList<OriginDigest> Digest();

    /// <summary>Every record id held for <paramref name="origin"/>, newest first.</summary>
    IReadOnlyList<EpochId> IdsOf(string origin);

    bool Contains(EpochId id);

    /// <summary>The signed envelope (<c>SignedRecord.Encode()</c>) of a held record, or null.</summary>
    byte[]? Read(EpochId id);

    /// <summary>
    /// Stores an already verified record; durable when this returns. False when the id is already held (a duplicate,
    /// whatever its content: the first copy stays).
    /// </summary>
    bool Write(VerifiedRecord record);

    /// <summary>
    /// Stores several verified records, all durable when this returns; for each, whether it was stored (false: a
    /// duplicate, as for <see cref="Write"/>). The default writes them one by one; a store with transactions commits
    /// them together, so a replication session's records cost one commit, not one each.
    /// </summary>
    IReadOnlyList<bool> WriteAll(IReadOnlyList<VerifiedRecord> records) => [.. records.Select(Write)];

    /// <summary>
    /// Every record id held whose epoch starts in [fromMicros, toMicros), in no particular order. The default lists
    /// every origin's ids; a store with an index on starts answers from it (a view window reads only its own ids).
    /// </summary>
    IReadOnlyList<EpochId> IdsStartingBetween(long fromMicros, long toMicros) =>
        [.. Digest().SelectMany(d => IdsOf(d.Origin)).Where(id => id.StartMicros >= fromMicros && id.StartMicros < toMicros)];

    /// <summary>The start of the oldest record held for <paramref name="origin"/>, or null when none is held.</summary>
    long? OldestStartOf(string origin) => IdsOf(origin) is { Count: > 0 } ids ? ids.Min(id => id.StartMicros) : null;
}

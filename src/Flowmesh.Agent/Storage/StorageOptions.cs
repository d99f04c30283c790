using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Storage;

/// <summary>Every tunable of the agent's database, with its default.</summary>
public sealed record StorageOptions
{
    /// <summary>
    /// How long records are kept, per length tier (<see cref="RecordRetention.Default"/>: raw epochs 24 h, 1 min
    /// roll-ups 7 days, 10 min roll-ups 30 days, 1 h roll-ups 90 days). A record whose epoch started longer ago than
    /// its tier keeps records is pruned. The minute roll-ups keep a week of history, long enough that a laptop away
    /// over a weekend can still fetch what it missed; the raw records give recent windows their 10 s detail.
    /// </summary>
    public RecordRetention Retention { get; init; } = RecordRetention.Default;

    /// <summary>
    /// Upper bound on the stored signed envelopes (own and received), in bytes. Beyond it the budget is shared fairly
    /// among the origins held (issue 16): only an origin over its share loses records, its own oldest first (raw
    /// records, which its roll-ups summarise, then the next tier), so no origin can evict another's history.
    /// 512 MiB: a few hundred nodes' day of raw records and their roll-ups on a PC without noticing the disk.
    /// </summary>
    public long MaxRecordBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>
    /// Runs SQLite's <c>PRAGMA quick_check</c> when opening, so a damaged file fails at start with a clear error
    /// instead of at the first unlucky read. Costs one read of the file (about a second for the default 512 MiB).
    /// </summary>
    public bool CheckOnOpen { get; init; } = true;

    /// <summary>
    /// Where an origin's records may lie (issue 16): inside one slot of the epoch grid, non-overlapping, at most
    /// <see cref="EpochSlotRule.MaxPartsPerSlot"/> per slot. A record that breaks it is refused by the store and counted.
    /// </summary>
    public EpochSlotRule Slots { get; init; } = EpochSlotRule.Default;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retention);
        ArgumentNullException.ThrowIfNull(Slots);
        if (MaxRecordBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRecordBytes), MaxRecordBytes, "the record byte budget must be positive");
    }
}

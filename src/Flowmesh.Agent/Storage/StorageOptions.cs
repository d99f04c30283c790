namespace Flowmesh.Agent.Storage;

/// <summary>Every tunable of the agent's database, with its default.</summary>
public sealed record StorageOptions
{
    /// <summary>
    /// Records whose epoch started longer ago than this are pruned. 7 days: a week of history for the global view,
    /// and long enough that a laptop away over a weekend can still fetch what it missed.
    /// </summary>
    public TimeSpan MaxRecordAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Upper bound on the stored signed envelopes (own and received), in bytes; the oldest epochs go first.
    /// 512 MiB: a few hundred nodes' week of per-minute records on a PC without noticing the disk.
    /// </summary>
    public long MaxRecordBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>
    /// Runs SQLite's <c>PRAGMA quick_check</c> when opening, so a damaged file fails at start with a clear error
    /// instead of at the first unlucky read. Costs one read of the file (about a second for the default 512 MiB).
    /// </summary>
    public bool CheckOnOpen { get; init; } = true;

    public void Validate()
    {
        if (MaxRecordAge <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(MaxRecordAge), MaxRecordAge, "the record retention age must be positive");
        if (MaxRecordBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(MaxRecordBytes), MaxRecordBytes, "the record byte budget must be positive");
    }
}

namespace Flowmesh.Agent.Drill;

/// <summary>Every tunable of the local flow log (docs/storage.md, "Exact flow records").</summary>
internal sealed record FlowLogOptions
{
    /// <summary>Rows older than this are deleted: exact flows are for drilling into recent answers, not an archive.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Most rows kept; the oldest whole epochs go first. About 150 bytes of file per row with its indexes.</summary>
    public long MaxRows { get; init; } = 1_000_000;

    /// <summary>Most bytes the file may use (pages in use); beyond it the oldest epochs go, like <see cref="MaxRows"/>.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most flows kept per epoch. A scan or flood creates a flow per probe; beyond this the epoch's further flows are
    /// counted (<see cref="FlowCollector.RowsDropped"/>) but not kept, so an attack cannot fill the disk in one epoch.
    /// </summary>
    public int MaxFlowsPerEpoch { get; init; } = 100_000;

    /// <summary>Sealed epochs waiting for the writer; a slower disk than this drops whole epochs (counted).</summary>
    public int MaxPendingEpochs { get; init; } = 8;
}

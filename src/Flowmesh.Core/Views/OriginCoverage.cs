namespace Flowmesh.Core.Views;

/// <summary>
/// One origin's part in a window: its membership state (null when the caller did not list it), the records used, and
/// which settled epochs (base epoch length, <see cref="GlobalViewOptions.EpochLength"/>) they cover.
/// </summary>
public sealed record OriginCoverage(
    string Origin,
    OriginLiveness? State,
    CoverageStatus Status,
    int Records,
    int SettledEpochs,
    int CoveredEpochs,
    long? NewestEndMicros,
    TimeSpan? NewestDataAge)
{
    /// <summary>Settled epochs of the window without any record of this origin.</summary>
    public int MissingEpochs => Math.Max(0, SettledEpochs - CoveredEpochs);

    /// <summary>True when this origin makes the window incomplete: expected, and some settled epoch has no record.</summary>
    public bool LeavesAGap => Status is CoverageStatus.Gaps or CoverageStatus.Late or CoverageStatus.Missing;
}

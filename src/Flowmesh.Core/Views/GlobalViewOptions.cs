namespace Flowmesh.Core.Views;

/// <summary>Tunables of the global view engine, with their defaults and why.</summary>
public sealed record GlobalViewOptions
{
    /// <summary>
    /// The cluster's base epoch length (<c>EpochSummarizerOptions.EpochLength</c>, default 10 s): coverage is counted
    /// in epochs of this length.
    /// </summary>
    public TimeSpan EpochLength { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after an epoch ends its records may still be on their way (sealing, signing, gossip) before a missing
    /// one counts as missing. 20 s = two 10 s epochs: one anti-entropy round on a LAN is well under that
    /// (docs/membership.md), so a record still absent then is late, not merely in flight.
    /// </summary>
    public TimeSpan SettleDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>At most this many points (1..100,000) in a time series; longer windows use longer buckets (from <see cref="BucketLadder"/>).</summary>
    public int MaxSeriesPoints { get; init; } = 360;

    /// <summary>
    /// A window prefers records that leave its series at least this many points: a roll-up longer than
    /// window / points is replaced by the shorter records it was made from when they are all held (a 5 min window keeps
    /// its 10 s points after the minute roll-ups exist; 24 h reads 1 h roll-ups). 24: an hour-by-hour day.
    /// </summary>
    public int MinSeriesPoints { get; init; } = 24;

    /// <summary>
    /// Bucket lengths a series may use, shortest first; each divides the next so buckets stay aligned across nodes.
    /// 360 points: 1 h at 10 s, 6 h at 1 min, 24 h at 5 min.
    /// </summary>
    public IReadOnlyList<TimeSpan> BucketLadder { get; init; } =
    [
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5),
        TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(3),
        TimeSpan.FromHours(6), TimeSpan.FromDays(1),
    ];

    /// <summary>
    /// The cluster's sketch settings (<see cref="Epochs.EpochRecord.SketchSettingsOf"/>): when set, only records built
    /// with them are merged and the others are listed as conflicts, so no number of records with other settings can
    /// make the view drop the cluster's (issue 16; the agent sets it). Null (files given to <c>flowmesh query</c>, which
    /// have no cluster): the settings most records share.
    /// </summary>
    public string? SketchSettings { get; init; }
    /// <summary>How far two monitored PCs' accounts of their shared traffic may differ (docs/cross-check.md). A <see cref="SlotMergeCache"/> serves one value.</summary>
    public CrossCheckTolerance CrossCheck { get; init; } = CrossCheckTolerance.Default;

    public static GlobalViewOptions Default { get; } = new();

    internal long EpochMicros => UnixMicros.FromDuration(EpochLength);
    internal long SettleMicros => UnixMicros.FromDuration(SettleDelay);

    internal void Validate()
    {
        if (EpochMicros <= 0) throw new ArgumentOutOfRangeException(nameof(EpochLength), EpochLength, "must be positive");
        if (SettleDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(SettleDelay), SettleDelay, "must not be negative");
        if (MinSeriesPoints < 1) throw new ArgumentOutOfRangeException(nameof(MinSeriesPoints), MinSeriesPoints, "at least 1");
        if (MaxSeriesPoints is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(MaxSeriesPoints), MaxSeriesPoints, "1..100,000");
        if (BucketLadder.Count == 0 || BucketLadder.Any(b => b <= TimeSpan.Zero))
            throw new ArgumentOutOfRangeException(nameof(BucketLadder), "needs at least one positive bucket length");
        ArgumentNullException.ThrowIfNull(CrossCheck);
        CrossCheck.Validate();
    }
}

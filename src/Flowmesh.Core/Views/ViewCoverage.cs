using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// What a window's answers are built from: which origins contributed, which expected ones are missing or late, how
/// old the newest data is, what the capture lost, and what was dropped while merging. Every answer carries it.
/// </summary>
public sealed record ViewCoverage
{
    public required ViewWindow Window { get; init; }
    public required long NowMicros { get; init; }

    /// <summary>Every expected origin and every origin that contributed, ordered by name.</summary>
    public required IReadOnlyList<OriginCoverage> Origins { get; init; }

    /// <summary>Expected origins (alive, suspect, dead).</summary>
    public int Expected => Origins.Count(o => o.State is not null and not OriginLiveness.Left);

    /// <summary>Origins with at least one record in the window.</summary>
    public int Contributing => Origins.Count(o => o.Records > 0);

    /// <summary>Expected origins with at least one record in the window.</summary>
    public int ExpectedContributing => Origins.Count(o => o.Records > 0 && o.State is not null and not OriginLiveness.Left);

    /// <summary>Records merged (exactly once each).</summary>
    public required int Records { get; init; }

    /// <summary>Copies of records already present (same id, same content): ignored, as they must be.</summary>
    public required int DuplicatesIgnored { get; init; }

    /// <summary>Records of one origin overlapping a longer record of the same origin that was used instead (roll-ups next to their parts).</summary>
    public required int OverlapsIgnored { get; init; }

    /// <summary>Records that lie partly outside the window (they cannot be split, so they are not counted).</summary>
    public required int StraddlingIgnored { get; init; }

    /// <summary>Why records were refused: same id with other content, or other sketch parameters. Deterministic whatever the arrival order.</summary>
    public required IReadOnlyList<string> Conflicts { get; init; }

    /// <summary>Capture health summed over the merged records.</summary>
    public required CaptureHealth Health { get; init; }

    /// <summary>What "left to peer" sections stood in for owners without a record (docs/global-view.md); empty when all owners were there.</summary>
    public LeftToPeerCoverage LeftToPeer { get; init; } = LeftToPeerCoverage.None;

    /// <summary>Both ends of a flow vouch for it: origins whose accounts of shared traffic disagree with their peers' (docs/cross-check.md).</summary>
    public CrossCheckCoverage CrossCheck { get; init; } = CrossCheckCoverage.None;

    /// <summary>End of the newest merged record; null when nothing contributed.</summary>
    public long? NewestEndMicros { get; init; }

    public TimeSpan? NewestDataAge => NewestEndMicros is { } end ? UnixMicros.ToDuration(Math.Max(0, NowMicros - end)) : null;

    /// <summary>For a zoned node: how much came from per-PC records and how much from zone aggregates; null on a flat node.</summary>
    public ZoneViewCoverage? Zones { get; init; }

    /// <summary>Age of the newest per-PC record (zoned nodes).</summary>
    public TimeSpan? NewestRecordAge => Age(Zones?.NewestRecordEndMicros);

    /// <summary>Age of the newest zone aggregate (zoned nodes).</summary>
    public TimeSpan? NewestAggregateAge => Age(Zones?.NewestAggregateEndMicros);

    private TimeSpan? Age(long? end) => end is { } e ? UnixMicros.ToDuration(Math.Max(0, NowMicros - e)) : null;

    /// <summary>Every expected origin has a record for every settled epoch of the window.</summary>
    public bool IsComplete => !Origins.Any(o => o.LeavesAGap);

    /// <summary>The caveats every number of the window inherits.</summary>
    public Caveats Caveats =>
        (IsComplete ? Caveats.None : Caveats.IncompleteCoverage)
        | (Health.KernelDrops > 0 ? Caveats.CaptureLoss : Caveats.None)
        | (Conflicts.Count > 0 ? Caveats.ConflictingRecords : Caveats.None);

    /// <summary>The origins that contributed, by name.</summary>
    public IReadOnlyList<string> ContributingOrigins => Origins.Where(o => o.Records > 0).Select(o => o.Origin).ToList();

    /// <summary>Expected origins that leave a gap (missing, late or with gaps), by name.</summary>
    public IReadOnlyList<string> IncompleteOrigins => Origins.Where(o => o.LeavesAGap).Select(o => o.Origin).ToList();

    /// <summary>"38 of 40 origins, newest data 4 s old" (plus what is missing or late).</summary>
    public string Summary
    {
        get
        {
            string age = NewestDataAge is { } a ? $"newest data {FormatAge(a)} old" : "no data";
            var parts = new List<string> { $"{ExpectedContributing} of {Expected} origins", age };
            int missing = Origins.Count(o => o.Status == CoverageStatus.Missing);
            int late = Origins.Count(o => o.Status == CoverageStatus.Late);
            int gaps = Origins.Count(o => o.Status == CoverageStatus.Gaps);
            if (missing > 0) parts.Add($"{missing} missing");
            if (late > 0) parts.Add($"{late} late");
            if (gaps > 0) parts.Add($"{gaps} with gaps");
            // A zone aggregate's contents are recorded under "@zone": a part of the answer, not a stranger.
            int unexpected = Origins.Count(o => o.Status == CoverageStatus.Unexpected && (Zones is null || !o.Origin.StartsWith('@')));
            if (unexpected > 0) parts.Add($"{unexpected} not in membership");
            if (Conflicts.Count > 0) parts.Add($"{Conflicts.Count} conflicting records");
            if (Zones is { } z) parts.AddRange(ZoneParts(z));
            return string.Join(", ", parts);
        }
    }

    /// <summary>"per-PC records of 5 origins (newest 4 s old), aggregates of 3 zones with 81 origin records (newest 38 s old)".</summary>
    private IEnumerable<string> ZoneParts(ZoneViewCoverage z)
    {
        yield return $"per-PC records of {z.RecordOrigins} origins" + (NewestRecordAge is { } r ? $" (newest {FormatAge(r)} old)" : "");
        yield return z.Aggregates == 0 ? "no zone aggregates"
            : $"aggregates of {z.Zones.Count} zone{(z.Zones.Count == 1 ? "" : "s")} with {z.AggregatedRecords} origin records" + (NewestAggregateAge is { } a ? $" (newest {FormatAge(a)} old)" : "");
        if (z.MissingFromAggregates.Count > 0) yield return $"{z.MissingFromAggregates.Count} missing from their zone's aggregates";
        if (z.RecordsLeftOut > 0) yield return $"{z.RecordsLeftOut} records of other zones left out";
    }

    private static string FormatAge(TimeSpan age) =>
        age.TotalSeconds < 120 ? $"{age.TotalSeconds:0} s" : age.TotalMinutes < 120 ? $"{age.TotalMinutes:0} min" : $"{age.TotalHours:0.#} h";
}

/// <summary>
/// Traffic counted from other origins' "left to peer" sections because its owner had no record for the epoch: the
/// owner's conversations with monitored peers are still counted once; its traffic with unmonitored hosts is not (the
/// owner's gap in <see cref="ViewCoverage.Origins"/> says so). Unlisted bytes/packets are in the totals but in no
/// sketch, so they widen every top-list bound. <see cref="StaleOwners"/>: owners that had a record but announced
/// neither address of some flows left to them (the origin's knowledge was stale); those listed flows are counted too.
/// </summary>
public sealed record LeftToPeerCoverage(int SectionsUsed, IReadOnlyList<string> MissingOwners, ulong Bytes, ulong Packets, ulong UnlistedBytes, ulong UnlistedPackets, int DuplicatesIgnored)
{
    public static LeftToPeerCoverage None { get; } = new(0, [], 0, 0, 0, 0, 0);

    public IReadOnlyList<string> StaleOwners { get; init; } = [];

    /// <summary>
    /// Traffic that an origin counted in an epoch in which another agent owned and counted it too (the origin learned
    /// of that agent's address late), taken out of the totals once; still in the sketches, so top-list lower bounds
    /// are widened by it. <see cref="LateOwners"/>: the agents whose addresses were learned late.
    /// </summary>
    public ulong CountedTwiceBytes { get; init; }
    public ulong CountedTwicePackets { get; init; }
    public IReadOnlyList<string> LateOwners { get; init; } = [];
}

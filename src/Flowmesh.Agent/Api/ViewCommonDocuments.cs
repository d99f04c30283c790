namespace Flowmesh.Agent.Api;

/// <summary>A window as ISO-8601 UTC instants: [from, to).</summary>
internal sealed record WindowDocument(string From, string To);

/// <summary>
/// A number with its bound: the truth over the covered traffic lies in [lower, upper]. <c>exact</c> is true only when
/// the number carries no caveat at all; <c>trusted</c> is false when it must be shown as doubtful (docs/global-view.md).
/// </summary>
internal sealed record MeasuredDocument(double Value, double Error, double Lower, double Upper, bool Exact, bool Trusted, IReadOnlyList<string> Caveats);

/// <summary>Who contributed to an answer, who is missing or late, and how old the newest data is.</summary>
internal sealed record CoverageDocument(
    string Summary,
    bool Complete,
    int Expected,
    int Contributing,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Late,
    IReadOnlyList<string> Gaps,
    double? NewestAgeSeconds,
    IReadOnlyList<string> Caveats,
    IReadOnlyList<string> Conflicts,
    int Records)
{
    /// <summary>Set when other origins' "left to peer" sections stood in for owners without a record (docs/global-view.md).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public LeftToPeerDocument? LeftToPeer { get; init; }
    public CountedTwiceDocument? CountedTwice { get; init; }

    /// <summary>Set when monitored PCs' accounts of their shared traffic were compared (docs/cross-check.md).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public CrossCheckDocument? CrossCheck { get; init; }

    /// <summary>Set on an agent that replicates by zone: how much came from per-PC records and from zone aggregates, and how old each part is (docs/zones.md).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ZoneCoverageDocument? Zones { get; init; }
}

/// <summary>
/// A zoned agent's two parts of an answer: per-PC records (its leaf zone, and records of others it holds and no
/// aggregate replaced) and the aggregates of the other zones (<c>aggregatedOrigins</c> lists the PCs the aggregates
/// name; an upper zone's aggregate names its child zones, so its PCs are counted in <c>aggregatedRecords</c> only).
/// </summary>
internal sealed record ZoneCoverageDocument(
    int RecordOrigins,
    int Records,
    double? NewestRecordAgeSeconds,
    IReadOnlyList<string> Zones,
    int Aggregates,
    long AggregatedRecords,
    IReadOnlyList<string> AggregatedOrigins,
    double? NewestAggregateAgeSeconds,
    int RecordsLeftOut,
    IReadOnlyList<string> MissingFromAggregates,
    int LeftSectionsResolved);

/// <summary>
/// Traffic an origin counted in epochs in which another agent (<c>lateOwners</c>) owned and counted it too, because the
/// origin learned of that agent's address late: taken out of the totals once, and widening every top list's lower bound.
/// </summary>
internal sealed record CountedTwiceDocument(double Bytes, double Packets, IReadOnlyList<string> LateOwners);

/// <summary>
/// Traffic counted from peers' "left to peer" sections because its owners had no record: <c>missingOwners</c>' flows
/// with monitored peers are counted once; their traffic with unmonitored hosts is missing (see <c>gaps</c>/<c>missing</c>).
/// <c>unlistedBytes</c> is in the totals but no top list, so every top-list bound includes it. <c>staleOwners</c>: owners
/// whose record announced neither address of flows left to them (the leaving peer's map was stale); those flows count.
/// </summary>
internal sealed record LeftToPeerDocument(IReadOnlyList<string> MissingOwners, int Sections, double Bytes, double Packets, double UnlistedBytes, double UnlistedPackets, IReadOnlyList<string> StaleOwners);

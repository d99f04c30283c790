namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/top: the heaviest keys with bounds; any key not listed weighs at most <c>unlistedBound</c>.</summary>
internal sealed record TopResponse(
    string By,
    string Measure,
    WindowDocument Window,
    CoverageDocument Coverage,
    MeasuredDocument Total,
    double UnlistedBound,
    IReadOnlyList<TopEntry> Entries)
{
    /// <summary>"included" (default) or "excluded": whether Flowmesh's own traffic is in the entries and the total (query monitor=).</summary>
    public string Monitor { get; init; } = "included";
}

/// <summary>
/// One key. <c>value</c> is the ranked measure; <c>bytes</c>/<c>packets</c> (with their errors) are given when the key
/// is listed for that measure too, null otherwise (unknown, not zero). <c>exact</c> and <c>trusted</c> refer to the
/// ranked measure.
/// </summary>
internal sealed record TopEntry(
    string Key,
    MeasuredDocument Value,
    double? Bytes,
    double? BytesError,
    double? Packets,
    double? PacketsError,
    double Share,
    bool Exact,
    bool Trusted);

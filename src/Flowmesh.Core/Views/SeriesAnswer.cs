namespace Flowmesh.Core.Views;

/// <summary>
/// One bucket of a time series: exact sums of the records that start in [Start, Start + Length). Complete is false
/// when an expected origin has no record for a settled epoch of the bucket; Settled is false while the bucket's
/// newest epochs may still be on their way (those epochs are not counted as missing).
/// </summary>
public sealed record SeriesPoint(
    long StartMicros,
    long LengthMicros,
    Measured Bytes,
    Measured Packets,
    Measured Flows,
    Measured BitsPerSecond,
    Measured PacketsPerSecond,
    int Origins,
    bool Complete,
    bool Settled);

/// <summary>Traffic over time: one point per bucket of the window, oldest first, empty buckets included (as zeros).</summary>
public sealed record SeriesAnswer(TimeSpan Bucket, IReadOnlyList<SeriesPoint> Points, ViewCoverage Coverage);

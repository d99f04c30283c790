using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>Exact per-protocol totals of a window.</summary>
public sealed record ProtocolTotals(ProtocolClass Protocol, Measured Bytes, Measured Packets, Measured Flows);

/// <summary>
/// Totals of a window: exact counters (bound 0) of the covered traffic, and average rates over the span the merged
/// records cover (first record start to last record end), so a window only partly filled with data is not diluted.
/// </summary>
public sealed record TotalsAnswer(
    Measured Bytes,
    Measured Packets,
    Measured Flows,
    IReadOnlyList<ProtocolTotals> ByProtocol,
    TimeSpan DataSpan,
    Measured BitsPerSecond,
    Measured PacketsPerSecond,
    ViewCoverage Coverage);

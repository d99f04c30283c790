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
    ViewCoverage Coverage)
{
    /// <summary>
    /// Flowmesh's own traffic (gossip, record sync, drill-down, discovery), already included in the totals above: exact
    /// over the records that recognized it (docs/global-view.md, "monitor traffic").
    /// </summary>
    public MonitorTotals Monitor { get; init; } = new(Measured.Of(0, 0, Caveats.None), Measured.Of(0, 0, Caveats.None), Measured.Of(0, 0, Caveats.None));
}

/// <summary>The monitor's own share of a window's totals.</summary>
public sealed record MonitorTotals(Measured Bytes, Measured Packets, Measured Flows);

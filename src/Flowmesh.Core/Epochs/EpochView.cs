namespace Flowmesh.Core.Epochs;

/// <summary>
/// Answers over a set of records merged exactly once (built by <see cref="EpochRecordSet.Merge"/>). Every number
/// comes with its error bound in the same unit.
/// </summary>
public sealed class EpochView
{
    private readonly EpochContents _merged;

    internal EpochView(EpochContents merged, IReadOnlyList<EpochId> coverage)
    {
        _merged = merged;
        Coverage = coverage;
        Totals = new EpochTotals(merged.ByProtocol);
    }

    /// <summary>The records that contributed, by origin then start.</summary>
    public IReadOnlyList<EpochId> Coverage { get; }

    /// <summary>Exact.</summary>
    public EpochTotals Totals { get; }

    public CaptureHealth Health => _merged.Health;

    /// <summary>Heaviest keys by their upper bound. A key not listed weighs at most <see cref="TopUntrackedBound"/>.</summary>
    public IReadOnlyList<TopEntry> Top(TopDimension dimension, TrafficMeasure measure, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return _merged.Top[EpochContents.TopIndex(dimension, measure)].Items()
            .Take(limit)
            .Select(h => new TopEntry(TrafficKey.Decode(h.Key), h.Lower, h.Upper))
            .ToList();
    }

    /// <summary>U of the merged Space-Saving summary: no unlisted key weighs more (at most N/k).</summary>
    public ulong TopUntrackedBound(TopDimension dimension, TrafficMeasure measure) =>
        _merged.Top[EpochContents.TopIndex(dimension, measure)].UntrackedBound;

    public DistinctEstimate Distinct(DistinctKind kind)
    {
        var hll = _merged.Distinct[(int)kind];
        double estimate = hll.Estimate();
        return hll.IsSparse
            ? new DistinctEstimate(Math.Round(estimate), 1, Exact: true)
            : new DistinctEstimate(estimate, 3 * hll.RelativeStandardError * estimate, Exact: false);
    }

    /// <summary>Keys whose spread estimate reaches <paramref name="minimum"/>, largest first.</summary>
    public IReadOnlyList<SpreadEntry> Spread(SpreadKind kind, double minimum)
    {
        var sketch = _merged.Spread[(int)kind];
        double floor = sketch.DetectionFloor;
        double relative = 3 * sketch.BucketRelativeStandardError;
        return sketch.KeysAtOrAbove(minimum)
            .Select(c => new SpreadEntry(kind, TrafficKey.Decode(c.Key), c.Estimate, relative * c.Estimate + floor))
            .ToList();
    }

    /// <summary>Spread below which answers are mostly noise at the current load (the sketch's detection floor).</summary>
    public double SpreadDetectionFloor(SpreadKind kind) => _merged.Spread[(int)kind].DetectionFloor;

    /// <summary>The heaviest subnet-to-subnet cells by upper bytes.</summary>
    public IReadOnlyList<MatrixCell> Matrix(int limit) =>
        _merged.Matrix.Cells.OrderByDescending(c => c.BytesUpper).ThenBy(c => c.Source.Network).ThenBy(c => c.Destination.Network).Take(limit).ToList();

    /// <summary>Traffic attributed to no cell's lower bound.</summary>
    public (ulong Bytes, ulong Packets) MatrixRemainder => (_merged.Matrix.RemainderBytes, _merged.Matrix.RemainderPackets);
}

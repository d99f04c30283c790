namespace Flowmesh.Core.Epochs;

/// <summary>
/// Sketch sizes of an epoch record. Records merge only with records of the same sizes and hash key (the sketches
/// refuse otherwise), so a cluster uses one setting. The defaults keep the worst-case record under 64 KiB
/// (docs/epoch-records.md has the arithmetic; <c>EpochRecordSizeTests</c> checks it).
/// </summary>
public sealed record EpochSummaryOptions
{
    /// <summary>
    /// Space-Saving capacity k of each top-talker summary: any key heavier than N/k is always listed, and every
    /// listed weight is within N/k (N = the summary's total). 64 gives 1.6 % of the epoch's traffic.
    /// </summary>
    public int TopCapacity { get; init; } = 64;

    /// <summary>HyperLogLog precision of the distinct counters: 12 gives 1.63 % standard error, 3 KiB dense.</summary>
    public int DistinctPrecision { get; init; } = 12;

    public int SpreadDepth { get; init; } = 3;

    /// <summary>Buckets per spread row. 32 (half the sketch default) keeps three spread sketches at 22 KiB; a PC's epoch has far fewer distinct pairs than the characterized networks.</summary>
    public int SpreadWidth { get; init; } = 32;

    public int SpreadRegisters { get; init; } = 64;

    /// <summary>Subnet-matrix cells kept exactly in a record; the rest is one remainder.</summary>
    public int MatrixCells { get; init; } = 64;

    /// <summary>Cells tracked exactly while an epoch is open; traffic of cells beyond this goes straight to the remainder (bounds memory).</summary>
    public int MatrixWorkingCells { get; init; } = 4096;

    public static EpochSummaryOptions Default { get; } = new();

    internal void Validate()
    {
        if (TopCapacity is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(TopCapacity), TopCapacity, "1..4096");
        if (MatrixCells is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(MatrixCells), MatrixCells, "1..4096");
        if (MatrixWorkingCells < MatrixCells) throw new ArgumentOutOfRangeException(nameof(MatrixWorkingCells), MatrixWorkingCells, "at least MatrixCells");
    }
}

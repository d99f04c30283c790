namespace Flowmesh.Core.Epochs;

/// <summary>
/// Rolls short records of one origin up into longer ones (10 s into 1 min, 1 min into 1 h). Additive merging is
/// correct here because one origin's records cover disjoint intervals; the records pass through an
/// <see cref="EpochRecordSet"/> first, so duplicates are dropped and overlaps refused.
/// </summary>
/// <remarks>
/// Totals, the matrix total and the top-talker totals of a roll-up equal those of a summary built directly over
/// the long epoch; distinct counts and spread sketches are bit-identical (their merges are exact unions);
/// top-talker and matrix bounds stay true but are wider than a direct summary's.
/// </remarks>
public static class EpochRollup
{
    /// <summary>One record per target epoch (aligned to multiples of <paramref name="lengthMicros"/> since the Unix epoch) that has input.</summary>
    public static IReadOnlyList<EpochRecord> RollUp(IEnumerable<EpochRecord> records, long lengthMicros)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lengthMicros, 0);
        var set = new EpochRecordSet();
        string? origin = null;
        foreach (var record in records)
        {
            origin ??= record.Id.Origin;
            if (record.Id.Origin != origin)
                throw new ArgumentException($"A roll-up takes one origin's records; got {origin} and {record.Id.Origin}. Merge origins with EpochRecordSet.");
            if (AlignDown(record.Id.StartMicros, lengthMicros) != AlignDown(record.Id.EndMicros - 1, lengthMicros))
                throw new ArgumentException($"Record {record.Id} straddles a boundary of the {lengthMicros} µs target epochs.");
            set.Add(record);
        }
        return set.Records
            .GroupBy(r => AlignDown(r.Id.StartMicros, lengthMicros))
            .Select(g => EpochRecord.FromContents(new EpochId(origin!, g.Key, lengthMicros), EpochRecordSet.MergeContents(g.ToList())))
            .ToList();
    }

    /// <summary>The start of the epoch of length <paramref name="lengthMicros"/> that contains <paramref name="micros"/>.</summary>
    public static long AlignDown(long micros, long lengthMicros)
    {
        long remainder = micros % lengthMicros;
        return remainder < 0 ? micros - remainder - lengthMicros : micros - remainder;
    }
}

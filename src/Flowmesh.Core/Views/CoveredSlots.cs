using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// The settled epoch slots one origin's chosen records touch, as sorted disjoint runs of slots rather than one entry
/// per slot: a 1 h roll-up covers 360 slots of 10 s, and a day of 1,000 origins' roll-ups would otherwise mean
/// millions of set entries per view. A slot counts as covered when any record overlaps it (a partial-epoch record
/// covers its slot, as before).
/// </summary>
internal sealed class CoveredSlots
{
    private readonly long _epoch;
    private readonly List<(long Start, long End)> _runs = []; // slot starts, [Start, End), sorted, disjoint, not adjacent

    /// <param name="records">One origin's records, sorted by start and pairwise disjoint (as <see cref="WindowSelection"/> chooses them).</param>
    public CoveredSlots(IEnumerable<EpochRecord> records, long epochMicros, long firstSlot, long settledEnd)
    {
        _epoch = epochMicros;
        foreach (var r in records)
        {
            long start = Math.Max(firstSlot, EpochRollup.AlignDown(r.Id.StartMicros, epochMicros));
            long end = Math.Min(settledEnd, AlignUp(r.Id.EndMicros, epochMicros));
            if (start >= end) continue;
            if (_runs.Count > 0 && start <= _runs[^1].End)
                _runs[^1] = (_runs[^1].Start, Math.Max(_runs[^1].End, end));
            else
                _runs.Add((start, end));
        }
    }

    /// <summary>Covered slots at or after <paramref name="fromSlot"/>.</summary>
    public int CountFrom(long fromSlot)
    {
        long slots = 0;
        foreach (var (start, end) in _runs)
            if (end > fromSlot) slots += (end - Math.Max(start, fromSlot)) / _epoch;
        return (int)slots;
    }

    public bool Contains(long slot)
    {
        int low = 0, high = _runs.Count - 1;
        while (low <= high)
        {
            int middle = (low + high) >>> 1;
            var (start, end) = _runs[middle];
            if (slot < start) high = middle - 1;
            else if (slot >= end) low = middle + 1;
            else return true;
        }
        return false;
    }

    private static long AlignUp(long micros, long epoch)
    {
        long down = EpochRollup.AlignDown(micros, epoch);
        return down == micros || down > long.MaxValue - epoch ? down : down + epoch;
    }
}

using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// Merges a window's chosen records slot by slot, so that a rebuilt window merges again only the slots whose records
/// changed (<see cref="SlotMergeCache"/>). The window is cut into slots aligned to a ladder of lengths (the epoch, 1 min,
/// 10 min, 1 h, 1 day; each a multiple of the one before), every slot as long as its alignment and the window allow:
/// a trailing 5 min window of 10 s epochs is a few 10 s slots at each edge and 1 min slots between; a day is mostly
/// hours. A slot is merged from the slots one rung shorter when every record in it fits in one of them (a 1 min slot of
/// 10 s records is the merge of six 10 s slots), else from its records (a 1 h slot of 1 h roll-ups).
/// <para>
/// Exactly once: every record lies in exactly one slot at each level. Count-once: a slot holds every chosen record of
/// the epochs it covers, whatever the origin, so its "left to peer" decisions are the window's (<see cref="SlotMerge"/>).
/// When a record straddles the slots (its interval is not aligned to the ladder, as records from a file may be), or the
/// window is not epoch-aligned, the whole window is one slot, merged from its records, as before slots existed.
/// </para>
/// <para>
/// The result depends only on the records and the window, never on what the cache held: a cached slot is used only
/// when it was merged from the very same records (compared one by one), and the same records are always merged in the
/// same order and grouping. A cached and an uncached build are therefore identical.
/// </para>
/// </summary>
internal static class WindowSlots
{
    private static readonly long[] Rungs = [60_000_000, 600_000_000, 3_600_000_000, 86_400_000_000];

    /// <summary>Beyond this many top-level slots (an epoch that fits no rung, over a long window) the window is one slot.</summary>
    private const int MaxSlots = 4096;

    /// <summary>The slot lengths for <paramref name="epochMicros"/>: the epoch, then each rung that is a multiple of the last.</summary>
    public static long[] Ladder(long epochMicros)
    {
        var ladder = new List<long> { epochMicros };
        foreach (long rung in Rungs)
            if (rung > ladder[^1] && rung % ladder[^1] == 0) ladder.Add(rung);
        return [.. ladder];
    }

    /// <summary>
    /// The window's records (sorted by origin then start, per origin disjoint, all inside the window) merged slot by slot;
    /// null when there are none.
    /// </summary>
    public static SlotMerge? Merge(IReadOnlyList<EpochRecord> records, ViewWindow window, long epochMicros, SlotMergeCache? cache, CrossCheckTolerance? tolerance = null)
    {
        if (records.Count == 0) return null;
        var ladder = Ladder(epochMicros);
        var slots = Partition(window, ladder);
        List<EpochRecord>[]? assigned = slots is null ? null : Assign(records, slots);
        if (slots is null || assigned is null)
            return Slot(new SlotKey(window.FromMicros, window.LengthMicros, epochMicros), -1, records, ladder, cache, tolerance);
        var parts = new List<SlotMerge>();
        for (int i = 0; i < slots.Count; i++)
        {
            if (assigned[i].Count == 0) continue;
            var (start, length) = slots[i];
            parts.Add(Slot(new SlotKey(start, length, epochMicros), Array.IndexOf(ladder, length), assigned[i], ladder, cache, tolerance));
        }
        return SlotMerge.FromParts(parts);
    }

    /// <summary>
    /// The window cut into ladder-aligned slots, each the longest rung aligned at its start that still ends inside the
    /// window; null when the window's ends are not epoch-aligned or the slots would be too many.
    /// </summary>
    internal static List<(long Start, long Length)>? Partition(ViewWindow window, long[] ladder)
    {
        long epoch = ladder[0];
        if (EpochRollup.AlignDown(window.FromMicros, epoch) != window.FromMicros || EpochRollup.AlignDown(window.ToMicros, epoch) != window.ToMicros)
            return null;
        var slots = new List<(long, long)>();
        for (long at = window.FromMicros; at < window.ToMicros;)
        {
            long length = epoch;
            foreach (long rung in ladder)
                if (EpochRollup.AlignDown(at, rung) == at && rung <= window.ToMicros - at) length = rung;
            slots.Add((at, length));
            if (slots.Count > MaxSlots) return null;
            at += length;
        }
        return slots;
    }

    /// <summary>Each record in the slot that holds it (order kept); null when one straddles two slots.</summary>
    private static List<EpochRecord>[]? Assign(IReadOnlyList<EpochRecord> records, List<(long Start, long Length)> slots)
    {
        var assigned = new List<EpochRecord>[slots.Count];
        for (int i = 0; i < assigned.Length; i++) assigned[i] = [];
        foreach (var record in records)
        {
            int index = FindSlot(slots, record.Id.StartMicros);
            if (index < 0 || record.Id.EndMicros > slots[index].Start + slots[index].Length) return null;
            assigned[index].Add(record);
        }
        return assigned;
    }

    private static int FindSlot(List<(long Start, long Length)> slots, long micros)
    {
        int low = 0, high = slots.Count - 1;
        while (low <= high)
        {
            int mid = (low + high) >>> 1;
            var (start, length) = slots[mid];
            if (micros < start) high = mid - 1;
            else if (micros >= start + length) low = mid + 1;
            else return mid;
        }
        return -1;
    }

    /// <summary>
    /// One slot: from the cache when it holds this slot merged from the same records, else merged from the slots one
    /// rung shorter (when every record fits in one) or from the records, and offered to the cache.
    /// </summary>
    private static SlotMerge Slot(SlotKey key, int rung, IReadOnlyList<EpochRecord> records, long[] ladder, SlotMergeCache? cache, CrossCheckTolerance? tolerance)
    {
        if (cache?.Find(key, records) is { } cached) return cached;
        SlotMerge merged;
        var children = rung > 0 ? Split(records, ladder[rung - 1]) : null;
        if (children is null)
        {
            merged = SlotMerge.FromRecords(records, key.StartMicros, key.LengthMicros, key.EpochMicros, tolerance);
            cache?.CountRecordsMerged(records.Count);
        }
        else
        {
            var parts = new List<SlotMerge>(children.Count);
            foreach (var (start, part) in children)
                parts.Add(Slot(new SlotKey(start, ladder[rung - 1], key.EpochMicros), rung - 1, part, ladder, cache, tolerance));
            merged = SlotMerge.FromParts(parts);
        }
        cache?.Keep(key, records, merged);
        return merged;
    }

    /// <summary>The records grouped by the slot of <paramref name="length"/> holding each, by start (order kept); null when one straddles two.</summary>
    private static List<(long Start, List<EpochRecord> Records)>? Split(IReadOnlyList<EpochRecord> records, long length)
    {
        var byStart = new Dictionary<long, List<EpochRecord>>();
        foreach (var record in records)
        {
            long start = EpochRollup.AlignDown(record.Id.StartMicros, length);
            if (EpochRollup.AlignDown(record.Id.EndMicros - 1, length) != start) return null;
            if (!byStart.TryGetValue(start, out var list)) byStart[start] = list = [];
            list.Add(record);
        }
        var result = byStart.Select(p => (p.Key, p.Value)).ToList();
        result.Sort((a, b) => a.Key.CompareTo(b.Key));
        return result;
    }
}

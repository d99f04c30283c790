using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// Merged slots kept between builds of <see cref="GlobalView"/> (<see cref="WindowSlots"/>), so a window rebuilt every
/// epoch merges each record about once instead of once per rebuild, and windows that share slots (the last 1 and 5 min)
/// share their merges. An entry is used only for the very records it was merged from: the slot's chosen records are
/// compared one by one (the same instance, or the same id and content hash), so a late record, a record superseded by a
/// roll-up, or one pruned by retention changes the slot's records and that slot alone is merged again; nothing has to
/// tell the cache about writes. Bounded (least recently used go first); thread-safe (two builds may merge one slot at
/// once, and either result is the same).
/// </summary>
public sealed class SlotMergeCache
{
    private readonly Dictionary<SlotKey, Entry> _entries = [];
    private readonly Lock _gate = new();
    private long _clock, _hits, _slotsMerged, _recordsMerged;

    /// <param name="capacity">
    /// Slots kept. A slot of a 1,000-origin cluster is one merged record's sketches (tens of KB); the agent's windows
    /// (1 and 5 min, 1 h, 24 h) need about 100.
    /// </param>
    public SlotMergeCache(int capacity = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Slots taken from the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Slots merged and offered to the cache (from records or from shorter slots).</summary>
    public long SlotsMerged => Interlocked.Read(ref _slotsMerged);

    /// <summary>Records merged into slots: what a rebuilt window costs beyond the merge of its slots.</summary>
    public long RecordsMerged => Interlocked.Read(ref _recordsMerged);

    internal SlotMerge? Find(SlotKey key, IReadOnlyList<EpochRecord> records)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var entry) || !SameRecords(entry.Records, records)) return null;
            entry.LastUsed = ++_clock;
            _hits++;
            return entry.Merge;
        }
    }

    internal void Keep(SlotKey key, IReadOnlyList<EpochRecord> records, SlotMerge merge)
    {
        var entry = new Entry([.. records], merge);
        lock (_gate)
        {
            _slotsMerged++;
            entry.LastUsed = ++_clock;
            _entries[key] = entry;
            if (_entries.Count <= Capacity) return;
            var oldest = default(SlotKey);
            long oldestUse = long.MaxValue;
            foreach (var (k, e) in _entries)
                if (e.LastUsed < oldestUse) (oldest, oldestUse) = (k, e.LastUsed);
            _entries.Remove(oldest);
        }
    }

    internal void CountRecordsMerged(int count) => Interlocked.Add(ref _recordsMerged, count);

    private static bool SameRecords(EpochRecord[] kept, IReadOnlyList<EpochRecord> records)
    {
        if (kept.Length != records.Count) return false;
        for (int i = 0; i < kept.Length; i++)
        {
            var a = kept[i];
            var b = records[i];
            if (ReferenceEquals(a, b)) continue;
            if (a.Id != b.Id || !string.Equals(a.ContentHash, b.ContentHash, StringComparison.Ordinal)) return false;
        }
        return true;
    }

    private sealed class Entry(EpochRecord[] records, SlotMerge merge)
    {
        public EpochRecord[] Records { get; } = records;
        public SlotMerge Merge { get; } = merge;
        public long LastUsed;
    }
}

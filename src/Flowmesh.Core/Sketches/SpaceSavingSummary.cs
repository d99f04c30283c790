using System.Buffers;
using System.Numerics;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Weighted Space-Saving heavy-hitter summary (Metwally et al. 2005) that merges per Agarwal et al.,
/// "Mergeable Summaries" (PODS 2012), keeping at most k fixed-length keys.
/// </summary>
/// <remarks>
/// <para>State: for each tracked key an interval [lower, upper] containing its true weight, and one bound U
/// for every untracked key (its weight is at most U). Invariant: (k - n)*U + sum(upper) &lt;= N and every
/// upper &gt;= U, where n keys are tracked and N is the total weight; hence U &lt;= N/k.</para>
/// <para>Guarantee: every key with weight &gt; U, in particular every key above N/k, is tracked and reported,
/// and upper - lower &lt;= U for every tracked key. This holds after any number of merges in any order.</para>
/// <para>Update: a tracked key gets +w on both bounds; a new key takes a free slot with [w, U + w], or evicts the
/// key with the smallest upper bound m, sets U = m (the evicted key weighs at most m) and enters with [w, m + w].
/// Starting from U = 0 this is exactly Space-Saving (upper = count, upper - lower = the classic error).</para>
/// <para>Merge (the Misra-Gries merge of Agarwal et al. transcribed to bounds): each key in either summary gets
/// upper = upper_A + upper_B and lower = lower_A + lower_B, an absent side contributing [0, U_side]. With
/// c = upper - (U_A + U_B), keep the k keys with the largest c and set U = U_A + U_B + the (k+1)-th largest c
/// (0 if there are at most k keys). Every dropped key's upper bound is at most the new U, so all bounds remain
/// true, and the invariant is preserved, so the error never exceeds N/k of the merged stream however deep the
/// merge tree. Not idempotent: merging the same summary twice counts its weight twice.</para>
/// </remarks>
public sealed class SpaceSavingSummary
{
    public const int MaxCapacity = 1 << 16;
    public const int MaxKeyLength = 64;

    private const int InitialSlots = 16;

    // Storage grows by doubling up to Capacity, so a summary (or a deserialized one) costs memory in proportion to
    // the keys it actually holds; once full, updates allocate nothing.
    private readonly SketchHashKey _key;
    private byte[] _keys;     // slot s at [s*KeyLength, (s+1)*KeyLength)
    private ulong[] _hashes;
    private ulong[] _upper;
    private ulong[] _lower;
    private int[] _heap;      // min-heap of slots ordered by _upper
    private int[] _heapPosition;
    private int[] _table;     // open addressing: slot + 1, 0 = empty
    private int _count;

    public SpaceSavingSummary(SketchHashKey key, int capacity, int keyLength)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (capacity is < 1 or > MaxCapacity)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"Capacity must be 1..{MaxCapacity}.");
        if (keyLength is < 1 or > MaxKeyLength)
            throw new ArgumentOutOfRangeException(nameof(keyLength), keyLength, $"Key length must be 1..{MaxKeyLength}.");
        _key = key;
        Capacity = capacity;
        KeyLength = keyLength;
        _keys = [];
        _hashes = [];
        _upper = [];
        _lower = [];
        _heap = [];
        _heapPosition = [];
        _table = [];
        Reserve(Math.Min(capacity, InitialSlots));
    }

    /// <summary>Makes room for <paramref name="slots"/> keys, rehashing the index into a table twice that size.</summary>
    private void Reserve(int slots)
    {
        if (slots <= _hashes.Length)
            return;
        Array.Resize(ref _keys, slots * KeyLength);
        Array.Resize(ref _hashes, slots);
        Array.Resize(ref _upper, slots);
        Array.Resize(ref _lower, slots);
        Array.Resize(ref _heap, slots);
        Array.Resize(ref _heapPosition, slots);
        _table = new int[BitOperations.RoundUpToPowerOf2((uint)slots * 2)];
        for (int slot = 0; slot < _count; slot++)
            Index(slot);
    }

    public int Capacity { get; }
    public int KeyLength { get; }
    public int Count => _count;
    public ulong KeyFingerprint => _key.Fingerprint;
    public ulong TotalWeight { get; private set; }

    /// <summary>U: every untracked key weighs at most this much; never more than N/k.</summary>
    public ulong UntrackedBound { get; private set; }

    public void Add(ReadOnlySpan<byte> key, ulong weight = 1)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"Keys of this summary are {KeyLength} bytes, got {key.Length}.", nameof(key));
        ulong hash = _key.Hash(key);
        TotalWeight += weight;
        int slot = Find(hash, key);
        if (slot >= 0)
        {
            _upper[slot] += weight;
            _lower[slot] += weight;
            SiftDown(_heapPosition[slot]);
            return;
        }
        if (_count < Capacity)
        {
            if (_count == _hashes.Length)
                Reserve(Math.Min(Capacity, 2 * _hashes.Length));
            slot = _count++;
            Store(slot, hash, key, UntrackedBound + weight, weight);
            _heap[slot] = slot;
            _heapPosition[slot] = slot;
            SiftUp(slot);
            return;
        }
        slot = _heap[0];
        UntrackedBound = Math.Max(UntrackedBound, _upper[slot]);
        RemoveFromTable(slot);
        Store(slot, hash, key, UntrackedBound + weight, weight);
        SiftDown(0);
    }

    /// <summary>The interval that contains the true weight of <paramref name="key"/>.</summary>
    public (ulong Lower, ulong Upper) Bounds(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"Keys of this summary are {KeyLength} bytes, got {key.Length}.", nameof(key));
        int slot = Find(_key.Hash(key), key);
        return slot >= 0 ? (_lower[slot], _upper[slot]) : (0, UntrackedBound);
    }

    /// <summary>
    /// Every tracked key whose upper bound reaches <paramref name="threshold"/>, heaviest first. No key with true
    /// weight &gt;= threshold is missing when threshold &gt; <see cref="UntrackedBound"/> (always true above N/k).
    /// </summary>
    public List<HeavyHitter> HeavyHitters(ulong threshold)
    {
        var result = new List<HeavyHitter>();
        for (int slot = 0; slot < _count; slot++)
        {
            if (_upper[slot] >= threshold)
                result.Add(new HeavyHitter(KeyAt(slot).ToArray(), _lower[slot], _upper[slot]));
        }
        result.Sort((a, b) => b.Upper.CompareTo(a.Upper));
        return result;
    }

    /// <summary>All tracked keys, heaviest upper bound first.</summary>
    public List<HeavyHitter> Items() => HeavyHitters(0);

    public void Merge(SpaceSavingSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Capacity != Capacity || other.KeyLength != KeyLength)
            throw new ArgumentException($"Cannot merge k={other.Capacity}/key {other.KeyLength} B into k={Capacity}/key {KeyLength} B.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge summaries hashed with different keys.", nameof(other));

        ulong baseBound = UntrackedBound + other.UntrackedBound;
        int total = _count + other._count;
        // Candidates in pooled arrays: a view merges every record into its slot and every slot into the window, and
        // these five arrays per list per merge were most of a merge's garbage.
        var candidateKeys = ArrayPool<byte>.Shared.Rent(total * KeyLength);
        var candidateHashes = ArrayPool<ulong>.Shared.Rent(total);
        var upper = ArrayPool<ulong>.Shared.Rent(total);
        var lower = ArrayPool<ulong>.Shared.Rent(total);
        var order = ArrayPool<int>.Shared.Rent(total);
        try
        {
            int n = 0;
            for (int slot = 0; slot < _count; slot++)
            {
                int otherSlot = other.Find(_hashes[slot], KeyAt(slot));
                KeyAt(slot).CopyTo(candidateKeys.AsSpan(n * KeyLength));
                candidateHashes[n] = _hashes[slot];
                upper[n] = _upper[slot] + (otherSlot >= 0 ? other._upper[otherSlot] : other.UntrackedBound);
                lower[n] = _lower[slot] + (otherSlot >= 0 ? other._lower[otherSlot] : 0);
                n++;
            }
            for (int slot = 0; slot < other._count; slot++)
            {
                if (Find(other._hashes[slot], other.KeyAt(slot)) >= 0)
                    continue;
                other.KeyAt(slot).CopyTo(candidateKeys.AsSpan(n * KeyLength));
                candidateHashes[n] = other._hashes[slot];
                upper[n] = other._upper[slot] + UntrackedBound;
                lower[n] = other._lower[slot];
                n++;
            }

            // Largest upper bound (equivalently largest c = upper - baseBound) first; ties by key bytes so the
            // result does not depend on slot order.
            for (int i = 0; i < n; i++)
                order[i] = i;
            order.AsSpan(0, n).Sort(new CandidateOrder(upper, candidateKeys, KeyLength));

            int kept = Math.Min(n, Capacity);
            ulong newBound = n > Capacity ? upper[order[Capacity]] : baseBound;
            ulong newTotal = TotalWeight + other.TotalWeight;

            Array.Clear(_table);
            _count = 0;
            Reserve(kept);
            for (int i = 0; i < kept; i++)
            {
                int c = order[i];
                Store(i, candidateHashes[c], candidateKeys.AsSpan(c * KeyLength, KeyLength), upper[c], lower[c]);
                _count++;
            }
            UntrackedBound = newBound;
            TotalWeight = newTotal;
            RebuildHeap();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(candidateKeys);
            ArrayPool<ulong>.Shared.Return(candidateHashes);
            ArrayPool<ulong>.Shared.Return(upper);
            ArrayPool<ulong>.Shared.Return(lower);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    /// <summary>Merge candidates by upper bound, heaviest first, then by key bytes; a struct, so the sort calls it directly.</summary>
    private readonly struct CandidateOrder(ulong[] upper, byte[] keys, int keyLength) : IComparer<int>
    {
        public int Compare(int a, int b)
        {
            int byUpper = upper[b].CompareTo(upper[a]);
            return byUpper != 0 ? byUpper : keys.AsSpan(a * keyLength, keyLength).SequenceCompareTo(keys.AsSpan(b * keyLength, keyLength));
        }
    }

    public void Clear()
    {
        Array.Clear(_table);
        _count = 0;
        TotalWeight = 0;
        UntrackedBound = 0;
    }

    public int SerializedSize => SketchWriter.Overhead + 26 + _count * (KeyLength + 16);

    /// <summary>
    /// Body layout: u32 capacity k, u16 key length L, u32 tracked count n (&lt;= k), u64 total weight N,
    /// u64 untracked bound U, then n entries sorted by key bytes, each L key bytes, u64 upper, u64 lower.
    /// Typical: k = 1024 with 16-byte keys, full: 32,814 bytes; with 8 tracked keys: 238 bytes.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new byte[SerializedSize];
        var writer = new SketchWriter(output, SketchKind.SpaceSaving, 0, KeyFingerprint);
        writer.WriteUInt32((uint)Capacity);
        writer.WriteUInt16((ushort)KeyLength);
        writer.WriteUInt32((uint)_count);
        writer.WriteUInt64(TotalWeight);
        writer.WriteUInt64(UntrackedBound);
        var order = new int[_count];
        for (int i = 0; i < _count; i++)
            order[i] = i;
        Array.Sort(order, (a, b) => KeyAt(a).SequenceCompareTo(KeyAt(b)));
        foreach (int slot in order)
        {
            writer.WriteBytes(KeyAt(slot));
            writer.WriteUInt64(_upper[slot]);
            writer.WriteUInt64(_lower[slot]);
        }
        writer.Finish();
        return output;
    }

    public static SpaceSavingSummary Deserialize(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        var reader = new SketchReader(data, SketchKind.SpaceSaving, key, SketchWriter.Overhead + 26 + MaxCapacity * (MaxKeyLength + 16));
        if (reader.Flags != 0)
            throw reader.Invalid($"unknown flags {reader.Flags:x4}");
        uint capacity = reader.ReadUInt32();
        int keyLength = reader.ReadUInt16();
        uint count = reader.ReadUInt32();
        ulong total = reader.ReadUInt64();
        ulong bound = reader.ReadUInt64();
        if (capacity is < 1 or > MaxCapacity || keyLength is < 1 or > MaxKeyLength)
            throw reader.Invalid($"invalid capacity {capacity} or key length {keyLength}");
        if (count > capacity)
            throw reader.Invalid($"{count} entries exceed the capacity {capacity}");
        reader.ExpectRemaining((long)count * (keyLength + 16), "entries");
        // The entry count is now backed by input bytes; storage is reserved for those entries only, not for the
        // declared capacity, so a short input cannot make us allocate for 65,536 keys.
        var summary = new SpaceSavingSummary(key, (int)capacity, keyLength);
        summary.Reserve((int)count);
        UInt128 upperSum = 0;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entryKey = reader.ReadBytes(keyLength);
            ulong upper = reader.ReadUInt64();
            ulong lower = reader.ReadUInt64();
            if (lower > upper || upper < bound)
                throw reader.Invalid($"entry {i} has inconsistent bounds [{lower}, {upper}] with untracked bound {bound}");
            if (i > 0 && entryKey.SequenceCompareTo(summary.KeyAt(i - 1)) <= 0)
                throw reader.Invalid("entries are not in strictly increasing key order");
            summary.Store(i, key.Hash(entryKey), entryKey, upper, lower);
            summary._count++;
            upperSum += upper;
        }
        if ((UInt128)(capacity - count) * bound + upperSum > total)
            throw reader.Invalid($"bounds exceed the total weight {total}: (k - n)*U + sum(upper) must be at most N");
        summary.TotalWeight = total;
        summary.UntrackedBound = bound;
        summary.RebuildHeap();
        return summary;
    }

    private ReadOnlySpan<byte> KeyAt(int slot) => _keys.AsSpan(slot * KeyLength, KeyLength);

    private int Find(ulong hash, ReadOnlySpan<byte> key)
    {
        int mask = _table.Length - 1;
        for (int position = (int)hash & mask; ; position = (position + 1) & mask)
        {
            int entry = _table[position];
            if (entry == 0)
                return -1;
            int slot = entry - 1;
            if (_hashes[slot] == hash && KeyAt(slot).SequenceEqual(key))
                return slot;
        }
    }

    private void Store(int slot, ulong hash, ReadOnlySpan<byte> key, ulong upper, ulong lower)
    {
        key.CopyTo(_keys.AsSpan(slot * KeyLength, KeyLength));
        _hashes[slot] = hash;
        _upper[slot] = upper;
        _lower[slot] = lower;
        Index(slot);
    }

    private void Index(int slot)
    {
        int mask = _table.Length - 1;
        int position = (int)_hashes[slot] & mask;
        while (_table[position] != 0)
            position = (position + 1) & mask;
        _table[position] = slot + 1;
    }

    /// <summary>Backward-shift deletion keeps linear probing correct without tombstones.</summary>
    private void RemoveFromTable(int slot)
    {
        int mask = _table.Length - 1;
        int hole = (int)_hashes[slot] & mask;
        while (_table[hole] != slot + 1)
            hole = (hole + 1) & mask;
        for (int next = (hole + 1) & mask; _table[next] != 0; next = (next + 1) & mask)
        {
            int home = (int)_hashes[_table[next] - 1] & mask;
            if (((next - home) & mask) >= ((next - hole) & mask))
            {
                _table[hole] = _table[next];
                hole = next;
            }
        }
        _table[hole] = 0;
    }

    private void RebuildHeap()
    {
        for (int i = 0; i < _count; i++)
        {
            _heap[i] = i;
            _heapPosition[i] = i;
        }
        for (int i = _count / 2 - 1; i >= 0; i--)
            SiftDown(i);
    }

    private void SiftUp(int position)
    {
        while (position > 0)
        {
            int parent = (position - 1) / 2;
            if (_upper[_heap[parent]] <= _upper[_heap[position]])
                return;
            Swap(position, parent);
            position = parent;
        }
    }

    private void SiftDown(int position)
    {
        while (true)
        {
            int left = 2 * position + 1;
            if (left >= _count)
                return;
            int smallest = left + 1 < _count && _upper[_heap[left + 1]] < _upper[_heap[left]] ? left + 1 : left;
            if (_upper[_heap[position]] <= _upper[_heap[smallest]])
                return;
            Swap(position, smallest);
            position = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (_heap[a], _heap[b]) = (_heap[b], _heap[a]);
        _heapPosition[_heap[a]] = a;
        _heapPosition[_heap[b]] = b;
    }
}

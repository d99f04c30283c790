using System.Buffers;
using System.Buffers.Binary;

namespace Flowmesh.Core.Sketches;

/// <summary>A quantile read from a <see cref="QuantileSketch"/>: the true value of that rank lies in [Lower, Upper].</summary>
public readonly record struct QuantileEstimate(double Value, double Lower, double Upper);

/// <summary>
/// Mergeable quantiles of non-negative integers (RTTs in µs) with relative accuracy: logarithmic buckets as in DDSketch
/// (Masson, Rim, Lee, VLDB 2019), relative accuracy <see cref="RelativeAccuracy"/> = 2 %, at most <see cref="MaxBins"/>
/// buckets (docs/sketches.md "Quantiles").
/// </summary>
/// <remarks>
/// <para>Bucket i ≥ 0 holds the values in (γ^(i−1), γ^i] with γ = (1 + α)/(1 − α); value 0 has a bucket of its own.
/// A quantile is read as 2γ^i/(γ + 1) from the bucket that holds the element of rank ⌊q·(n − 1)⌋, which lies within
/// α of every value in that bucket: |estimate − truth| ≤ α · truth.</para>
/// <para>Bounded: buckets more than <see cref="MaxBins"/> − 1 below the bucket of the largest value are folded into
/// the lowest kept bucket (DDSketch's "collapsing lowest"). The fold depends only on the largest value, so the sketch
/// is a function of the multiset of values: a merge (bucket-wise sum, then the fold) is bit-identical to the sketch of
/// the union, in any order and tree. Quantiles in a folded bucket keep a true but wider bound, [exact minimum, bucket
/// top]; with 128 buckets, only values below 1/160 of the largest are folded.</para>
/// </remarks>
public sealed class QuantileSketch
{
    public const double RelativeAccuracy = 0.02;
    public const int MaxBins = 128;
    /// <summary>Larger values are clamped to this (2^40 µs, about 12.7 days): keeps every index in 16 bits.</summary>
    public const ulong MaxValue = 1UL << 40;
    /// <summary>No merged sketch counts more than this; decoding refuses larger counts, so sums never overflow.</summary>
    public const ulong MaxCount = 1UL << 56;

    private static readonly double Gamma = (1 + RelativeAccuracy) / (1 - RelativeAccuracy);
    private static readonly double LogGamma = Math.Log(Gamma);

    // Counts of buckets [_lowest, _lowest + MaxBins), by offset; grown on demand. Only meaningful when NonZeroCount > 0.
    private readonly ulong[] _bins = new ulong[MaxBins];
    private int _lowest;

    public ulong Count { get; private set; }
    public ulong ZeroCount { get; private set; }
    /// <summary>Exact smallest and largest value added (0 when empty).</summary>
    public ulong Min { get; private set; }
    public ulong Max { get; private set; }
    private ulong NonZeroCount => Count - ZeroCount;

    /// <summary>The bucket of a value ≥ 1: ⌈log_γ value⌉.</summary>
    public static int IndexOf(ulong value) => value <= 1 ? 0 : (int)Math.Ceiling(Math.Log(value) / LogGamma);

    private static double BucketTop(int index) => Math.Pow(Gamma, index);

    public void Add(ulong value, ulong count = 1)
    {
        if (count == 0) return;
        value = Math.Min(value, MaxValue);
        Min = Count == 0 ? value : Math.Min(Min, value);
        Max = Count == 0 ? value : Math.Max(Max, value);
        Count += count;
        if (value == 0)
        {
            ZeroCount += count;
            return;
        }
        AddToBucket(IndexOf(value), count);
    }

    /// <summary>Adds to bucket <paramref name="index"/>, moving the window up (and folding) when it is above it.</summary>
    private void AddToBucket(int index, ulong count)
    {
        if (NonZeroCount == count) // the first non-zero value: the window starts here
        {
            Array.Clear(_bins);
            _lowest = index;
        }
        else if (index < _lowest)
        {
            int floor = IndexOf(Max) - (MaxBins - 1);
            if (index < floor) index = floor; // folded into the lowest bucket the largest value allows
            if (index < _lowest) Shift(_lowest - index);
        }
        else if (index >= _lowest + MaxBins) Fold(index - (MaxBins - 1));
        _bins[index - _lowest] += count;
    }

    /// <summary>Moves the window down by <paramref name="by"/> buckets (room below; nothing is folded).</summary>
    private void Shift(int by)
    {
        Array.Copy(_bins, 0, _bins, by, MaxBins - by);
        Array.Clear(_bins, 0, by);
        _lowest -= by;
    }

    /// <summary>Moves the window up so it starts at <paramref name="newLowest"/>; buckets below go into the new lowest one.</summary>
    private void Fold(int newLowest)
    {
        int by = newLowest - _lowest;
        if (by <= 0) return;
        ulong folded = 0;
        for (int i = 0; i < Math.Min(by, MaxBins); i++) folded += _bins[i];
        if (by < MaxBins)
        {
            Array.Copy(_bins, by, _bins, 0, MaxBins - by);
            Array.Clear(_bins, MaxBins - by, by);
        }
        else Array.Clear(_bins);
        _bins[0] += folded;
        _lowest = newLowest;
    }

    public void Merge(QuantileSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Count == 0) return;
        if (Count + other.Count > MaxCount) throw new ArgumentException($"A merged quantile sketch counts at most {MaxCount} values.", nameof(other));
        ulong nonZeroBefore = NonZeroCount;
        Min = Count == 0 ? other.Min : Math.Min(Min, other.Min);
        Max = Count == 0 ? other.Max : Math.Max(Max, other.Max);
        Count += other.Count;
        ZeroCount += other.ZeroCount;
        if (other.NonZeroCount == 0) return;
        if (nonZeroBefore == 0)
        {
            Array.Copy(other._bins, _bins, MaxBins);
            _lowest = other._lowest;
            return;
        }
        // The window's top is the bucket of the larger maximum; everything below its bottom folds into it.
        int floor = Math.Max(IndexOf(Max) - (MaxBins - 1), Math.Min(_lowest, other._lowest));
        if (floor > _lowest) Fold(floor);
        else if (floor < _lowest) Shift(_lowest - floor);
        for (int i = 0; i < MaxBins; i++)
            if (other._bins[i] != 0) _bins[Math.Max(other._lowest + i, floor) - _lowest] += other._bins[i];
    }

    /// <summary>The value of rank ⌊q·(n − 1)⌋ (q in [0, 1]) with its bounds; null when empty.</summary>
    public QuantileEstimate? Quantile(double q)
    {
        if (Count == 0) return null;
        if (double.IsNaN(q) || q < 0 || q > 1) throw new ArgumentOutOfRangeException(nameof(q), q, "q must be in [0, 1].");
        ulong rank = (ulong)Math.Floor(q * (Count - 1));
        if (rank < ZeroCount) return new QuantileEstimate(0, 0, 0);
        ulong seen = ZeroCount;
        for (int i = 0; i < MaxBins; i++)
        {
            seen += _bins[i];
            if (seen <= rank) continue;
            int index = _lowest + i;
            double top = BucketTop(index), bottom = index == 0 ? 1 : BucketTop(index - 1);
            // The lowest bucket may hold folded values: its true bound reaches down to the exact minimum.
            bool folded = i == 0 && Min > 0 && Min <= bottom;
            double lower = Math.Max(folded ? Min : bottom, Min), upper = Math.Min(top, Max);
            double value = Math.Clamp(2 * top / (Gamma + 1), lower, upper);
            return new QuantileEstimate(value, lower, upper);
        }
        return new QuantileEstimate(Max, Max, Max); // not reached: the buckets hold every non-zero value
    }

    /// <summary>
    /// Layout (little-endian): u64 count n, u64 zero count, u64 min, u64 max; when n &gt; zero count, i16 lowest bucket
    /// index, u8 number of non-empty buckets b (1..128), then b × (u8 offset from the lowest, strictly increasing, the
    /// first 0; LEB128 count ≥ 1). Canonical: equal sketches have equal bytes.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new ArrayBufferWriter<byte>(64);
        Span<byte> scratch = stackalloc byte[10];
        foreach (ulong v in (ReadOnlySpan<ulong>)[Count, ZeroCount, Min, Max])
        {
            BinaryPrimitives.WriteUInt64LittleEndian(scratch, v);
            output.Write(scratch[..8]);
        }
        if (NonZeroCount == 0) return output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt16LittleEndian(scratch, (short)_lowest);
        output.Write(scratch[..2]);
        int used = 0;
        for (int i = 0; i < MaxBins; i++) if (_bins[i] != 0) used++;
        output.Write([(byte)used]);
        for (int i = 0; i < MaxBins; i++)
        {
            if (_bins[i] == 0) continue;
            output.Write([(byte)i]);
            int n = 0;
            for (ulong c = _bins[i]; ; c >>= 7)
            {
                scratch[n++] = (byte)(c < 0x80 ? c : (c & 0x7F) | 0x80);
                if (c < 0x80) break;
            }
            output.Write(scratch[..n]);
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads <see cref="Serialize"/>'s layout, refusing anything it would not write (<see cref="SketchFormatException"/>).</summary>
    public static QuantileSketch Deserialize(ReadOnlySpan<byte> data, out int consumed)
    {
        int position = 0;
        ulong ReadU64(ReadOnlySpan<byte> d)
        {
            if (d.Length - position < 8) throw Invalid("truncated");
            ulong v = BinaryPrimitives.ReadUInt64LittleEndian(d[position..]);
            position += 8;
            return v;
        }
        var sketch = new QuantileSketch();
        ulong count = ReadU64(data), zeros = ReadU64(data), min = ReadU64(data), max = ReadU64(data);
        if (count > MaxCount || zeros > count) throw Invalid($"count {count} with {zeros} zeros is out of range");
        if (min > max || max > MaxValue) throw Invalid($"min {min} and max {max} are out of order or range");
        if (count == 0 && (min | max) != 0) throw Invalid("an empty sketch has a minimum or maximum");
        if (count > 0 && (zeros > 0) != (min == 0)) throw Invalid("the zero count disagrees with the minimum");
        if (count > zeros && max == 0) throw Invalid("non-zero values with a maximum of 0");
        if (count == zeros && max != 0) throw Invalid("a maximum above 0 but no non-zero values");
        sketch.Count = count;
        sketch.ZeroCount = zeros;
        sketch.Min = min;
        sketch.Max = max;
        if (count > zeros)
        {
            if (data.Length - position < 3) throw Invalid("truncated buckets");
            int lowest = BinaryPrimitives.ReadInt16LittleEndian(data[position..]);
            int used = data[position + 2];
            position += 3;
            if (used is < 1 or > MaxBins) throw Invalid($"{used} buckets, outside 1..{MaxBins}");
            int top = IndexOf(max);
            if (lowest < Math.Max(0, top - (MaxBins - 1)) || lowest > top) throw Invalid($"lowest bucket {lowest} is outside the window of the maximum's bucket {top}");
            ulong sum = 0;
            int previous = -1;
            for (int b = 0; b < used; b++)
            {
                if (position >= data.Length) throw Invalid("truncated buckets");
                int offset = data[position++];
                if (offset <= previous || offset >= MaxBins || (b == 0 && offset != 0)) throw Invalid("bucket offsets are not strictly increasing from 0");
                previous = offset;
                ulong c = 0;
                for (int shift = 0; ; shift += 7)
                {
                    if (position >= data.Length) throw Invalid("truncated bucket count");
                    if (shift > 56) throw Invalid("a bucket count is too long");
                    byte next = data[position++];
                    c |= (ulong)(next & 0x7F) << shift;
                    if ((next & 0x80) == 0)
                    {
                        if (next == 0 && shift > 0) throw Invalid("a bucket count is not minimally encoded");
                        break;
                    }
                }
                if (c == 0 || c > MaxCount) throw Invalid("a bucket count is 0 or out of range");
                sum += c;
                if (sum > count) throw Invalid("the buckets hold more than the count");
                sketch._bins[offset] = c;
            }
            if (sum != count - zeros) throw Invalid($"the buckets hold {sum} values, not {count - zeros}");
            if (lowest + previous != top) throw Invalid("the highest bucket is not the maximum's");
            int minIndex = IndexOf(Math.Max(min, 1));
            if (minIndex > lowest) throw Invalid("the minimum lies above the lowest bucket");
            if (minIndex < lowest && lowest != top - (MaxBins - 1)) throw Invalid("values are folded although the window has room");
            sketch._lowest = lowest;
        }
        consumed = position;
        return sketch;
    }

    private static SketchFormatException Invalid(string what) => new($"Quantile sketch: {what}.");
}

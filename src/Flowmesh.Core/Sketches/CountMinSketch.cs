namespace Flowmesh.Core.Sketches;

/// <summary>
/// Count-Min sketch of weighted items (bytes, packets) with optional conservative update.
/// </summary>
/// <remarks>
/// <para>Error (Cormode and Muthukrishnan 2005): every point estimate satisfies f &lt;= f^ &lt;= f + eps*N with
/// probability at least 1 - delta, where N is the total weight, eps = e/width and delta = e^-depth.
/// Default 1024 x 4: eps = 0.265 %, delta = 1.8 %.</para>
/// <para>Conservative update (Estan and Varghese 2002) raises only the counters below min + w, which keeps every
/// counter an upper bound of every item hashed to it but shrinks the over-estimate on skewed traffic.</para>
/// <para>Merge: element-wise addition (saturating). Sums of upper bounds are upper bounds of the summed stream,
/// so the guarantee holds for merged conservative sketches too; only conservative update's extra accuracy over
/// the plain sketch is not carried across a merge. With conservative update off, merge(A, B) is bit-identical
/// to the sketch of the concatenated stream. Not idempotent: merging the same sketch twice double-counts, so
/// Count-Min records travel as exactly-once per-origin records.</para>
/// <para>Rows: one keyed SipHash per item; row r uses SplitMix64(h + r*gamma) reduced to the width by a
/// multiply-high, so depth costs no extra keyed hashing.</para>
/// </remarks>
public sealed class CountMinSketch
{
    public const int MaxDepth = 16;
    public const int MaxWidth = 1 << 20;
    public const int MaxCells = 1 << 22;
    private const ushort ConservativeFlag = 1;
    private const ushort NarrowCountersFlag = 2;

    private readonly SketchHashKey _key;
    private readonly ulong[] _counters; // row-major: row r at [r*width, (r+1)*width)

    public CountMinSketch(SketchHashKey key, int width = 1024, int depth = 4, bool conservativeUpdate = true)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (width is < 1 or > MaxWidth)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Width must be 1..{MaxWidth}.");
        if (depth is < 1 or > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"Depth must be 1..{MaxDepth}.");
        if ((long)width * depth > MaxCells)
            throw new ArgumentOutOfRangeException(nameof(width), $"width x depth must be at most {MaxCells} cells.");
        _key = key;
        Width = width;
        Depth = depth;
        ConservativeUpdate = conservativeUpdate;
        _counters = new ulong[width * depth];
    }

    /// <summary>Smallest width and depth giving error eps*N with probability 1 - delta.</summary>
    public static (int Width, int Depth) SizeFor(double epsilon, double delta) =>
        ((int)Math.Ceiling(Math.E / epsilon), (int)Math.Ceiling(Math.Log(1.0 / delta)));

    public int Width { get; }
    public int Depth { get; }
    public bool ConservativeUpdate { get; }
    public ulong KeyFingerprint => _key.Fingerprint;

    /// <summary>Total weight N added (and merged) into the sketch.</summary>
    public ulong TotalWeight { get; private set; }

    public double Epsilon => Math.E / Width;
    public double Delta => Math.Exp(-Depth);

    /// <summary>eps*N: the over-estimate no point query exceeds with probability 1 - delta.</summary>
    public double ErrorBound => Epsilon * TotalWeight;

    public void Add(ReadOnlySpan<byte> item, ulong weight = 1) => AddHash(_key.Hash(item), weight);

    public void AddHash(ulong hash, ulong weight = 1)
    {
        ulong[] counters = _counters;
        int width = Width;
        TotalWeight = SaturatingAdd(TotalWeight, weight);
        if (!ConservativeUpdate)
        {
            for (int row = 0, offset = 0; row < Depth; row++, offset += width)
            {
                ref ulong cell = ref counters[offset + Column(hash, row, width)];
                cell = SaturatingAdd(cell, weight);
            }
            return;
        }
        Span<int> cells = stackalloc int[MaxDepth];
        ulong minimum = ulong.MaxValue;
        for (int row = 0, offset = 0; row < Depth; row++, offset += width)
        {
            int cell = offset + Column(hash, row, width);
            cells[row] = cell;
            minimum = Math.Min(minimum, counters[cell]);
        }
        ulong target = SaturatingAdd(minimum, weight);
        for (int row = 0; row < Depth; row++)
        {
            ref ulong cell = ref counters[cells[row]];
            if (cell < target)
                cell = target;
        }
    }

    public ulong Estimate(ReadOnlySpan<byte> item) => EstimateHash(_key.Hash(item));

    public ulong EstimateHash(ulong hash)
    {
        ulong minimum = ulong.MaxValue;
        for (int row = 0, offset = 0; row < Depth; row++, offset += Width)
            minimum = Math.Min(minimum, _counters[offset + Column(hash, row, Width)]);
        return minimum;
    }

    /// <summary>Element-wise sum. Not idempotent: merging the same sketch twice counts it twice.</summary>
    public void Merge(CountMinSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Width != Width || other.Depth != Depth)
            throw new ArgumentException($"Cannot merge a {other.Width}x{other.Depth} sketch into a {Width}x{Depth} one.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge sketches hashed with different keys.", nameof(other));
        for (int i = 0; i < _counters.Length; i++)
            _counters[i] = SaturatingAdd(_counters[i], other._counters[i]);
        TotalWeight = SaturatingAdd(TotalWeight, other.TotalWeight);
    }

    public void Clear()
    {
        Array.Clear(_counters);
        TotalWeight = 0;
    }

    private bool FitsNarrow
    {
        get
        {
            foreach (ulong counter in _counters)
            {
                if (counter > uint.MaxValue)
                    return false;
            }
            return true;
        }
    }

    public int SerializedSize => SketchWriter.Overhead + 13 + _counters.Length * (FitsNarrow ? 4 : 8);

    /// <summary>
    /// Body layout: u32 width, u8 depth, u64 total weight N, then width*depth counters row by row, each u32 when
    /// flags bit 1 is set (all counters fit 32 bits; the writer chooses this whenever possible) or u64 otherwise.
    /// Flags bit 0: conservative update. Default 1024 x 4: 16,417 bytes (u32) or 32,801 bytes (u64).
    /// </summary>
    public byte[] Serialize()
    {
        bool narrow = FitsNarrow;
        var output = new byte[SketchWriter.Overhead + 13 + _counters.Length * (narrow ? 4 : 8)];
        ushort flags = (ushort)((ConservativeUpdate ? ConservativeFlag : 0) | (narrow ? NarrowCountersFlag : 0));
        var writer = new SketchWriter(output, SketchKind.CountMin, flags, KeyFingerprint);
        writer.WriteUInt32((uint)Width);
        writer.WriteByte((byte)Depth);
        writer.WriteUInt64(TotalWeight);
        foreach (ulong counter in _counters)
        {
            if (narrow)
                writer.WriteUInt32((uint)counter);
            else
                writer.WriteUInt64(counter);
        }
        writer.Finish();
        return output;
    }

    public static CountMinSketch Deserialize(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        var reader = new SketchReader(data, SketchKind.CountMin, key, SketchWriter.Overhead + 13 + 8 * MaxCells);
        if ((reader.Flags & ~(ConservativeFlag | NarrowCountersFlag)) != 0)
            throw reader.Invalid($"unknown flags {reader.Flags:x4}");
        uint width = reader.ReadUInt32();
        int depth = reader.ReadByte();
        ulong total = reader.ReadUInt64();
        if (width is < 1 or > MaxWidth || depth is < 1 or > MaxDepth || (long)width * depth > MaxCells)
            throw reader.Invalid($"invalid dimensions {width} x {depth}");
        bool narrow = (reader.Flags & NarrowCountersFlag) != 0;
        reader.ExpectRemaining((long)width * depth * (narrow ? 4 : 8), "counters");
        var sketch = new CountMinSketch(key, (int)width, depth, (reader.Flags & ConservativeFlag) != 0) { TotalWeight = total };
        for (int row = 0; row < depth; row++)
        {
            UInt128 rowSum = 0;
            for (int column = 0; column < width; column++)
            {
                ulong counter = narrow ? reader.ReadUInt32() : reader.ReadUInt64();
                sketch._counters[row * (int)width + column] = counter;
                rowSum += counter;
            }
            // Every update adds at most w to each row, so no row can hold more than N (saturation aside).
            if (rowSum > total && total != ulong.MaxValue)
                throw reader.Invalid($"row {row} sums to {rowSum}, more than the total weight {total}");
        }
        return sketch;
    }

    private static int Column(ulong hash, int row, int width) => SketchHashKey.RowColumn(hash, row, width);

    private static ulong SaturatingAdd(ulong a, ulong b)
    {
        ulong sum = a + b;
        return sum < a ? ulong.MaxValue : sum;
    }
}

using System.Numerics;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Per-key spread (number of distinct elements per key: destinations per source, sources per destination,
/// ports per source) that can also name the keys whose spread is large. SpreadSketch design (Tang, Huang, Lee,
/// INFOCOM 2020) with a small HyperLogLog in place of the multiresolution bitmap: depth x width buckets, each
/// holding b 4-bit HLL registers, a candidate key and that key's level.
/// </summary>
/// <remarks>
/// <para>Update (key, element): the pair's keyed hash raises one register in the key's bucket of every row, like a
/// Count-Min of HLLs. The pair also gets a geometric level (leading zeros of a second hash, so a key with s
/// distinct elements reaches level about log2 s); a bucket keeps the key with the highest level seen, ties going
/// to the larger key bytes. Large-spread keys therefore survive as candidates, which makes the sketch invertible.</para>
/// <para>Query: a key's estimate is the minimum over rows of its buckets' HLL estimates. Each bucket counts every
/// pair hashed to it, so the estimate is the key's spread plus the spread of keys sharing the bucket, with HLL
/// error 1.04/sqrt(b) (13 % at b = 64) on top. Tests characterize the shipped size (docs/sketches.md).</para>
/// <para>Merge: register max, and per bucket the (level, key) maximum. Commutative, associative and idempotent,
/// and bit-identical to the sketch of the concatenated stream, so spread sketches may be re-merged in transit.</para>
/// </remarks>
public sealed class SpreadSketch
{
    public const int MaxDepth = 8;
    public const int MaxWidth = 1 << 14;
    public const int MaxKeyLength = 64;
    public const int MaxElementLength = 128;
    private const int RegisterMax = 15;  // 4-bit registers; rank saturates, which Ertl's estimator accounts for
    private const int RegisterQ = RegisterMax - 1;

    private readonly SketchHashKey _key;
    private readonly byte[] _registers; // bucket i at [i*b, (i+1)*b), one register per byte in memory
    private readonly byte[] _levels;    // 0 = no candidate
    private readonly byte[] _candidates;
    private readonly int _registerBits;

    public SpreadSketch(SketchHashKey key, int keyLength, int depth = 3, int width = 64, int registersPerBucket = 64)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (keyLength is < 1 or > MaxKeyLength)
            throw new ArgumentOutOfRangeException(nameof(keyLength), keyLength, $"Key length must be 1..{MaxKeyLength}.");
        if (depth is < 1 or > MaxDepth)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, $"Depth must be 1..{MaxDepth}.");
        if (width is < 1 or > MaxWidth)
            throw new ArgumentOutOfRangeException(nameof(width), width, $"Width must be 1..{MaxWidth}.");
        if (registersPerBucket is < 16 or > 1024 || !BitOperations.IsPow2(registersPerBucket))
            throw new ArgumentOutOfRangeException(nameof(registersPerBucket), registersPerBucket, "Registers per bucket must be a power of two in 16..1024.");
        _key = key;
        KeyLength = keyLength;
        Depth = depth;
        Width = width;
        RegistersPerBucket = registersPerBucket;
        _registerBits = BitOperations.Log2((uint)registersPerBucket);
        int buckets = depth * width;
        _registers = new byte[buckets * registersPerBucket];
        _levels = new byte[buckets];
        _candidates = new byte[buckets * keyLength];
    }

    public int KeyLength { get; }
    public int Depth { get; }
    public int Width { get; }
    public int RegistersPerBucket { get; }
    public ulong KeyFingerprint => _key.Fingerprint;

    /// <summary>1.04/sqrt(b): the HLL error of one bucket, before collisions with other keys.</summary>
    public double BucketRelativeStandardError => 1.04 / Math.Sqrt(RegistersPerBucket);

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> element)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"Keys of this sketch are {KeyLength} bytes, got {key.Length}.", nameof(key));
        if (element.Length > MaxElementLength)
            throw new ArgumentException($"Elements are limited to {MaxElementLength} bytes.", nameof(element));
        ulong keyHash = _key.Hash(key);
        ulong pairHash = _key.HashPair(key, element);

        int register = (int)(pairHash >> (64 - _registerBits));
        ulong rest = pairHash << _registerBits;
        byte rank = (byte)(Math.Min(BitOperations.LeadingZeroCount(rest), RegisterQ) + 1);
        byte level = (byte)(BitOperations.LeadingZeroCount(SketchHashKey.Mix(pairHash)) + 1);

        for (int row = 0; row < Depth; row++)
        {
            int bucket = row * Width + Column(keyHash, row);
            ref byte cell = ref _registers[bucket * RegistersPerBucket + register];
            if (cell < rank)
                cell = rank;
            Offer(bucket, level, key);
        }
    }

    /// <summary>Estimated number of distinct elements of <paramref name="key"/>; biased up by keys sharing its buckets.</summary>
    public double Estimate(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"Keys of this sketch are {KeyLength} bytes, got {key.Length}.", nameof(key));
        ulong keyHash = _key.Hash(key);
        double minimum = double.PositiveInfinity;
        for (int row = 0; row < Depth; row++)
            minimum = Math.Min(minimum, BucketEstimate(row * Width + Column(keyHash, row)));
        return minimum;
    }

    /// <summary>
    /// Candidate keys whose estimated spread is at least <paramref name="threshold"/>, largest first: the answer to
    /// "who is scanning" (fan-out) or "who is flooded" (fan-in).
    /// </summary>
    public List<SpreadCandidate> KeysAtOrAbove(double threshold)
    {
        var seen = new HashSet<string>();
        var result = new List<SpreadCandidate>();
        for (int bucket = 0; bucket < _levels.Length; bucket++)
        {
            if (_levels[bucket] == 0)
                continue;
            ReadOnlySpan<byte> candidate = CandidateAt(bucket);
            if (!seen.Add(Convert.ToHexString(candidate)))
                continue;
            double estimate = Estimate(candidate);
            if (estimate >= threshold)
                result.Add(new SpreadCandidate(candidate.ToArray(), estimate));
        }
        result.Sort((a, b) => b.Estimate.CompareTo(a.Estimate));
        return result;
    }

    /// <summary>Register max and (level, key) max per bucket; idempotent.</summary>
    public void Merge(SpreadSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.KeyLength != KeyLength || other.Depth != Depth || other.Width != Width || other.RegistersPerBucket != RegistersPerBucket)
            throw new ArgumentException("Cannot merge spread sketches with different dimensions.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge sketches hashed with different keys.", nameof(other));
        for (int i = 0; i < _registers.Length; i++)
            _registers[i] = Math.Max(_registers[i], other._registers[i]);
        for (int bucket = 0; bucket < _levels.Length; bucket++)
        {
            if (other._levels[bucket] != 0)
                Offer(bucket, other._levels[bucket], other.CandidateAt(bucket));
        }
    }

    public void Clear()
    {
        Array.Clear(_registers);
        Array.Clear(_levels);
        Array.Clear(_candidates);
    }

    private int BucketBytes => RegistersPerBucket / 2 + 1 + KeyLength;

    public int SerializedSize => SketchWriter.Overhead + 6 + _levels.Length * BucketBytes;

    /// <summary>
    /// Body layout: u8 depth d, u16 width w, u16 registers per bucket b, u8 key length L, then d*w buckets row by
    /// row, each b/2 bytes of 4-bit registers (register 2i in the low nibble), u8 level (0 = empty), L candidate key
    /// bytes (zero when empty). Default d = 3, w = 64, b = 64 with 16-byte keys: 9,434 bytes.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new byte[SerializedSize];
        var writer = new SketchWriter(output, SketchKind.Spread, 0, KeyFingerprint);
        writer.WriteByte((byte)Depth);
        writer.WriteUInt16((ushort)Width);
        writer.WriteUInt16((ushort)RegistersPerBucket);
        writer.WriteByte((byte)KeyLength);
        for (int bucket = 0; bucket < _levels.Length; bucket++)
        {
            int offset = bucket * RegistersPerBucket;
            for (int i = 0; i < RegistersPerBucket; i += 2)
                writer.WriteByte((byte)(_registers[offset + i] | _registers[offset + i + 1] << 4));
            writer.WriteByte(_levels[bucket]);
            writer.WriteBytes(CandidateAt(bucket));
        }
        writer.Finish();
        return output;
    }

    public static SpreadSketch Deserialize(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        // Largest valid body: 8 x 16384 buckets of 1024 registers; the real cap is that the declared dimensions
        // must match the input length exactly before anything is allocated.
        var reader = new SketchReader(data, SketchKind.Spread, key, int.MaxValue);
        if (reader.Flags != 0)
            throw reader.Invalid($"unknown flags {reader.Flags:x4}");
        int depth = reader.ReadByte();
        int width = reader.ReadUInt16();
        int registers = reader.ReadUInt16();
        int keyLength = reader.ReadByte();
        if (depth is < 1 or > MaxDepth || width is < 1 or > MaxWidth || registers is < 16 or > 1024 || !BitOperations.IsPow2(registers)
            || keyLength is < 1 or > MaxKeyLength)
            throw reader.Invalid($"invalid dimensions d={depth} w={width} b={registers} L={keyLength}");
        reader.ExpectRemaining((long)depth * width * (registers / 2 + 1 + keyLength), "buckets");
        var sketch = new SpreadSketch(key, keyLength, depth, width, registers);
        for (int bucket = 0; bucket < depth * width; bucket++)
        {
            int offset = bucket * registers;
            bool any = false;
            foreach (byte packed in reader.ReadBytes(registers / 2))
            {
                sketch._registers[offset++] = (byte)(packed & 15);
                sketch._registers[offset++] = (byte)(packed >> 4);
                any |= packed != 0;
            }
            byte level = reader.ReadByte();
            ReadOnlySpan<byte> candidate = reader.ReadBytes(keyLength);
            if (level > 65)
                throw reader.Invalid($"bucket {bucket} has level {level}, above 65");
            if ((level != 0) != any)
                throw reader.Invalid($"bucket {bucket} has {(any ? "registers but no candidate" : "a candidate but no registers")}");
            if (level == 0)
            {
                if (candidate.ContainsAnyExcept((byte)0))
                    throw reader.Invalid($"empty bucket {bucket} carries key bytes");
                continue;
            }
            int row = bucket / width;
            if (sketch.Column(key.Hash(candidate), row) != bucket % width)
                throw reader.Invalid($"candidate of bucket {bucket} does not hash to that bucket");
            sketch._levels[bucket] = level;
            candidate.CopyTo(sketch._candidates.AsSpan(bucket * keyLength));
        }
        return sketch;
    }

    private void Offer(int bucket, byte level, ReadOnlySpan<byte> key)
    {
        byte current = _levels[bucket];
        if (level < current)
            return;
        Span<byte> stored = _candidates.AsSpan(bucket * KeyLength, KeyLength);
        if (level == current && key.SequenceCompareTo(stored) <= 0)
            return;
        _levels[bucket] = level;
        key.CopyTo(stored);
    }

    private ReadOnlySpan<byte> CandidateAt(int bucket) => _candidates.AsSpan(bucket * KeyLength, KeyLength);

    private double BucketEstimate(int bucket)
    {
        Span<int> histogram = stackalloc int[RegisterMax + 1];
        foreach (byte register in _registers.AsSpan(bucket * RegistersPerBucket, RegistersPerBucket))
            histogram[register]++;
        return HllEstimator.Estimate(histogram, RegistersPerBucket, RegisterQ);
    }

    private int Column(ulong keyHash, int row) =>
        (int)Math.BigMul(SketchHashKey.Mix(keyHash + (ulong)row * 0x9E3779B97F4A7C15UL), (ulong)Width, out _);
}

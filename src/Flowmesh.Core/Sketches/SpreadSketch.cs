using System.Numerics;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Per-key spread (number of distinct elements per key: destinations per source, sources per destination,
/// ports per source) that can also name the keys whose spread is large. SpreadSketch design (Tang, Huang, Lee,
/// INFOCOM 2020) with a small HyperLogLog in place of the multiresolution bitmap: depth x width buckets, each
/// holding b 4-bit HLL registers and two candidate keys with their levels.
/// </summary>
/// <remarks>
/// <para>Update (key, element): the pair's keyed hash raises one register in the key's bucket of every row, like a
/// Count-Min of HLLs. The pair also gets a geometric level (leading zeros of a second hash, so a key with s
/// distinct elements reaches level about log2 s); a bucket keeps the two keys with the highest levels seen, ties
/// going to the larger key bytes. Large-spread keys therefore survive as candidates, which makes the sketch invertible.</para>
/// <para>Query: each bucket's HLL counts every pair hashed to it, i.e. the key's spread plus that of the keys
/// sharing the bucket, with HLL error 1.04/sqrt(b) (13 % at b = 64). <see cref="UpperEstimate"/> is the minimum
/// over rows (Count-Min style, biased up by the background); <see cref="Estimate(ReadOnlySpan{byte})"/> first subtracts each row's
/// median bucket (the background of small keys, in the manner of vHLL's noise removal). Reported keys must also
/// be plausible given their own level (see <see cref="KeysAtOrAbove"/>). Tests characterize the
/// shipped size against exact per-key sets (docs/sketches.md).</para>
/// <para>Merge: register max, and per bucket the top two keys by (level, key). Commutative, associative and idempotent,
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
    private const int CandidatesPerBucket = 2;

    private readonly SketchHashKey _key;
    private readonly byte[] _registers; // bucket i at [i*b, (i+1)*b), one register per byte in memory
    private readonly byte[] _levels;    // two candidate slots per bucket, the higher (level, key) first; 0 = empty
    private readonly byte[] _candidates;
    private readonly int _registerBits;
    private readonly byte[] _scratchKey;

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
        _levels = new byte[buckets * CandidatesPerBucket];
        _candidates = new byte[buckets * CandidatesPerBucket * keyLength];
        _scratchKey = new byte[keyLength];
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
        CheckKeyLength(key);
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

    /// <summary>
    /// Estimated number of distinct elements of <paramref name="key"/>: per row, the key's bucket estimate minus that
    /// row's background (the median bucket, i.e. what a bucket holds from unrelated small keys); then the minimum over
    /// rows, as in Count-Min, which discards rows where a heavy key shares the bucket.
    /// </summary>
    public double Estimate(ReadOnlySpan<byte> key)
    {
        CheckKeyLength(key);
        return Estimate(key, new QueryView(this));
    }

    /// <summary>
    /// 3 x 1.04/sqrt(b) x (distinct pairs per bucket): three standard errors of a bucket's HLL at the current
    /// background load. Thresholds below this report small keys whose buckets merely fluctuated upward; keys with
    /// spread of at least twice a threshold above the floor are reliably reported (see docs/sketches.md).
    /// </summary>
    public double DetectionFloor
    {
        get
        {
            return new QueryView(this).Floor;
        }
    }

    /// <summary>
    /// The plain Count-Min-style minimum of bucket estimates without any subtraction: an upper bound on the key's
    /// spread up to HLL error, at the price of counting every pair that shares the key's buckets.
    /// </summary>
    public double UpperEstimate(ReadOnlySpan<byte> key)
    {
        CheckKeyLength(key);
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
        var view = new QueryView(this);
        var seen = new HashSet<string>();
        var result = new List<SpreadCandidate>();
        for (int slot = 0; slot < _levels.Length; slot++)
        {
            if (_levels[slot] == 0)
                continue;
            ReadOnlySpan<byte> candidate = CandidateAt(slot);
            if (!seen.Add(Convert.ToHexString(candidate)))
                continue;
            double estimate = Estimate(candidate, view);
            if (estimate >= threshold && LevelSupports(_levels[slot], estimate))
                result.Add(new SpreadCandidate(candidate.ToArray(), estimate));
        }
        result.Sort((a, b) => b.Estimate.CompareTo(a.Estimate));
        return result;
    }

    private double Estimate(ReadOnlySpan<byte> key, QueryView view)
    {
        ulong keyHash = _key.Hash(key);
        double minimum = double.PositiveInfinity;
        for (int row = 0; row < Depth; row++)
            minimum = Math.Min(minimum, Math.Max(0, view.Buckets[row * Width + Column(keyHash, row)] - view.Backgrounds[row]));
        return minimum;
    }

    /// <summary>
    /// A candidate's level is the maximum of one geometric draw per distinct element of that key alone (a one-register
    /// HLL that no other key can raise), so a key of spread s has level at most L with probability (1 - 2^-L)^s.
    /// An estimate whose level has less than 0.1 % chance is a small key whose buckets all collide with heavy keys
    /// (rare per key, but systematic within an epoch): it is rejected instead of reported.
    /// </summary>
    private static bool LevelSupports(byte level, double estimate) =>
        level >= 64 || estimate * -Math.Log(1 - Math.Pow(2, -level)) <= Math.Log(1000);

    /// <summary>Bucket estimates and per-row backgrounds, computed once per query.</summary>
    private readonly struct QueryView
    {
        public readonly double[] Buckets;
        public readonly double[] Backgrounds;
        public readonly double Floor;

        public QueryView(SpreadSketch sketch)
        {
            Buckets = new double[sketch.Depth * sketch.Width];
            double total = 0;
            for (int bucket = 0; bucket < Buckets.Length; bucket++)
                total += Buckets[bucket] = sketch.BucketEstimate(bucket);
            Floor = 3 * sketch.BucketRelativeStandardError * total / Buckets.Length;
            Backgrounds = new double[sketch.Depth];
            var sorted = new double[sketch.Width];
            for (int row = 0; row < sketch.Depth; row++)
            {
                Array.Copy(Buckets, row * sketch.Width, sorted, 0, sketch.Width);
                Array.Sort(sorted);
                int w = sketch.Width;
                Backgrounds[row] = w % 2 == 1 ? sorted[w / 2] : (sorted[w / 2 - 1] + sorted[w / 2]) / 2;
            }
        }
    }

    private void CheckKeyLength(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"Keys of this sketch are {KeyLength} bytes, got {key.Length}.", nameof(key));
    }

    /// <summary>Register max and the top two (level, key) per bucket; idempotent.</summary>
    public void Merge(SpreadSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.KeyLength != KeyLength || other.Depth != Depth || other.Width != Width || other.RegistersPerBucket != RegistersPerBucket)
            throw new ArgumentException("Cannot merge spread sketches with different dimensions.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge sketches hashed with different keys.", nameof(other));
        MaxInto(_registers, other._registers);
        for (int slot = 0; slot < _levels.Length; slot++)
        {
            if (other._levels[slot] != 0)
                Offer(slot / CandidatesPerBucket, other._levels[slot], other.CandidateAt(slot));
        }
    }

    /// <summary>Register-wise maximum, a vector at a time: a merge's union of registers is most of the sketch's merge cost.</summary>
    private static void MaxInto(byte[] target, byte[] source)
    {
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            int width = System.Numerics.Vector<byte>.Count;
            for (; i <= target.Length - width; i += width)
            {
                var a = new System.Numerics.Vector<byte>(target, i);
                var b = new System.Numerics.Vector<byte>(source, i);
                System.Numerics.Vector.Max(a, b).CopyTo(target, i);
            }
        }
        for (; i < target.Length; i++)
            target[i] = Math.Max(target[i], source[i]);
    }

    public void Clear()
    {
        Array.Clear(_registers);
        Array.Clear(_levels);
        Array.Clear(_candidates);
    }

    private int BucketBytes => RegistersPerBucket / 2 + CandidatesPerBucket * (1 + KeyLength);

    public int SerializedSize => SketchWriter.Overhead + 6 + Depth * Width * BucketBytes;

    /// <summary>
    /// Body layout: u8 depth d, u16 width w, u16 registers per bucket b, u8 key length L, then d*w buckets row by
    /// row, each b/2 bytes of 4-bit registers (register 2i in the low nibble) and two candidate slots, the higher
    /// (level, key) first, each u8 level (0 = empty) and L key bytes (zero when empty).
    /// Default d = 3, w = 64, b = 64 with 16-byte keys: 12,698 bytes.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new byte[SerializedSize];
        var writer = new SketchWriter(output, SketchKind.Spread, 0, KeyFingerprint);
        writer.WriteByte((byte)Depth);
        writer.WriteUInt16((ushort)Width);
        writer.WriteUInt16((ushort)RegistersPerBucket);
        writer.WriteByte((byte)KeyLength);
        for (int bucket = 0; bucket < Depth * Width; bucket++)
        {
            int offset = bucket * RegistersPerBucket;
            for (int i = 0; i < RegistersPerBucket; i += 2)
                writer.WriteByte((byte)(_registers[offset + i] | _registers[offset + i + 1] << 4));
            for (int slot = bucket * CandidatesPerBucket; slot < (bucket + 1) * CandidatesPerBucket; slot++)
            {
                writer.WriteByte(_levels[slot]);
                writer.WriteBytes(CandidateAt(slot));
            }
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
        reader.ExpectRemaining((long)depth * width * (registers / 2 + CandidatesPerBucket * (1 + keyLength)), "buckets");
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
            byte firstLevel = reader.ReadByte();
            ReadOnlySpan<byte> first = reader.ReadBytes(keyLength);
            byte secondLevel = reader.ReadByte();
            ReadOnlySpan<byte> second = reader.ReadBytes(keyLength);
            if (firstLevel > 65 || secondLevel > 65)
                throw reader.Invalid($"bucket {bucket} has a level above 65");
            if ((firstLevel != 0) != any)
                throw reader.Invalid($"bucket {bucket} has {(any ? "registers but no candidate" : "a candidate but no registers")}");
            if (secondLevel != 0 && (secondLevel > firstLevel || (secondLevel == firstLevel && second.SequenceCompareTo(first) >= 0)))
                throw reader.Invalid($"bucket {bucket} candidates are not in strictly decreasing (level, key) order");
            int row = bucket / width;
            if ((firstLevel != 0 && sketch.Column(key.Hash(first), row) != bucket % width)
                || (secondLevel != 0 && sketch.Column(key.Hash(second), row) != bucket % width))
                throw reader.Invalid($"a candidate of bucket {bucket} does not hash to that bucket");
            if ((firstLevel == 0 && first.ContainsAnyExcept((byte)0)) || (secondLevel == 0 && second.ContainsAnyExcept((byte)0)))
                throw reader.Invalid($"an empty candidate slot of bucket {bucket} carries key bytes");
            int slot = bucket * CandidatesPerBucket;
            sketch._levels[slot] = firstLevel;
            sketch._levels[slot + 1] = secondLevel;
            first.CopyTo(sketch._candidates.AsSpan(slot * keyLength));
            second.CopyTo(sketch._candidates.AsSpan((slot + 1) * keyLength));
        }
        return sketch;
    }

    /// <summary>
    /// Keeps the two distinct keys with the highest (level, key) in the bucket, where a key's level is the maximum
    /// over its pairs. "Top two by maximum" is a lattice join, so updates and merges commute and repeat harmlessly.
    /// Two slots instead of SpreadSketch's one: a key of spread s loses a slot to a background of B pairs with
    /// probability about B/(s+B) per row, and about (B/(s+B))^2 with two slots, which is what lets keys only
    /// moderately above the background be found (docs/sketches.md).
    /// </summary>
    private void Offer(int bucket, byte level, ReadOnlySpan<byte> key)
    {
        int top = bucket * CandidatesPerBucket;
        int second = top + 1;
        Span<byte> topKey = _candidates.AsSpan(top * KeyLength, KeyLength);
        Span<byte> secondKey = _candidates.AsSpan(second * KeyLength, KeyLength);
        if (_levels[top] != 0 && key.SequenceEqual(topKey))
        {
            if (level > _levels[top])
                _levels[top] = level;
            return;
        }
        if (_levels[second] != 0 && key.SequenceEqual(secondKey))
        {
            if (level <= _levels[second])
                return;
            _levels[second] = level;
            if (Beats(level, key, _levels[top], topKey))
            {
                secondKey.CopyTo(_scratchKey);
                topKey.CopyTo(secondKey);
                _scratchKey.CopyTo(topKey);
                (_levels[top], _levels[second]) = (_levels[second], _levels[top]);
            }
            return;
        }
        if (Beats(level, key, _levels[top], topKey))
        {
            topKey.CopyTo(secondKey);
            _levels[second] = _levels[top];
            key.CopyTo(topKey);
            _levels[top] = level;
        }
        else if (Beats(level, key, _levels[second], secondKey))
        {
            key.CopyTo(secondKey);
            _levels[second] = level;
        }
    }

    private static bool Beats(byte level, ReadOnlySpan<byte> key, byte otherLevel, ReadOnlySpan<byte> otherKey) =>
        level > otherLevel || (level == otherLevel && key.SequenceCompareTo(otherKey) > 0);

    private ReadOnlySpan<byte> CandidateAt(int slot) => _candidates.AsSpan(slot * KeyLength, KeyLength);

    private double BucketEstimate(int bucket)
    {
        Span<int> histogram = stackalloc int[RegisterMax + 1];
        foreach (byte register in _registers.AsSpan(bucket * RegistersPerBucket, RegistersPerBucket))
            histogram[register]++;
        return HllEstimator.Estimate(histogram, RegistersPerBucket, RegisterQ);
    }

    private int Column(ulong keyHash, int row) => SketchHashKey.RowColumn(keyHash, row, Width);
}

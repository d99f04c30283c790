using System.Buffers.Binary;
using System.Numerics;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// HyperLogLog distinct counter over 64-bit keyed hashes: exact-ish sparse mode for small sets, then
/// 2^p dense registers packed 6 bits each, estimated with Ertl's improved estimator.
/// </summary>
/// <remarks>
/// <para>Error: relative standard error 1.04/sqrt(2^p) in dense mode (p = 12: 1.63 %); sparse mode is linear
/// counting over 2^26 buckets, error about n/2^27 (below 0.01 % for n below the switch point).</para>
/// <para>Default p = 12: 3 KiB dense per sketch keeps a per-node epoch record with several distinct counters
/// well under the 64 KiB record budget, and 1.6 % is ample for "how many distinct hosts"; p = 14 (0.81 %,
/// 12 KiB) would quadruple the size for an accuracy no consumer of these counts needs.</para>
/// <para>Merge: register-wise max (sparse: union of tokens keeping the larger rank). Commutative, associative
/// and idempotent: merging the same sketch twice changes nothing, so HLLs may be re-merged freely in transit.
/// The merged sketch is bit-identical to the sketch of the concatenated stream.</para>
/// <para>Sparse mode stores one 32-bit token per distinct 26-bit hash prefix: prefix (26 bits) | rank of the
/// remaining 38 bits (6 bits). The token keeps enough to recompute the dense register exactly, so when the set
/// passes 3m/16 tokens (the point where 4-byte tokens would outgrow the 0.75m-byte dense array) the sketch
/// converts without losing anything.</para>
/// </remarks>
public sealed class HyperLogLog
{
    public const int MinPrecision = 4;
    public const int MaxPrecision = 18;
    public const int DefaultPrecision = 12;
    internal const int SparsePrecision = 26;
    private const int SparseRankBits = 6;
    private const int InitialSparseSlots = 64;
    private const ushort DenseFlag = 1;

    private readonly SketchHashKey _key;
    private readonly int _p;
    private readonly int _m;
    private readonly int _q;
    private readonly int _sparseLimit;

    private uint[]? _sparseSlots; // open addressing, 0 = empty; null once dense
    private int _sparseCount;
    private byte[]? _registers;   // 6-bit packed, plus one padding byte so every register can be read as a ushort

    public HyperLogLog(SketchHashKey key, int precision = DefaultPrecision)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (precision is < MinPrecision or > MaxPrecision)
            throw new ArgumentOutOfRangeException(nameof(precision), precision, $"Precision must be {MinPrecision}..{MaxPrecision}.");
        _key = key;
        _p = precision;
        _m = 1 << precision;
        _q = 64 - precision;
        _sparseLimit = 3 * _m / 16;
        _sparseSlots = new uint[Math.Min(InitialSparseSlots, MaxSparseSlots)];
    }

    public int Precision => _p;
    public int RegisterCount => _m;
    public bool IsSparse => _registers is null;
    public ulong KeyFingerprint => _key.Fingerprint;

    /// <summary>1.04/sqrt(m), the relative standard error of the dense estimate.</summary>
    public double RelativeStandardError => 1.04 / Math.Sqrt(_m);

    /// <summary>Largest number of tokens kept in sparse mode before converting to dense registers.</summary>
    public int SparseLimit => _sparseLimit;

    private int MaxSparseSlots => (int)BitOperations.RoundUpToPowerOf2((uint)(2 * _sparseLimit + 2));
    private int DenseBytes => 6 * _m / 8;

    public void Add(ReadOnlySpan<byte> item) => AddHash(_key.Hash(item));

    /// <summary>Adds an item already hashed with this sketch's <see cref="SketchHashKey"/>.</summary>
    public void AddHash(ulong hash)
    {
        if (_registers is not null)
        {
            int index = (int)(hash >> _q);
            ulong rest = hash << _p;
            int rank = rest == 0 ? _q + 1 : BitOperations.LeadingZeroCount(rest) + 1;
            RaiseRegister(_registers, index, rank);
            return;
        }
        ulong sparseRest = hash << SparsePrecision;
        int sparseRank = sparseRest == 0 ? 64 - SparsePrecision + 1 : BitOperations.LeadingZeroCount(sparseRest) + 1;
        uint token = (uint)(hash >> (64 - SparsePrecision)) << SparseRankBits | (uint)sparseRank;
        InsertToken(token);
    }

    public double Estimate()
    {
        if (_registers is null)
        {
            double buckets = 1L << SparsePrecision;
            return buckets * Math.Log(buckets / (buckets - _sparseCount));
        }
        Span<int> histogram = stackalloc int[_q + 2];
        for (int i = 0; i < _m; i++)
            histogram[GetRegister(_registers, i)]++;
        return HllEstimator.Estimate(histogram, _m, _q);
    }

    /// <summary>Folds <paramref name="other"/> into this sketch (register max). Idempotent.</summary>
    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._p != _p)
            throw new ArgumentException($"Cannot merge precision {other._p} into precision {_p}.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge sketches hashed with different keys.", nameof(other));
        if (ReferenceEquals(other, this))
            return;
        if (other._registers is not null)
        {
            if (_registers is null)
                ConvertToDense();
            MaxRegisters(_registers!, other._registers, _m);
            return;
        }
        foreach (uint token in other._sparseSlots!)
        {
            if (token != 0)
                InsertToken(token);
        }
    }

    public void Clear()
    {
        _registers = null;
        _sparseSlots = new uint[Math.Min(InitialSparseSlots, MaxSparseSlots)];
        _sparseCount = 0;
    }

    public int SerializedSize => SketchWriter.Overhead + 2 + (_registers is null ? 4 + 4 * _sparseCount : DenseBytes);

    /// <summary>
    /// Body layout: u8 precision p (4..18), u8 sparse precision (26), then
    /// sparse (flags bit 0 clear): u32 token count n (at most 3*2^p/16), n x u32 tokens in strictly increasing order;
    /// dense (flags bit 0 set): 6*2^p/8 bytes of registers, register i in bits [6i, 6i+6) of the little-endian bit stream.
    /// Typical size at p = 12: 26 + 4n bytes while sparse (at most 3,098), 3,094 bytes dense.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new byte[SerializedSize];
        var writer = new SketchWriter(output, SketchKind.HyperLogLog, _registers is null ? (ushort)0 : DenseFlag, KeyFingerprint);
        writer.WriteByte((byte)_p);
        writer.WriteByte(SparsePrecision);
        if (_registers is null)
        {
            uint[] tokens = SortedTokens();
            writer.WriteUInt32((uint)tokens.Length);
            foreach (uint token in tokens)
                writer.WriteUInt32(token);
        }
        else
        {
            writer.WriteBytes(_registers.AsSpan(0, DenseBytes));
        }
        writer.Finish();
        return output;
    }

    public static HyperLogLog Deserialize(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        int largest = SketchWriter.Overhead + 2 + 4 + 4 * (3 * (1 << MaxPrecision) / 16);
        var reader = new SketchReader(data, SketchKind.HyperLogLog, key, largest);
        if ((reader.Flags & ~DenseFlag) != 0)
            throw reader.Invalid($"unknown flags {reader.Flags:x4}");
        int p = reader.ReadByte();
        if (p is < MinPrecision or > MaxPrecision)
            throw reader.Invalid($"precision {p} outside {MinPrecision}..{MaxPrecision}");
        if (reader.ReadByte() != SparsePrecision)
            throw reader.Invalid($"sparse precision must be {SparsePrecision}");
        var sketch = new HyperLogLog(key, p);
        if ((reader.Flags & DenseFlag) != 0)
        {
            reader.ExpectRemaining(sketch.DenseBytes, "dense registers");
            ReadOnlySpan<byte> packed = reader.ReadBytes(sketch.DenseBytes);
            var registers = new byte[sketch.DenseBytes + 1];
            packed.CopyTo(registers);
            for (int i = 0; i < sketch._m; i++)
            {
                if (GetRegister(registers, i) > sketch._q + 1)
                    throw reader.Invalid($"register {i} holds {GetRegister(registers, i)}, above the maximum {sketch._q + 1}");
            }
            sketch._registers = registers;
            sketch._sparseSlots = null;
            return sketch;
        }
        uint count = reader.ReadUInt32();
        if (count > (uint)sketch._sparseLimit)
            throw reader.Invalid($"{count} sparse tokens exceed the limit {sketch._sparseLimit} for precision {p}");
        reader.ExpectRemaining(4L * count, "sparse tokens");
        uint previous = 0;
        for (int i = 0; i < count; i++)
        {
            uint token = reader.ReadUInt32();
            uint rank = token & ((1u << SparseRankBits) - 1);
            if (rank is 0 or > 64 - SparsePrecision + 1)
                throw reader.Invalid($"sparse token {i} has rank {rank}");
            if (i > 0 && (token >> SparseRankBits) <= (previous >> SparseRankBits))
                throw reader.Invalid("sparse tokens are not strictly increasing");
            previous = token;
            sketch.InsertToken(token);
        }
        return sketch;
    }

    private void InsertToken(uint token)
    {
        if (_registers is not null)
        {
            FoldToken(_registers, token);
            return;
        }
        uint[] slots = _sparseSlots!;
        uint prefix = token >> SparseRankBits;
        int mask = slots.Length - 1;
        int slot = (int)(prefix & (uint)mask);
        while (true)
        {
            uint existing = slots[slot];
            if (existing == 0)
                break;
            if (existing >> SparseRankBits == prefix)
            {
                if (token > existing)
                    slots[slot] = token;
                return;
            }
            slot = (slot + 1) & mask;
        }
        if (_sparseCount + 1 > _sparseLimit)
        {
            ConvertToDense();
            FoldToken(_registers!, token);
            return;
        }
        slots[slot] = token;
        _sparseCount++;
        if (2 * _sparseCount > slots.Length && slots.Length < MaxSparseSlots)
            GrowSparse();
    }

    private void GrowSparse()
    {
        uint[] old = _sparseSlots!;
        var slots = new uint[old.Length * 2];
        int mask = slots.Length - 1;
        foreach (uint token in old)
        {
            if (token == 0)
                continue;
            int slot = (int)((token >> SparseRankBits) & (uint)mask);
            while (slots[slot] != 0)
                slot = (slot + 1) & mask;
            slots[slot] = token;
        }
        _sparseSlots = slots;
    }

    private void ConvertToDense()
    {
        var registers = new byte[DenseBytes + 1];
        foreach (uint token in _sparseSlots!)
        {
            if (token != 0)
                FoldToken(registers, token);
        }
        _registers = registers;
        _sparseSlots = null;
        _sparseCount = 0;
    }

    /// <summary>
    /// Recomputes the dense (p) register from a sparse (26-bit) token: the prefix bits below the top p are the
    /// first bits of the dense rank's input, so if any is set the rank follows from them alone; otherwise it is
    /// their count plus the token's own rank. This is what makes sparse->dense conversion lossless.
    /// </summary>
    private void FoldToken(byte[] registers, uint token)
    {
        uint prefix = token >> SparseRankBits;
        int extraBits = SparsePrecision - _p;
        int index = (int)(prefix >> extraBits);
        uint low = prefix & ((1u << extraBits) - 1);
        int rank = low != 0
            ? extraBits - (32 - BitOperations.LeadingZeroCount(low)) + 1
            : extraBits + (int)(token & ((1u << SparseRankBits) - 1));
        RaiseRegister(registers, index, rank);
    }

    private uint[] SortedTokens()
    {
        var tokens = new uint[_sparseCount];
        int n = 0;
        foreach (uint token in _sparseSlots!)
        {
            if (token != 0)
                tokens[n++] = token;
        }
        Array.Sort(tokens);
        return tokens;
    }

    /// <summary>
    /// Register-wise maximum of two dense sketches, four 6-bit registers (three bytes) at a time: a merge of two dense
    /// sketches is a register-wise maximum, and unpacking each register on its own was most of that.
    /// </summary>
    private static void MaxRegisters(byte[] target, byte[] source, int registers)
    {
        for (int at = 0, end = registers / 4 * 3; at < end; at += 3)
        {
            int b = source[at] | source[at + 1] << 8 | source[at + 2] << 16;
            if (b == 0) continue;
            int a = target[at] | target[at + 1] << 8 | target[at + 2] << 16;
            if (a == b) continue;
            int merged = 0;
            for (int shift = 0; shift < 24; shift += 6)
                merged |= Math.Max((a >> shift) & 63, (b >> shift) & 63) << shift;
            target[at] = (byte)merged;
            target[at + 1] = (byte)(merged >> 8);
            target[at + 2] = (byte)(merged >> 16);
        }
        for (int i = registers / 4 * 4; i < registers; i++)
            RaiseRegister(target, i, GetRegister(source, i));
    }

    private static int GetRegister(byte[] registers, int index)
    {
        int bit = index * 6;
        return (BinaryPrimitives.ReadUInt16LittleEndian(registers.AsSpan(bit >> 3, 2)) >> (bit & 7)) & 63;
    }

    private static void RaiseRegister(byte[] registers, int index, int rank)
    {
        int bit = index * 6;
        Span<byte> pair = registers.AsSpan(bit >> 3, 2);
        int word = BinaryPrimitives.ReadUInt16LittleEndian(pair);
        int shift = bit & 7;
        if (((word >> shift) & 63) >= rank)
            return;
        word = (word & ~(63 << shift)) | (rank << shift);
        BinaryPrimitives.WriteUInt16LittleEndian(pair, (ushort)word);
    }

    /// <summary>Registers as plain values, for tests comparing sketches register by register.</summary>
    internal byte[] DenseRegisterValues()
    {
        var values = new byte[_m];
        if (_registers is not null)
        {
            for (int i = 0; i < _m; i++)
                values[i] = (byte)GetRegister(_registers, i);
            return values;
        }
        var registers = new byte[DenseBytes + 1];
        foreach (uint token in _sparseSlots!)
        {
            if (token != 0)
                FoldToken(registers, token);
        }
        for (int i = 0; i < _m; i++)
            values[i] = (byte)GetRegister(registers, i);
        return values;
    }
}

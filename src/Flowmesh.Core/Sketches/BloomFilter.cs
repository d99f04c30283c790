using System.Numerics;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// Bloom filter with m bits and k probes derived by double hashing (Kirsch and Mitzenmacher 2006) from one
/// keyed 64-bit hash: probe i = (h1 + i*h2) mod 2^32, scaled onto m bits by a multiply-high.
/// </summary>
/// <remarks>
/// <para>Error: no false negatives; false-positive probability about (1 - e^(-kn/m))^k, and given the filter's
/// actual fill X/m it is (X/m)^k, which <see cref="EstimatedFalsePositiveRate"/> reports.</para>
/// <para>Merge: bitwise OR. Commutative, associative and idempotent; merge(A, B) is bit-identical to the filter
/// of the concatenated stream.</para>
/// </remarks>
public sealed class BloomFilter
{
    public const int MaxBits = 1 << 28;
    public const int MaxHashes = 32;

    private readonly SketchHashKey _key;
    private readonly ulong[] _words;

    /// <param name="bitCount">rounded up to a multiple of 64.</param>
    public BloomFilter(SketchHashKey key, int bitCount, int hashCount)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (bitCount is < 1 or > MaxBits)
            throw new ArgumentOutOfRangeException(nameof(bitCount), bitCount, $"Bit count must be 1..{MaxBits}.");
        if (hashCount is < 1 or > MaxHashes)
            throw new ArgumentOutOfRangeException(nameof(hashCount), hashCount, $"Hash count must be 1..{MaxHashes}.");
        _key = key;
        _words = new ulong[(bitCount + 63) / 64];
        BitCount = _words.Length * 64;
        HashCount = hashCount;
    }

    /// <summary>The optimal m = -n ln p / (ln 2)^2 and k = (m/n) ln 2 for n items at false-positive rate p.</summary>
    public static BloomFilter ForCapacity(SketchHashKey key, int expectedItems, double falsePositiveRate)
    {
        if (expectedItems < 1)
            throw new ArgumentOutOfRangeException(nameof(expectedItems));
        if (falsePositiveRate is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate));
        double bits = -expectedItems * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2));
        int m = (int)Math.Min(MaxBits, Math.Ceiling(bits));
        int k = (int)Math.Clamp(Math.Round(m / (double)expectedItems * Math.Log(2)), 1, MaxHashes);
        return new BloomFilter(key, m, k);
    }

    public int BitCount { get; }
    public int HashCount { get; }
    public ulong KeyFingerprint => _key.Fingerprint;

    public void Add(ReadOnlySpan<byte> item) => AddHash(_key.Hash(item));

    public void AddHash(ulong hash)
    {
        uint h1 = (uint)hash;
        uint h2 = (uint)(hash >> 32);
        for (int i = 0; i < HashCount; i++)
        {
            int bit = Probe(h1 + (uint)i * h2);
            _words[bit >> 6] |= 1UL << bit;
        }
    }

    public bool MightContain(ReadOnlySpan<byte> item) => MightContainHash(_key.Hash(item));

    public bool MightContainHash(ulong hash)
    {
        uint h1 = (uint)hash;
        uint h2 = (uint)(hash >> 32);
        for (int i = 0; i < HashCount; i++)
        {
            int bit = Probe(h1 + (uint)i * h2);
            if ((_words[bit >> 6] & (1UL << bit)) == 0)
                return false;
        }
        return true;
    }

    public long SetBitCount
    {
        get
        {
            long set = 0;
            foreach (ulong word in _words)
                set += BitOperations.PopCount(word);
            return set;
        }
    }

    /// <summary>(X/m)^k: the chance that an item never added hits k set bits.</summary>
    public double EstimatedFalsePositiveRate => Math.Pow(SetBitCount / (double)BitCount, HashCount);

    /// <summary>Swamidass and Baldi's estimate of the number of distinct items added: -(m/k) ln(1 - X/m).</summary>
    public double EstimatedCount
    {
        get
        {
            long set = SetBitCount;
            return set == BitCount ? double.PositiveInfinity : -(double)BitCount / HashCount * Math.Log(1 - set / (double)BitCount);
        }
    }

    /// <summary>Bitwise OR; idempotent.</summary>
    public void Merge(BloomFilter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.BitCount != BitCount || other.HashCount != HashCount)
            throw new ArgumentException($"Cannot merge m={other.BitCount},k={other.HashCount} into m={BitCount},k={HashCount}.", nameof(other));
        if (other.KeyFingerprint != KeyFingerprint)
            throw new ArgumentException("Cannot merge filters hashed with different keys.", nameof(other));
        for (int i = 0; i < _words.Length; i++)
            _words[i] |= other._words[i];
    }

    public void Clear() => Array.Clear(_words);

    public int SerializedSize => SketchWriter.Overhead + 5 + _words.Length * 8;

    /// <summary>
    /// Body layout: u32 bit count m (a multiple of 64), u8 hash count k, then m/64 u64 words; bit b is bit (b mod 64)
    /// of word b/64. Typical: 10,000 items at 1 % is m = 95,872 bits, 12,009 bytes.
    /// </summary>
    public byte[] Serialize()
    {
        var output = new byte[SerializedSize];
        var writer = new SketchWriter(output, SketchKind.Bloom, 0, KeyFingerprint);
        writer.WriteUInt32((uint)BitCount);
        writer.WriteByte((byte)HashCount);
        foreach (ulong word in _words)
            writer.WriteUInt64(word);
        writer.Finish();
        return output;
    }

    public static BloomFilter Deserialize(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        var reader = new SketchReader(data, SketchKind.Bloom, key, SketchWriter.Overhead + 5 + MaxBits / 8);
        if (reader.Flags != 0)
            throw reader.Invalid($"unknown flags {reader.Flags:x4}");
        uint bits = reader.ReadUInt32();
        int hashes = reader.ReadByte();
        if (bits is 0 or > MaxBits || bits % 64 != 0)
            throw reader.Invalid($"bit count {bits} is not a positive multiple of 64 up to {MaxBits}");
        if (hashes is < 1 or > MaxHashes)
            throw reader.Invalid($"hash count {hashes} outside 1..{MaxHashes}");
        reader.ExpectRemaining(bits / 8, "filter bits");
        var filter = new BloomFilter(key, (int)bits, hashes);
        for (int i = 0; i < filter._words.Length; i++)
            filter._words[i] = reader.ReadUInt64();
        return filter;
    }

    private int Probe(uint value) => (int)(((ulong)value * (uint)BitCount) >> 32);
}

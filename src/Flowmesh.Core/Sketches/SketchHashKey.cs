using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Flowmesh.Core.Sketches;

/// <summary>
/// The per-cluster secret every sketch hashes with, and the keyed 64-bit hash itself.
/// </summary>
/// <remarks>
/// Why SipHash-2-4 and not seeded XxHash3: sketches are only as good as their hash is unpredictable.
/// An outsider who can predict where an item lands can drive HyperLogLog estimates down (hiding a scan,
/// Paterson and Raynal 2021) or up (false alarms), and can pile collisions into Count-Min and Bloom cells.
/// XxHash3 with a secret seed is fast but is not a PRF: its seed mixing is linear enough that seed-independent
/// collisions exist, so it only raises the bar. SipHash-2-4 is a keyed PRF designed exactly for this
/// (hash-flooding resistance) and costs about 15-25 ns for the 4-40 byte keys we hash; an agent sees well
/// under 10^5 flow updates per second, so the price is irrelevant next to the guarantee.
/// A compromised agent knows the key and can still forge its own sketches; that is the envelope signature's job.
/// </remarks>
public sealed class SketchHashKey
{
    private static ReadOnlySpan<byte> FingerprintLabel => "flowmesh/sketch-key-fingerprint/v1"u8;

    private readonly ulong _k0;
    private readonly ulong _k1;

    /// <summary>Creates a key from 16 secret bytes (k0 = bytes 0..7, k1 = bytes 8..15, little-endian, as in the SipHash paper).</summary>
    public SketchHashKey(ReadOnlySpan<byte> sixteenBytes)
    {
        if (sixteenBytes.Length != 16)
            throw new ArgumentException("A sketch hash key is exactly 16 bytes.", nameof(sixteenBytes));
        _k0 = BinaryPrimitives.ReadUInt64LittleEndian(sixteenBytes);
        _k1 = BinaryPrimitives.ReadUInt64LittleEndian(sixteenBytes[8..]);
        Fingerprint = Hash(FingerprintLabel);
    }

    /// <summary>A fresh random key, e.g. for tests or a cluster bootstrap.</summary>
    public static SketchHashKey CreateRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return new SketchHashKey(bytes);
    }

    /// <summary>
    /// A public identifier of this key, written into every serialized sketch so that sketches hashed under
    /// different keys are never merged (their cells would mean different things). Revealing it reveals
    /// nothing useful about the key because it is itself a PRF output.
    /// </summary>
    public ulong Fingerprint { get; }

    /// <summary>SipHash-2-4 of <paramref name="data"/> under this key.</summary>
    public ulong Hash(ReadOnlySpan<byte> data)
    {
        ulong v0 = 0x736f6d6570736575UL ^ _k0;
        ulong v1 = 0x646f72616e646f6dUL ^ _k1;
        ulong v2 = 0x6c7967656e657261UL ^ _k0;
        ulong v3 = 0x7465646279746573UL ^ _k1;

        int fullWords = data.Length & ~7;
        for (int i = 0; i < fullWords; i += 8)
        {
            ulong m = BinaryPrimitives.ReadUInt64LittleEndian(data.Slice(i, 8));
            v3 ^= m;
            Round(ref v0, ref v1, ref v2, ref v3);
            Round(ref v0, ref v1, ref v2, ref v3);
            v0 ^= m;
        }

        ulong last = (ulong)data.Length << 56;
        ReadOnlySpan<byte> tail = data[fullWords..];
        for (int i = 0; i < tail.Length; i++)
            last |= (ulong)tail[i] << (8 * i);

        v3 ^= last;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        v0 ^= last;

        v2 ^= 0xff;
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        Round(ref v0, ref v1, ref v2, ref v3);
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /// <summary>
    /// Hash of the pair (a, b) without concatenating on the heap: distinct pairs with the same concatenation
    /// (("ab","c") vs ("a","bc")) must differ, so the length of <paramref name="a"/> is part of the input.
    /// </summary>
    public ulong HashPair(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        const int MaxStack = 256;
        int length = 1 + a.Length + b.Length;
        if (a.Length > 255 || length > MaxStack)
            throw new ArgumentException("Pair parts are limited to 255 bytes and 255 bytes in total.");
        Span<byte> buffer = stackalloc byte[MaxStack];
        buffer[0] = (byte)a.Length;
        a.CopyTo(buffer[1..]);
        b.CopyTo(buffer[(1 + a.Length)..]);
        return Hash(buffer[..length]);
    }

    /// <summary>
    /// A fixed bijective finalizer (SplitMix64) used to derive further hash values from one keyed hash
    /// (Count-Min rows, spread-sketch levels). Mixing a PRF output with a public bijection keeps it
    /// unpredictable to anyone without the key, so one SipHash call per item suffices.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>
    /// Column of row <paramref name="row"/> for an item hashed to <paramref name="hash"/>: the row's SplitMix64
    /// output mapped onto [0, width) by a multiply-high (unbiased enough for width far below 2^64, no division).
    /// Shared by Count-Min and the spread sketch so both index rows the same way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int RowColumn(ulong hash, int row, int width) =>
        (int)Math.BigMul(Mix(hash + (ulong)row * 0x9E3779B97F4A7C15UL), (ulong)width, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref ulong v0, ref ulong v1, ref ulong v2, ref ulong v3)
    {
        v0 += v1; v1 = BitOperations.RotateLeft(v1, 13); v1 ^= v0; v0 = BitOperations.RotateLeft(v0, 32);
        v2 += v3; v3 = BitOperations.RotateLeft(v3, 16); v3 ^= v2;
        v0 += v3; v3 = BitOperations.RotateLeft(v3, 21); v3 ^= v0;
        v2 += v1; v1 = BitOperations.RotateLeft(v1, 17); v1 ^= v2; v2 = BitOperations.RotateLeft(v2, 32);
    }
}

using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Flowmesh.Core.Flows;

/// <summary>
/// The flow table's key -> slot index: open addressing with linear probing and backward-shift deletion (no tombstones,
/// so lookups stay short however many flows come and go), at most half full. Each bucket packs the key's 32-bit hash
/// with its slot, so a probe compares a key only when the hashes match and growing never rehashes a key.
/// </summary>
/// <remarks>
/// Replaces a <c>Dictionary&lt;FlowKey, int&gt;</c>, whose lookup, insert and remove were 15 % of `flowmesh flows` on a
/// capture of 1.26 M packets (docs/performance.md, "Where the offline time goes"): <c>HashCode.Combine</c> over six
/// fields, a second array of entries and the chained buckets all cost more than one multiply-fold hash and a probe
/// in a flat array. The hash is keyed with random bits per table, because the packets choose the keys: a host on the
/// LAN must not be able to pick addresses that all land in one run of buckets.
/// </remarks>
internal sealed class FlowIndex
{
    private const ulong Empty = 0;
    private ulong[] _buckets;
    private int _mask;
    private readonly ulong _k0, _k1, _k2, _k3, _k4;

    public FlowIndex(int capacity)
    {
        int size = 16;
        while (size < capacity * 2L && size < 1 << 30) size <<= 1;
        _buckets = new ulong[size];
        _mask = size - 1;
        Span<ulong> keys = stackalloc ulong[5];
        RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(keys));
        (_k0, _k1, _k2, _k3, _k4) = (keys[0], keys[1], keys[2], keys[3], keys[4] | 1);
    }

    public int Count { get; private set; }

    /// <summary>The slot of <paramref name="key"/> among <paramref name="entries"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(in FlowKey key, ChunkedArray<FlowEntry> entries)
    {
        uint hash = Hash(in key);
        ulong[] buckets = _buckets;
        for (int i = (int)hash & _mask; ; i = (i + 1) & _mask)
        {
            ulong bucket = buckets[i];
            if (bucket == Empty) return -1;
            if ((uint)(bucket >> 32) == hash)
            {
                int slot = (int)(uint)bucket - 1;
                if (entries[slot].Key.Equals(key)) return slot;
            }
        }
    }

    /// <summary>Indexes <paramref name="slot"/> under <paramref name="key"/>, which must not be indexed yet.</summary>
    public void Add(in FlowKey key, int slot)
    {
        if ((Count + 1) * 2L > _buckets.Length) Grow();
        Place(((ulong)Hash(in key) << 32) | (uint)(slot + 1));
        Count++;
    }

    /// <summary>Removes the entry of <paramref name="slot"/> (indexed under <paramref name="key"/>); false when it is not there.</summary>
    public bool Remove(in FlowKey key, int slot)
    {
        uint hash = Hash(in key);
        ulong wanted = ((ulong)hash << 32) | (uint)(slot + 1);
        int i = (int)hash & _mask;
        while (_buckets[i] != wanted)
        {
            if (_buckets[i] == Empty) return false;
            i = (i + 1) & _mask;
        }
        // Backward shift: pull each later member of the probe run into the hole when its home lies at or before the hole.
        for (int j = (i + 1) & _mask; _buckets[j] != Empty; j = (j + 1) & _mask)
        {
            int home = (int)(uint)(_buckets[j] >> 32) & _mask;
            if (((j - home) & _mask) >= ((j - i) & _mask))
            {
                _buckets[i] = _buckets[j];
                i = j;
            }
        }
        _buckets[i] = Empty;
        Count--;
        return true;
    }

    private void Place(ulong bucket)
    {
        int i = (int)(uint)(bucket >> 32) & _mask;
        while (_buckets[i] != Empty) i = (i + 1) & _mask;
        _buckets[i] = bucket;
    }

    private void Grow()
    {
        var old = _buckets;
        _buckets = new ulong[old.Length * 2];
        _mask = _buckets.Length - 1;
        foreach (ulong bucket in old)
            if (bucket != Empty) Place(bucket);
    }

    /// <summary>
    /// Each keyed field times its own odd constant, summed, then a 64-bit finalizer (SplitMix64's): five independent
    /// multiplies that pipeline. (A 128-bit multiply fold ran through a software fallback in the native build, which
    /// targets x64 without BMI2.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Hash(in FlowKey key)
    {
        ulong h = (key.LowAddress.Low ^ _k0) * 0x9E3779B97F4A7C15UL
            + (key.HighAddress.Low ^ _k1) * 0xC2B2AE3D27D4EB4FUL
            + (key.LowAddress.High ^ _k2) * 0x165667B19E3779F9UL
            + (key.HighAddress.High ^ _k3) * 0xD6E8FEB86659FD93UL
            + (((ulong)key.LowPort << 24 | (ulong)key.HighPort << 8 | key.Protocol) ^ _k4) * 0xFF51AFD7ED558CCDUL;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        h ^= h >> 31;
        return (uint)h ^ (uint)(h >> 32);
    }
}

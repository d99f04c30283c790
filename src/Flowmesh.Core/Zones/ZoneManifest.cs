using System.Security.Cryptography;
using System.Text;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Zones;

/// <summary>
/// The sorted set of inputs a zone aggregate merged (docs/zones.md "Aggregates"). It is what makes an aggregate
/// checkable (fetch the inputs, recompute the merge) and what orders aggregates of one zone and period: one replaces
/// another only if its manifest covers the other's (<see cref="Covers"/>), so replacement never loses an input and
/// never counts one twice.
/// </summary>
public sealed class ZoneManifest
{
    /// <summary>A leaf zone of 10 PCs holds 30 inputs per 30 s period; an operator zone of a few hundred PCs still fits.</summary>
    public const int MaxEntries = 4096;

    private readonly ZoneManifestEntry[] _entries;

    private ZoneManifest(ZoneManifestEntry[] entries, long totalWeight, ZoneHash hash)
    {
        _entries = entries;
        TotalWeight = totalWeight;
        Hash = hash;
    }

    public IReadOnlyList<ZoneManifestEntry> Entries => _entries;

    /// <summary>How many origin records the aggregate covers (a leaf entry weighs 1, a child zone its own total).</summary>
    public long TotalWeight { get; }

    /// <summary>SHA-256 of the canonical encoding: equal manifests, equal hash.</summary>
    public ZoneHash Hash { get; }

    /// <summary>Sorts <paramref name="entries"/>; throws <see cref="ArgumentException"/> for a duplicate identity, a weight below 1 or too many entries.</summary>
    public static ZoneManifest Create(IEnumerable<ZoneManifestEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var sorted = entries.ToArray();
        Array.Sort(sorted, static (a, b) => ZoneManifestEntry.CompareIdentity(a, b));
        string? problem = Check(sorted);
        if (problem is not null) throw new ArgumentException(problem, nameof(entries));
        return FromSorted(sorted);
    }

    /// <summary>Null when the sorted entries form a valid manifest, else why not.</summary>
    internal static string? Check(ReadOnlySpan<ZoneManifestEntry> sorted)
    {
        if (sorted.Length == 0) return "A manifest lists at least one input.";
        if (sorted.Length > MaxEntries) return $"A manifest lists at most {MaxEntries} inputs, got {sorted.Length}.";
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Weight < 1) return $"Input {sorted[i].Key} has weight {sorted[i].Weight}; weights are at least 1.";
            if (sorted[i].LengthMicros <= 0) return $"Input {sorted[i].Key} has a non-positive length.";
            if (i > 0 && ZoneManifestEntry.CompareIdentity(sorted[i - 1], sorted[i]) >= 0)
                return $"Inputs are not in strictly increasing order at {sorted[i].Key}@{sorted[i].StartMicros} (a duplicate, or unsorted).";
        }
        return null;
    }

    internal static ZoneManifest FromSorted(ZoneManifestEntry[] sorted)
    {
        long total = 0;
        foreach (var e in sorted) total += e.Weight;
        var writer = new EpochRecordWriter(64 + 96 * sorted.Length);
        WriteEntries(writer, sorted);
        return new ZoneManifest(sorted, total, new ZoneHash(SHA256.HashData(writer.ToArray())));
    }

    internal void Write(EpochRecordWriter writer) => WriteEntries(writer, _entries);

    private static void WriteEntries(EpochRecordWriter writer, ZoneManifestEntry[] entries)
    {
        writer.WriteUInt32((uint)entries.Length);
        foreach (var e in entries)
        {
            byte[] key = Encoding.UTF8.GetBytes(e.Key);
            writer.WriteByte((byte)key.Length);
            writer.WriteBytes(key);
            writer.WriteUInt64((ulong)e.StartMicros);
            writer.WriteUInt64((ulong)e.LengthMicros);
            writer.WriteBytes(e.Hash.Span);
            writer.WriteUInt32((uint)e.Weight);
        }
    }

    /// <summary>
    /// True when every input of <paramref name="other"/> is an input here: same identity and same hash, or, for child
    /// zones whose manifests differ, when <paramref name="childCovers"/> says this one's child covers the other's
    /// (a node that holds both child aggregates can tell; without it, differing children are incomparable).
    /// </summary>
    public bool Covers(ZoneManifest other, Func<ZoneManifestEntry, ZoneManifestEntry, bool>? childCovers = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Hash == Hash) return true;
        if (other._entries.Length > _entries.Length) return false;
        int j = 0;
        foreach (var theirs in other._entries)
        {
            while (j < _entries.Length && ZoneManifestEntry.CompareIdentity(_entries[j], theirs) < 0) j++;
            if (j == _entries.Length || ZoneManifestEntry.CompareIdentity(_entries[j], theirs) != 0) return false;
            var mine = _entries[j];
            if (mine.Hash != theirs.Hash && (childCovers is null || !childCovers(mine, theirs))) return false;
            j++;
        }
        return true;
    }
}

namespace Flowmesh.Core.Zones;

/// <summary>
/// One input of a zone aggregate. For a leaf zone it is one origin's record: <see cref="Key"/> the origin, the
/// record's interval, its content hash (SHA-256) and weight 1. Above, it is one child zone's aggregate:
/// <see cref="Key"/> the child's path, the period, the child's manifest hash and how many origin records it covers.
/// </summary>
public readonly record struct ZoneManifestEntry(string Key, long StartMicros, long LengthMicros, ZoneHash Hash, int Weight)
{
    /// <summary>Manifests are sorted by this order, without duplicates: key (ordinal), start, length.</summary>
    public static int CompareIdentity(in ZoneManifestEntry a, in ZoneManifestEntry b)
    {
        int c = string.CompareOrdinal(a.Key, b.Key);
        if (c != 0) return c;
        c = a.StartMicros.CompareTo(b.StartMicros);
        return c != 0 ? c : a.LengthMicros.CompareTo(b.LengthMicros);
    }
}

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Chooses, per origin, which records of an interval to merge: the longest records first (roll-ups), then shorter
/// ones where the longer leave room, never two that overlap. One origin's records never overlap except where a
/// roll-up lies over the records it was made from, so this counts each of the origin's traffic exactly once and
/// merges as few records as the held set allows; where only some of a roll-up's parts are held (or only the
/// roll-up), what is held still covers its part. Works on ids, so a caller can decide before reading or decoding.
/// <para>
/// A record longer than the window's preferred longest (a 1 h roll-up in a 1 h window, whose chart wants more than one
/// point) is replaced by the shorter records inside it when those cover it completely; otherwise it stays, so a
/// window never loses traffic to the preference.
/// </para>
/// </summary>
public static class CoarsestCover
{
    /// <summary>
    /// The ids of <paramref name="ids"/> (any origins, any order, no duplicates needed) lying wholly inside
    /// [<paramref name="fromMicros"/>, <paramref name="toMicros"/>) that the cover keeps; per origin pairwise
    /// disjoint. Ties between equal lengths go to the earlier start, so the choice does not depend on input order.
    /// Records longer than <paramref name="preferredLongestMicros"/> are replaced by their complete parts when held
    /// (default: no preference).
    /// </summary>
    public static List<EpochId> Choose(IEnumerable<EpochId> ids, long fromMicros, long toMicros, long preferredLongestMicros = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var chosen = new List<EpochId>();
        foreach (var origin in ids.Where(id => id.StartMicros >= fromMicros && id.EndMicros <= toMicros)
                     .Distinct().GroupBy(id => id.Origin, StringComparer.Ordinal))
            chosen.AddRange(ChooseOneOrigin(origin.ToList(), preferredLongestMicros));
        return chosen;
    }

    /// <summary>
    /// The longest record a window of <paramref name="windowMicros"/> prefers: one that leaves its series at least
    /// <paramref name="minimumPoints"/> points (but never shorter than an epoch).
    /// </summary>
    public static long PreferredLongest(long windowMicros, int minimumPoints, long epochMicros) =>
        Math.Max(epochMicros, windowMicros / Math.Max(1, minimumPoints));

    /// <summary>The disjoint subset of one origin's distinct ids (see <see cref="Choose"/>), sorted by start.</summary>
    internal static List<EpochId> ChooseOneOrigin(IReadOnlyList<EpochId> ids, long preferredLongestMicros)
    {
        var accepted = Greedy(ids);
        if (!accepted.Any(id => id.LengthMicros > preferredLongestMicros)) return accepted;
        var result = new List<EpochId>(accepted.Count);
        foreach (var id in accepted)
        {
            if (id.LengthMicros <= preferredLongestMicros)
            {
                result.Add(id);
                continue;
            }
            // Disjoint parts inside the record whose lengths add up to its own cover it completely.
            var parts = Greedy([.. ids.Where(p => p.LengthMicros <= preferredLongestMicros && p.StartMicros >= id.StartMicros && p.EndMicros <= id.EndMicros)]);
            long covered = 0;
            foreach (var p in parts) covered += p.LengthMicros;
            if (covered == id.LengthMicros) result.AddRange(parts);
            else result.Add(id);
        }
        return result;
    }

    /// <summary>Longest first, then earliest; each kept unless it overlaps one already kept. Sorted by start.</summary>
    private static List<EpochId> Greedy(IReadOnlyList<EpochId> ids)
    {
        var accepted = new List<EpochId>(); // sorted by start, pairwise disjoint
        foreach (var id in ids.OrderByDescending(i => i.LengthMicros).ThenBy(i => i.StartMicros))
        {
            int index = accepted.BinarySearch(id, StartComparer.Instance);
            if (index >= 0) continue;
            index = ~index;
            bool overlapsPrevious = index > 0 && accepted[index - 1].Overlaps(id);
            bool overlapsNext = index < accepted.Count && accepted[index].Overlaps(id);
            if (overlapsPrevious || overlapsNext) continue;
            accepted.Insert(index, id);
        }
        return accepted;
    }

    private sealed class StartComparer : IComparer<EpochId>
    {
        public static readonly StartComparer Instance = new();
        public int Compare(EpochId x, EpochId y) => x.StartMicros.CompareTo(y.StartMicros);
    }
}

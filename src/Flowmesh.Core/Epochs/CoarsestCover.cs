namespace Flowmesh.Core.Epochs;

/// <summary>
/// Chooses, per origin, which records of an interval to merge: the longest records first (roll-ups), then shorter
/// ones where the longer leave room, never two that overlap. One origin's records never overlap except where a
/// roll-up lies over the records it was made from, so this counts each of the origin's traffic exactly once and
/// merges as few records as the held set allows; where only some of a roll-up's parts are held (or only the
/// roll-up), what is held still covers its part. Works on ids, so a caller can decide before reading or decoding.
/// </summary>
public static class CoarsestCover
{
    /// <summary>
    /// The ids of <paramref name="ids"/> (any origins, any order, no duplicates needed) lying wholly inside
    /// [<paramref name="fromMicros"/>, <paramref name="toMicros"/>) that the cover keeps; per origin pairwise
    /// disjoint. Ties between equal lengths go to the earlier start, so the choice does not depend on input order.
    /// </summary>
    public static List<EpochId> Choose(IEnumerable<EpochId> ids, long fromMicros, long toMicros)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var chosen = new List<EpochId>();
        foreach (var origin in ids.Where(id => id.StartMicros >= fromMicros && id.EndMicros <= toMicros)
                     .Distinct().GroupBy(id => id.Origin, StringComparer.Ordinal))
            chosen.AddRange(ChooseOneOrigin(origin));
        return chosen;
    }

    /// <summary>The disjoint subset of one origin's distinct ids, longest first; sorted by start.</summary>
    internal static List<EpochId> ChooseOneOrigin(IEnumerable<EpochId> ids)
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

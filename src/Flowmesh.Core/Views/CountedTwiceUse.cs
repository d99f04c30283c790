using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// The "counted twice" entries (<see cref="CountedTwice"/>) the view takes out of its totals: those whose reporting
/// origin's records and whose owner's records of that epoch are both merged, the owner's owning the address then
/// (otherwise the reporter's count was the only one). The taken traffic is in both origins' sketches, so every top
/// list's lower bound is widened by it.
/// </summary>
internal sealed class CountedTwiceUse
{
    public readonly TrafficCounters[] ByProtocol = new TrafficCounters[ProtocolClasses.Count];
    public readonly List<(long EpochStart, TrafficCounters Counters)> ByEpoch = [];
    public readonly Dictionary<string, TrafficCounters> ByReporter = new(StringComparer.Ordinal);
    public readonly SortedSet<string> Owners = new(StringComparer.Ordinal);
    public TrafficCounters All;

    /// <param name="byOrigin">The merged records of the window, by origin.</param>
    /// <param name="later">
    /// Records that end after the window (not merged): their reports about the window's epochs count too, because a
    /// peer reports what it counted twice only once it learns of the owner, which may be well after the epoch, and
    /// after the window's end (a partition's heal).
    /// </param>
    public static CountedTwiceUse Of(Dictionary<string, List<EpochRecord>> byOrigin, IEnumerable<EpochRecord>? later = null)
    {
        var use = new CountedTwiceUse();
        var seen = new HashSet<(string, CountedTwice)>();
        var reports = byOrigin.SelectMany(p => p.Value).Concat(later ?? []);
        foreach (var record in reports)
        {
            string reporter = record.Id.Origin;
            if (record.Contents.Extensions.CountedTwice is not { } entries || !byOrigin.TryGetValue(reporter, out var records)) continue;
            foreach (var e in entries)
            {
                if (!seen.Add((reporter, e)) || !Covers(records, e, owner: null) || !byOrigin.TryGetValue(e.Owner, out var ownerRecords)
                    || !Covers(ownerRecords, e, owner: e)) continue;
                use.ByProtocol[e.ProtocolClass] += e.Traffic;
                use.ByEpoch.Add((e.StartMicros, e.Traffic));
                use.ByReporter[reporter] = use.ByReporter.GetValueOrDefault(reporter) + e.Traffic;
                use.Owners.Add(e.Owner);
                use.All += e.Traffic;
            }
        }
        return use;
    }

    /// <summary>A merged record overlapping the entry's epoch (of the owner: one that owned the entry's address then).</summary>
    private static bool Covers(List<EpochRecord> records, CountedTwice e, CountedTwice? owner)
    {
        foreach (var r in records)
            if (r.Id.StartMicros < e.EndMicros && e.StartMicros < r.Id.EndMicros && (owner is null || r.Owned(e.Address))) return true;
        return false;
    }

    /// <summary><paramref name="from"/> less <paramref name="taken"/>, never below zero.</summary>
    public static TrafficCounters Less(TrafficCounters from, TrafficCounters taken) =>
        new(from.Bytes - Math.Min(from.Bytes, taken.Bytes), from.Packets - Math.Min(from.Packets, taken.Packets), from.Flows - Math.Min(from.Flows, taken.Flows));
}

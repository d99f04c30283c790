using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Zones;

/// <summary>
/// What a zoned node's view of a window merges (docs/zones.md "The view: one representation per subtree"): its own
/// leaf zone's per-PC records as they are, and for every aggregate period lying wholly in the window, one
/// representation per other subtree chosen by <see cref="ZoneSelection"/> (a zone's best aggregate, or the records of
/// it the node holds when they cover more). The result feeds <see cref="GlobalView.Build"/> like any records: an
/// aggregate's contents are a record of the pseudo-origin <c>@zone</c>.
/// </summary>
/// <remarks>
/// Exactly once: aggregates on the node's own path (its leaf and the leaf's ancestors) are never used, so no
/// aggregate holds a record of the own leaf; subtrees are disjoint and <see cref="ZoneSelection"/> takes one
/// representation of each per period. Records of other zones that do not fit inside one period of the window (a
/// roll-up, a record across a period boundary, the window's ragged edges) are used only when no held aggregate of
/// their zone or of an ancestor overlaps them; otherwise they are left out and counted
/// (<see cref="ZoneViewCoverage.RecordsLeftOut"/>). Origins the node has not placed in a zone are treated as
/// records of no zone (<see cref="ZoneSelection"/>): used directly.
/// </remarks>
public sealed class ZonedWindow
{
    private ZonedWindow(List<EpochRecord> records, ZoneViewCoverage coverage)
    {
        Records = records;
        Coverage = coverage;
    }

    /// <summary>The records to merge: per-PC records and the contents of the aggregates chosen.</summary>
    public IReadOnlyList<EpochRecord> Records { get; }

    /// <summary>How much came from records and from aggregates (<see cref="ZoneViewCoverage.MissingFromAggregates"/> is left to the caller, who knows membership).</summary>
    public ZoneViewCoverage Coverage { get; }

    /// <param name="records">Records the node holds that overlap the window (any origins, copies allowed).</param>
    /// <param name="leafOf">The leaf zone an origin sits in, null when not known.</param>
    /// <param name="ownLeaf">The node's own leaf zone.</param>
    /// <param name="aggregates">Aggregates the node holds (any zone and period; all versions: the superset rule is applied here).</param>
    /// <param name="periodMicros">The aggregate period (aggregates are aligned to it).</param>
    public static ZonedWindow Select(IEnumerable<EpochRecord> records, Func<string, ZonePath?> leafOf, ZonePath ownLeaf, IEnumerable<ZoneAggregate> aggregates,
        ViewWindow window, long periodMicros)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(leafOf);
        ArgumentNullException.ThrowIfNull(ownLeaf);
        ArgumentNullException.ThrowIfNull(aggregates);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(periodMicros, 0);
        var set = new ZoneAggregateSet();
        foreach (var a in aggregates)
            if (!a.Zone.Contains(ownLeaf) && a.LengthMicros == periodMicros && a.StartMicros >= window.FromMicros && a.EndMicros <= window.ToMicros) set.Add(a);

        var used = new List<EpochRecord>();
        var byPeriod = new Dictionary<long, List<EpochRecord>>();
        int leftOut = 0;
        foreach (var r in records)
        {
            var leaf = leafOf(r.Id.Origin);
            if (leaf is null || leaf.Equals(ownLeaf))
            {
                used.Add(r);
                continue;
            }
            long period = EpochRollup.AlignDown(r.Id.StartMicros, periodMicros);
            if (r.Id.EndMicros <= period + periodMicros && period >= window.FromMicros && period + periodMicros <= window.ToMicros)
            {
                if (!byPeriod.TryGetValue(period, out var list)) byPeriod[period] = list = [];
                list.Add(r);
            }
            else if (Overlapped(set, leaf, r.Id)) leftOut++;
            else used.Add(r);
        }
        foreach (var a in set.All) byPeriod.TryAdd(a.StartMicros, []);

        var aggregated = new List<ZoneAggregate>();
        var aggregatedOrigins = new SortedSet<string>(StringComparer.Ordinal);
        var throughAggregates = new Dictionary<string, List<(long Start, long End)>>(StringComparer.Ordinal);
        foreach (var (period, held) in byPeriod.OrderBy(p => p.Key))
        {
            var selection = ZoneSelection.Select(held, r => leafOf(r.Id.Origin), set, period, periodMicros);
            used.AddRange(selection.Direct);
            aggregated.AddRange(selection.Aggregates);
            var direct = selection.Direct.Select(r => r.Id.Origin).ToHashSet(StringComparer.Ordinal);
            var directIds = selection.Direct.Select(r => r.Id).ToHashSet();
            foreach (var (origin, start, length) in selection.Covered)
            {
                if (directIds.Contains(new EpochId(origin, start, length))) continue;
                aggregatedOrigins.Add(origin);
                if (!throughAggregates.TryGetValue(origin, out var spans)) throughAggregates[origin] = spans = [];
                spans.Add((start, start + length));
            }
        }
        // "Left to peer" sections whose owner's record is inside a chosen aggregate: the owner counted those flows (it is
        // in the merge), but the view, which looks for the owner's own record, would count them again from the section.
        // Owners under an upper zone's aggregate are not listable; placed under one, they are taken as counted.
        bool OwnerCounted(LeftToPeer section)
        {
            if (throughAggregates.TryGetValue(section.Peer, out var spans) && spans.Any(s => s.Start < section.EndMicros && section.StartMicros < s.End)) return true;
            return leafOf(section.Peer) is { } ownerLeaf && aggregated.Any(a => a.Kind == ZoneAggregateKind.Zones && a.Zone.Contains(ownerLeaf)
                && a.StartMicros < section.EndMicros && section.StartMicros < a.EndMicros);
        }
        int sectionsDropped = 0;
        EpochRecord Resolved(EpochRecord r)
        {
            int n = r.Contents.Extensions.Left.Count(OwnerCounted);
            if (n == 0) return r;
            sectionsDropped += n;
            var copy = EpochRecord.Decode(r.Encode(), r.Contents.Key);
            copy.Contents.Extensions.Left.RemoveAll(OwnerCounted);
            return EpochRecord.FromContents(r.Id, copy.Contents);
        }
        var coverage = new ZoneViewCoverage
        {
            RecordOrigins = used.Select(r => r.Id.Origin).Distinct(StringComparer.Ordinal).Count(),
            Records = used.Count,
            NewestRecordEndMicros = used.Count == 0 ? null : used.Max(r => r.Id.EndMicros),
            Zones = [.. aggregated.Select(a => a.Zone.Text).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Aggregates = aggregated.Count,
            AggregatedRecords = aggregated.Sum(a => a.Manifest.TotalWeight),
            AggregatedOrigins = [.. aggregatedOrigins],
            NewestAggregateEndMicros = aggregated.Count == 0 ? null : aggregated.Max(a => a.EndMicros),
            RecordsLeftOut = leftOut,
            PerZone = [.. aggregated.GroupBy(a => a.Zone).OrderBy(g => g.Key).Select(g => new AggregatedZone(g.Key.Text, g.Count(), g.Sum(a => a.Manifest.TotalWeight),
                [.. g.Where(a => a.Kind == ZoneAggregateKind.Records).SelectMany(a => a.Manifest.Entries.Select(e => e.Key)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                0, 0, g.Max(a => a.EndMicros)))],
        };
        var merged = new List<EpochRecord>(used.Count + aggregated.Count);
        foreach (var r in used) merged.Add(Resolved(r));
        foreach (var a in aggregated) merged.Add(Resolved(a.Contents));
        return new ZonedWindow(merged, coverage with { LeftSectionsResolved = sectionsDropped });
    }

    /// <summary>True when an aggregate of <paramref name="leaf"/> or of one of its ancestors overlaps <paramref name="id"/>.</summary>
    private static bool Overlapped(ZoneAggregateSet set, ZonePath leaf, EpochId id)
    {
        foreach (var a in set.All)
            if (a.Zone.Contains(leaf) && a.StartMicros < id.EndMicros && id.StartMicros < a.EndMicros) return true;
        return false;
    }
}

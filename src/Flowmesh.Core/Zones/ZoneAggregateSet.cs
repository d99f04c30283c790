namespace Flowmesh.Core.Zones;

/// <summary>
/// The aggregates a node holds, per zone and period, under the superset rule (docs/zones.md "Replacement"): an
/// aggregate replaces the ones whose manifests its own covers; incomparable ones (two producers during a partition)
/// are kept side by side until a union covers both. <see cref="Best"/> picks the one a view uses. Whichever it picks,
/// each input inside is counted once, so the choice affects completeness, never double counting; and because
/// replacement needs a covering manifest, what a view covers never shrinks.
/// </summary>
public sealed class ZoneAggregateSet
{
    private readonly Dictionary<(ZonePath Zone, long Start, long Length), List<ZoneAggregate>> _held = [];
    private readonly Func<ZoneManifestEntry, ZoneManifestEntry, bool>? _childCovers;

    /// <param name="childCovers">For aggregates of child zones whose manifests name different child manifests:
    /// whether the first child covers the second (a node holding both children can tell; null: incomparable).</param>
    public ZoneAggregateSet(Func<ZoneManifestEntry, ZoneManifestEntry, bool>? childCovers = null) => _childCovers = childCovers;

    public int Count => _held.Values.Sum(l => l.Count);

    public ZoneAggregateAddResult Add(ZoneAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        var key = (aggregate.Zone, aggregate.StartMicros, aggregate.LengthMicros);
        if (!_held.TryGetValue(key, out var held))
        {
            _held[key] = [aggregate];
            return ZoneAggregateAddResult.Added;
        }
        foreach (var h in held)
        {
            if (h.Hash == aggregate.Hash) return ZoneAggregateAddResult.Duplicate;
            if (h.Manifest.Hash == aggregate.Manifest.Hash)
                return h.Contents.ContentHash == aggregate.Contents.ContentHash ? ZoneAggregateAddResult.Covered : ZoneAggregateAddResult.Conflict;
            if (h.Manifest.Covers(aggregate.Manifest, _childCovers)) return ZoneAggregateAddResult.Covered;
        }
        int removed = held.RemoveAll(h => aggregate.Manifest.Covers(h.Manifest, _childCovers));
        held.Add(aggregate);
        return removed > 0 ? ZoneAggregateAddResult.Replaced : ZoneAggregateAddResult.Added;
    }

    /// <summary>The aggregates held for a zone and period: one, or several incomparable ones.</summary>
    public IReadOnlyList<ZoneAggregate> Held(ZonePath zone, long startMicros, long lengthMicros) =>
        _held.TryGetValue((zone, startMicros, lengthMicros), out var held) ? [.. held] : [];

    /// <summary>The one a view uses: the largest weight, ties broken by the larger manifest hash (every node picks the same).</summary>
    public ZoneAggregate? Best(ZonePath zone, long startMicros, long lengthMicros) =>
        _held.TryGetValue((zone, startMicros, lengthMicros), out var held)
            ? held.OrderByDescending(a => a.Manifest.TotalWeight).ThenByDescending(a => a.Manifest.Hash).First()
            : null;

    public IEnumerable<ZoneAggregate> All => _held.Values.SelectMany(l => l);
}

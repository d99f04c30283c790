using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Zones;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// The view source of an agent that may replicate by zone (`--zone-replication`, docs/zones.md). Until
/// <see cref="UseZones"/> is called (a flat agent: never) it is the inner source, unchanged. Once zoned, a view of a
/// window merges the own leaf zone's per-PC records and, per aggregate period, one representation of every other
/// subtree (<see cref="ZonedWindow"/>), so totals and top lists cover the whole cluster with each origin record counted
/// once; origins placed in other zones are then expected through their zone's aggregates, not as records, and the
/// coverage names the alive ones that no aggregate covers.
/// </summary>
internal sealed class ZonedViewSource(IViewSource inner) : IViewSource
{
    private volatile Zones? _zones;

    /// <summary>The source without zones: the records this agent holds.</summary>
    public IViewSource Inner => inner;

    /// <summary>True once <see cref="UseZones"/> was called.</summary>
    public bool IsZoned => _zones is not null;

    public long NowMicros => inner.NowMicros;

    public TimeSpan EpochLength => inner.EpochLength;

    /// <summary>Views from now on read <paramref name="aggregates"/> (the agent's aggregates scopes) as <paramref name="directory"/> places origins.</summary>
    public void UseZones(ZoneDirectory directory, IReadOnlyDictionary<ZonePath, AggregateScopeStore> aggregates, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(aggregates);
        _zones = new Zones(directory, aggregates, Core.UnixMicros.FromDuration(period));
    }

    public IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros) => inner.RecordsOverlapping(fromMicros, toMicros);

    public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() => inner.ExpectedOrigins();

    public ViewInput Read(ViewWindow window)
    {
        if (_zones is not { } zones) return inner.Read(window);
        var directory = zones.Directory;
        var records = inner.RecordsOverlapping(window.FromMicros, window.ToMicros);
        var selected = ZonedWindow.Select(records, directory.LeafOf, directory.Leaf, zones.Aggregates.Values.SelectMany(s => s.All()), window, zones.PeriodMicros);
        var direct = selected.Records.Select(r => r.Id.Origin).ToHashSet(StringComparer.Ordinal);
        var aggregated = selected.Coverage.AggregatedOrigins.ToHashSet(StringComparer.Ordinal);
        // An upper zone's aggregate lists its child zones, not their origins (this agent does not hold the children).
        var upper = selected.Coverage.Zones.Select(ZonePath.Parse).ToList();
        var expected = new List<ExpectedOrigin>();
        var missing = new List<string>();
        var known = inner.ExpectedOrigins();
        foreach (var origin in known)
        {
            if (directory.LeafOf(origin.Origin) is not { } leaf || leaf.Equals(directory.Leaf))
            {
                expected.Add(origin);
                continue;
            }
            // Another zone's PC: its traffic comes through its zone's aggregate (or its records, when held and used).
            if (direct.Contains(origin.Origin)) expected.Add(origin);
            else if (origin.State == OriginLiveness.Alive && !aggregated.Contains(origin.Origin) && !upper.Any(z => z.Contains(leaf) && !z.Equals(leaf))) missing.Add(origin.Origin);
        }
        missing.Sort(StringComparer.Ordinal);
        return new ViewInput(selected.Records, expected, selected.Coverage with { MissingFromAggregates = missing, PerZone = Members(selected.Coverage.PerZone, directory, known) });
    }

    /// <summary>Each aggregated zone's members: those its aggregates name and the expected origins placed in it, with their liveness.</summary>
    private static List<AggregatedZone> Members(IReadOnlyList<AggregatedZone> zones, ZoneDirectory directory, IReadOnlyList<ExpectedOrigin> expected)
    {
        var result = new List<AggregatedZone>(zones.Count);
        foreach (var zone in zones)
        {
            var path = ZonePath.Parse(zone.Zone);
            var named = zone.Members.ToHashSet(StringComparer.Ordinal);
            var placed = expected.Where(o => directory.IsIn(o.Origin, path)).ToList();
            var members = named.Union(placed.Select(o => o.Origin), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            // Reporting: named by an aggregate input; an upper zone's aggregate names child zones, so there every placed member counts.
            int reporting = named.Count > 0 ? named.Count : placed.Count;
            result.Add(zone with { Members = members, Alive = placed.Count(o => o.State == OriginLiveness.Alive), Reporting = reporting });
        }
        return result;
    }

    private sealed record Zones(ZoneDirectory Directory, IReadOnlyDictionary<ZonePath, AggregateScopeStore> Aggregates, long PeriodMicros);
}

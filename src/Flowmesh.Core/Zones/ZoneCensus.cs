using Flowmesh.Core.Views;

namespace Flowmesh.Core.Zones;

/// <summary>One zone in a <see cref="ZoneCensus"/>: its origins, how many are alive and reporting, how fresh its newest data is.</summary>
/// <param name="Members">The origins' names when the zone has at most <see cref="ZoneCensus.MaxListedMembers"/>; else empty.</param>
public sealed record ZoneCount(ZonePath Zone, int Origins, int Alive, int Reporting, TimeSpan? NewestDataAge, IReadOnlyList<string> Members);

/// <summary>
/// The zones one level below a parent, as one view sees them (`flowmesh zones`, GET /api/v1/zones): each origin is
/// placed by the zone its newest record in the window names. One level at a time, so a network of 10,000 PCs is
/// browsed zone by zone and never listed whole. Origins without a record in the window, or whose records name no
/// zone, have no known place and are counted apart.
/// </summary>
public sealed record ZoneCensus(ZonePath Parent, IReadOnlyList<ZoneCount> Zones, ZoneCount? Here, ZoneCount Unplaced)
{
    public const int MaxListedMembers = 32;

    public static ZoneCensus Of(GlobalView view, ZonePath parent)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(parent);
        var zoneOf = new Dictionary<string, ZonePath>(StringComparer.Ordinal);
        var newestStart = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in view.Records)
        {
            if (newestStart.TryGetValue(r.Id.Origin, out long start) && start >= r.Id.StartMicros) continue;
            newestStart[r.Id.Origin] = r.Id.StartMicros;
            if (r.Zone is { } zone) zoneOf[r.Id.Origin] = zone;
            else zoneOf.Remove(r.Id.Origin);
        }
        var children = new Dictionary<ZonePath, List<OriginCoverage>>();
        var here = new List<OriginCoverage>();
        var unplaced = new List<OriginCoverage>();
        var aggregated = view.Coverage.Zones;
        foreach (var origin in view.Coverage.Origins)
        {
            // A zone aggregate's contents (origin "@zone") are the zone itself, counted below from the coverage.
            if (aggregated is not null && origin.Origin.StartsWith('@')) continue;
            if (!zoneOf.TryGetValue(origin.Origin, out var zone))
            {
                if (parent.IsRoot) unplaced.Add(origin);
                continue;
            }
            if (!parent.Contains(zone)) continue;
            if (zone.Depth == parent.Depth)
            {
                here.Add(origin);
                continue;
            }
            var child = zone.Prefix(parent.Depth + 1);
            if (!children.TryGetValue(child, out var list)) children[child] = list = [];
            list.Add(origin);
        }
        var counts = children.ToDictionary(c => c.Key, c => Count(c.Key, c.Value, view.NowMicros));
        foreach (var part in aggregated?.PerZone ?? [])
        {
            var zone = ZonePath.Parse(part.Zone);
            if (zone.Depth <= parent.Depth || !parent.Contains(zone)) continue;
            var child = zone.Prefix(parent.Depth + 1);
            var count = new ZoneCount(child, part.Members.Count, part.Alive, part.Reporting,
                part.NewestEndMicros is { } end ? UnixMicros.ToDuration(Math.Max(0, view.NowMicros - end)) : null, part.Members.Count <= MaxListedMembers ? part.Members : []);
            counts[child] = counts.TryGetValue(child, out var seen) ? Combine(seen, count) : count;
        }
        return new ZoneCensus(
            parent,
            [.. counts.OrderBy(c => c.Key).Select(c => c.Value)],
            here.Count > 0 ? Count(parent, here, view.NowMicros) : null,
            Count(parent, unplaced, view.NowMicros));
    }

    /// <summary>A zone seen both through records (its PCs' own) and through aggregates (its subzones'), on a zoned node.</summary>
    private static ZoneCount Combine(ZoneCount a, ZoneCount b)
    {
        var members = a.Members.Union(b.Members, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        TimeSpan? newest = a.NewestDataAge is { } x && b.NewestDataAge is { } y ? (x < y ? x : y) : a.NewestDataAge ?? b.NewestDataAge;
        int origins = a.Origins + b.Origins;
        return new ZoneCount(a.Zone, origins, a.Alive + b.Alive, a.Reporting + b.Reporting, newest, origins <= MaxListedMembers ? members : []);
    }

    private static ZoneCount Count(ZonePath zone, List<OriginCoverage> origins, long nowMicros)
    {
        long? newest = origins.Max(o => o.NewestEndMicros);
        return new ZoneCount(
            zone,
            origins.Count,
            origins.Count(o => o.State == OriginLiveness.Alive),
            origins.Count(o => o.Records > 0),
            newest is { } n ? UnixMicros.ToDuration(Math.Max(0, nowMicros - n)) : null,
            origins.Count <= MaxListedMembers ? [.. origins.Select(o => o.Origin).Order(StringComparer.Ordinal)] : []);
    }
}

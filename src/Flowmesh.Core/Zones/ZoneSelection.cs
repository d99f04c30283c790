using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Zones;

/// <summary>
/// What a node merges for one period (docs/zones.md "The view: one representation per subtree"): for every zone,
/// either the best aggregate of the zone or, recursively, the representations of its children (for a leaf zone, its
/// origins' records), whichever covers more origin records. Subtrees are disjoint and an aggregate counts each of its
/// inputs once, so no origin record is counted twice whatever the node holds; <see cref="Covered"/> lists them.
/// </summary>
/// <remarks>
/// Records whose origin names no zone (<c>zoneOf</c> returns null: older builds) are never inside an aggregate and
/// are always used directly. A zone's weight is the number of origin records its representation covers.
/// </remarks>
public sealed class ZoneSelection
{
    private ZoneSelection(List<EpochRecord> records, List<ZoneAggregate> aggregates, List<EpochRecord> direct, HashSet<(string, long, long)> covered)
    {
        Records = records;
        Aggregates = aggregates;
        Direct = direct;
        Covered = covered;
    }

    /// <summary>What the view merges: the records used directly and the contents of the aggregates used.</summary>
    public IReadOnlyList<EpochRecord> Records { get; }

    /// <summary>The aggregates used.</summary>
    public IReadOnlyList<ZoneAggregate> Aggregates { get; }

    /// <summary>The origins' records used directly.</summary>
    public IReadOnlyList<EpochRecord> Direct { get; }

    /// <summary>
    /// The origin records (origin, start, length) the selection counts, directly or inside an aggregate, as far as
    /// they can be listed: inputs of an upper aggregate whose child aggregate is not held are counted in
    /// <see cref="FromAggregates"/> but not listed.
    /// </summary>
    public IReadOnlySet<(string Origin, long StartMicros, long LengthMicros)> Covered { get; }

    /// <summary>Origin records counted through aggregates (their manifests' weights).</summary>
    public long FromAggregates => Aggregates.Sum(a => a.Manifest.TotalWeight);

    /// <summary>
    /// Chooses for the period [<paramref name="startMicros"/>, + <paramref name="lengthMicros"/>) among the
    /// <paramref name="records"/> (those inside the period are considered; copies are ignored; each origin's records
    /// must not overlap, as <see cref="EpochRecordSet"/> guarantees) and the <paramref name="aggregates"/> held.
    /// </summary>
    public static ZoneSelection Select(IEnumerable<EpochRecord> records, Func<EpochRecord, ZonePath?> zoneOf, ZoneAggregateSet aggregates, long startMicros, long lengthMicros)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(zoneOf);
        ArgumentNullException.ThrowIfNull(aggregates);
        long end = startMicros + lengthMicros;
        var unzoned = new List<EpochRecord>();
        var byZone = new Dictionary<ZonePath, List<EpochRecord>>();
        var zones = new HashSet<ZonePath> { ZonePath.Root };
        var seen = new HashSet<EpochId>();
        foreach (var r in records)
        {
            if (r.Id.StartMicros < startMicros || r.Id.EndMicros > end || !seen.Add(r.Id)) continue;
            if (zoneOf(r) is not { } zone)
            {
                unzoned.Add(r);
                continue;
            }
            if (!byZone.TryGetValue(zone, out var list)) byZone[zone] = list = [];
            list.Add(r);
            AddWithAncestors(zones, zone);
        }
        foreach (var a in aggregates.All)
            if (a.StartMicros == startMicros && a.LengthMicros == lengthMicros) AddWithAncestors(zones, a.Zone);

        var children = zones.Where(z => !z.IsRoot).GroupBy(z => z.Parent).ToDictionary(g => g.Key, g => g.OrderBy(z => z).ToList());
        var chosen = Choose(ZonePath.Root, children, byZone, aggregates, startMicros, lengthMicros);

        var direct = new List<EpochRecord>(unzoned);
        var used = new List<ZoneAggregate>();
        var covered = new HashSet<(string, long, long)>();
        foreach (var r in unzoned) covered.Add((r.Id.Origin, r.Id.StartMicros, r.Id.LengthMicros));
        foreach (var part in chosen.Parts)
        {
            if (part.Aggregate is { } a)
            {
                used.Add(a);
                foreach (var input in Inputs(a, aggregates)) covered.Add(input);
            }
            else
            {
                direct.Add(part.Record!);
                covered.Add((part.Record!.Id.Origin, part.Record.Id.StartMicros, part.Record.Id.LengthMicros));
            }
        }
        return new ZoneSelection([.. direct, .. used.Select(a => a.Contents)], used, direct, covered);
    }

    /// <summary>The representation of <paramref name="zone"/> covering the most origin records.</summary>
    private static Representation Choose(ZonePath zone, Dictionary<ZonePath, List<ZonePath>> children, Dictionary<ZonePath, List<EpochRecord>> byZone,
        ZoneAggregateSet aggregates, long start, long length)
    {
        var below = new Representation();
        if (byZone.TryGetValue(zone, out var own))
            foreach (var r in own) below.Add(new Part(null, r), 1);
        if (children.TryGetValue(zone, out var kids))
            foreach (var kid in kids) below.AddAll(Choose(kid, children, byZone, aggregates, start, length));
        // A zone's own aggregate replaces everything below only when it covers more (ties: the aggregate, which is
        // the same origin records in one merge).
        if (aggregates.Best(zone, start, length) is { } best && best.Manifest.TotalWeight >= below.Weight && best.Manifest.TotalWeight > 0)
        {
            var self = new Representation();
            self.Add(new Part(best, null), best.Manifest.TotalWeight);
            return self;
        }
        return below;
    }

    /// <summary>The origin records inside an aggregate: its manifest, and for child zones, the held children's (as far as known).</summary>
    private static IEnumerable<(string, long, long)> Inputs(ZoneAggregate aggregate, ZoneAggregateSet aggregates)
    {
        if (aggregate.Kind == ZoneAggregateKind.Records)
        {
            foreach (var e in aggregate.Manifest.Entries) yield return (e.Key, e.StartMicros, e.LengthMicros);
            yield break;
        }
        foreach (var e in aggregate.Manifest.Entries)
        {
            var child = aggregates.Held(ZonePath.Parse(e.Key), e.StartMicros, e.LengthMicros).FirstOrDefault(c => c.Manifest.Hash == e.Hash);
            if (child is null) continue; // counted in the weight, not listable here: the child aggregate is not held
            foreach (var input in Inputs(child, aggregates)) yield return input;
        }
    }

    private static void AddWithAncestors(HashSet<ZonePath> zones, ZonePath zone)
    {
        for (var z = zone; !z.IsRoot && zones.Add(z); z = z.Parent) { }
    }

    private sealed record Part(ZoneAggregate? Aggregate, EpochRecord? Record);

    private sealed class Representation
    {
        public List<Part> Parts { get; } = [];
        public long Weight { get; private set; }

        public void Add(Part part, long weight)
        {
            Parts.Add(part);
            Weight += weight;
        }

        public void AddAll(Representation other)
        {
            Parts.AddRange(other.Parts);
            Weight += other.Weight;
        }
    }
}

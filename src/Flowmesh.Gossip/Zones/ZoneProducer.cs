using Flowmesh.Core;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// Produces this node's share of the zone aggregates (docs/zones.md "Aggregates"): for each zone on its path, from
/// its leaf up to the root's children, when it is the zone's producer by <see cref="ZoneDirectory.ProducerOf"/> (the
/// lowest-named alive member, as <see cref="ZonedSimulator"/> rules), it merges every ended period: a leaf zone from
/// the members' records, an upper zone from its children's best aggregates. It re-issues when late inputs make a more
/// complete merge (at most <see cref="ZoneProducerOptions.MaxReissues"/> times), signs with the node's key and stores
/// the aggregate in the parent zone's aggregates scope, from where replication spreads it. Driven by
/// <see cref="Tick"/> (the agent calls it every second); membership changes take effect at the next tick, so a
/// crashed producer costs the failure detector's delay plus a tick.
/// </summary>
public sealed class ZoneProducer
{
    private readonly ZoneDirectory _directory;
    private readonly AggregateSealer _sealer;
    private readonly SketchHashKey _key;
    private readonly IRecordStore _leafRecords;
    private readonly IReadOnlyDictionary<ZonePath, AggregateScopeStore> _scopes;
    private readonly Func<IReadOnlyCollection<string>> _alive;
    private readonly ZoneProducerOptions _options;
    private readonly TimeProvider _time;
    private readonly long _periodMicros;
    private readonly Dictionary<(ZonePath, long), (int Issued, long Weight)> _issued = [];
    private readonly object _lock = new();

    /// <param name="leafRecords">The leaf zone's records (a <see cref="LeafZoneRecordStore"/>).</param>
    /// <param name="scopes">This node's aggregates scopes, by the zone whose children they hold: every ancestor of the leaf.</param>
    /// <param name="alive">Names of the peers membership sees alive (this node excluded or not: it counts as alive).</param>
    public ZoneProducer(ZoneDirectory directory, AggregateSealer sealer, SketchHashKey key, IRecordStore leafRecords,
        IReadOnlyDictionary<ZonePath, AggregateScopeStore> scopes, Func<IReadOnlyCollection<string>> alive, ZoneProducerOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(sealer);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(leafRecords);
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(alive);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        if (!string.Equals(sealer.Self.Value, directory.Self, StringComparison.Ordinal)) throw new ArgumentException("the sealer signs for another node", nameof(sealer));
        for (int depth = 0; depth < directory.Leaf.Depth; depth++)
            if (!scopes.ContainsKey(directory.Leaf.Prefix(depth))) throw new ArgumentException($"no aggregates scope for {directory.Leaf.Prefix(depth)}", nameof(scopes));
        _directory = directory;
        _sealer = sealer;
        _key = key;
        _leafRecords = leafRecords;
        _scopes = scopes;
        _alive = alive;
        _options = options;
        _time = time;
        _periodMicros = UnixMicros.FromDuration(options.Period);
    }

    /// <summary>Aggregates this node produced (first issues and re-issues).</summary>
    public long Produced { get; private set; }

    /// <summary>Of <see cref="Produced"/>, the re-issues after late inputs.</summary>
    public long Reissued { get; private set; }

    /// <summary>The start of the period that contains <paramref name="micros"/>.</summary>
    public long PeriodOf(long micros) => micros - (((micros % _periodMicros) + _periodMicros) % _periodMicros);

    /// <summary>Merges what this node produces for every recently ended period; returns the aggregates issued.</summary>
    public int Tick()
    {
        lock (_lock)
        {
            long now = UnixMicros.Now(_time);
            long grace = UnixMicros.FromDuration(_options.Grace);
            long newest = PeriodOf(now - grace) - _periodMicros; // the newest period whose end is at least the grace ago
            var alive = _alive();
            int issued = 0;
            for (int back = 0; back < _options.Lookback; back++)
            {
                long start = newest - back * _periodMicros;
                // Leaf first: an upper zone merges in the same tick what its own producer just made below it.
                for (int depth = _directory.Leaf.Depth; depth >= 1; depth--)
                {
                    var zone = _directory.Leaf.Prefix(depth);
                    if (!string.Equals(_directory.ProducerOf(zone, alive), _directory.Self, StringComparison.Ordinal)) continue;
                    if (Produce(zone, start, now, alive)) issued++;
                }
            }
            Forget(newest - _options.Lookback * _periodMicros);
            return issued;
        }
    }

    private bool Produce(ZonePath zone, long start, long now, IReadOnlyCollection<string> alive)
    {
        var (issued, lastWeight) = _issued.GetValueOrDefault((zone, start));
        if (issued > _options.MaxReissues) return false;
        ZoneAggregate? aggregate = zone.Equals(_directory.Leaf) ? FromRecords(zone, start) : FromChildren(zone, start, now, issued, alive);
        if (aggregate is null || aggregate.Manifest.TotalWeight <= lastWeight) return false;
        _scopes[zone.Parent].Write(_sealer.Seal(aggregate));
        _issued[(zone, start)] = (issued + 1, aggregate.Manifest.TotalWeight);
        Produced++;
        if (issued > 0) Reissued++;
        return true;
    }

    private ZoneAggregate? FromRecords(ZonePath zone, long start)
    {
        long end = start + _periodMicros;
        var inputs = new List<EpochRecord>();
        foreach (var id in _leafRecords.IdsStartingBetween(start, end).OrderBy(i => i.Origin, StringComparer.Ordinal).ThenBy(i => i.StartMicros))
        {
            // Whole epochs inside the period only; an origin's overlapping records (a longer roll-up) are not inputs.
            if (id.EndMicros > end) continue;
            if (inputs.Count > 0 && inputs[^1].Id.Origin == id.Origin && inputs[^1].Id.EndMicros > id.StartMicros) continue;
            if (_leafRecords.Read(id) is not { } envelope || !SignedRecord.TryDecode(envelope, out var signed, out _)) continue;
            try
            {
                inputs.Add(EpochRecord.Decode(signed!.Record, _key));
            }
            catch (EpochRecordFormatException)
            {
                // Stored records passed the validator; one that no longer decodes is left out, not merged.
            }
        }
        return inputs.Count == 0 ? null : ZoneAggregate.FromRecords(zone, start, _periodMicros, _directory.Self, inputs);
    }

    private ZoneAggregate? FromChildren(ZonePath zone, long start, long now, int issued, IReadOnlyCollection<string> alive)
    {
        var scope = _scopes[zone];
        var children = scope.All().Where(a => a.StartMicros == start && a.LengthMicros == _periodMicros).Select(a => a.Zone).Distinct()
            .Select(child => scope.Best(child, start, _periodMicros)!).ToList();
        if (children.Count == 0) return null;
        // The first issue waits for every child zone with members (an early partial merge costs a re-issue), up to ChildrenWait.
        var expected = _directory.ChildrenWithMembers(zone, alive);
        long waitedUntil = start + _periodMicros + UnixMicros.FromDuration(_options.Grace + _options.ChildrenWait);
        if (issued == 0 && expected.Any(c => children.All(a => !a.Zone.Equals(c))) && now < waitedUntil) return null;
        return ZoneAggregate.FromChildren(zone, start, _periodMicros, _directory.Self, children);
    }

    private void Forget(long beforeMicros)
    {
        foreach (var key in _issued.Keys.Where(k => k.Item2 < beforeMicros).ToList()) _issued.Remove(key);
    }
}

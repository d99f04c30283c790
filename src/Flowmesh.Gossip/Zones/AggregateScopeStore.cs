using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// The store of one aggregates scope: the signed envelopes, which replication reconciles like records, and beside
/// them the decoded aggregates under the superset rule, which producers and views read. Only verified records reach
/// <see cref="Write"/> (RecordIntake or the producer's own seal), so decoding here cannot fail on hostile bytes; an
/// envelope that does not decode anyway is refused. In memory: a restart starts empty and catches up from peers.
/// Thread-safe (one lock; sessions of several peers write at once).
/// </summary>
public sealed class AggregateScopeStore : IRecordStore
{
    private readonly MemoryRecordStore _envelopes = new();
    private readonly SketchHashKey _key;
    private readonly object _lock = new();
    private ZoneAggregateSet _aggregates = new();

    public AggregateScopeStore(SyncScope scope, SketchHashKey key)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(key);
        if (scope.Kind != SyncScopeKind.Aggregates) throw new ArgumentException($"{scope} is not an aggregates scope", nameof(scope));
        Scope = scope;
        _key = key;
    }

    public SyncScope Scope { get; }

    /// <summary>Raised after an aggregate is stored (the producer of the parent zone wakes on it).</summary>
    public event Action<ZoneAggregate>? Stored;

    public int Count => _envelopes.Count;

    /// <summary>The aggregate a view would use for (zone, period), or null.</summary>
    public ZoneAggregate? Best(ZonePath zone, long startMicros, long lengthMicros)
    {
        lock (_lock) return _aggregates.Best(zone, startMicros, lengthMicros);
    }

    /// <summary>Every aggregate held under the superset rule (a snapshot).</summary>
    public IReadOnlyList<ZoneAggregate> All()
    {
        lock (_lock) return [.. _aggregates.All];
    }

    public IReadOnlyList<OriginDigest> Digest() => _envelopes.Digest();
    public IReadOnlyList<EpochId> IdsOf(string origin) => _envelopes.IdsOf(origin);
    public bool Contains(EpochId id) => _envelopes.Contains(id);
    public byte[]? Read(EpochId id) => _envelopes.Read(id);

    public bool Write(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!AggregateSealer.IsAggregateOrigin(record.Id.Origin) || !TryDecode(record.SignedEnvelope, out var aggregate)) return false;
        // Only aggregates of this scope's zone's children belong here.
        if (aggregate!.Zone.Depth != Scope.Zone.Depth + 1 || !Scope.Zone.Contains(aggregate.Zone)) return false;
        lock (_lock)
        {
            if (!_envelopes.Write(record)) return false;
            _aggregates.Add(aggregate);
        }
        Stored?.Invoke(aggregate);
        return true;
    }

    /// <summary>Retention: drops aggregates whose period ended before <paramref name="horizonMicros"/>; returns how many.</summary>
    public int Prune(long horizonMicros)
    {
        lock (_lock)
        {
            int removed = _envelopes.Prune(horizonMicros);
            if (removed == 0) return 0;
            var kept = new ZoneAggregateSet();
            foreach (var a in _aggregates.All)
                if (a.EndMicros >= horizonMicros) kept.Add(a);
            _aggregates = kept;
            return removed;
        }
    }

    private bool TryDecode(byte[] envelope, out ZoneAggregate? aggregate)
    {
        aggregate = null;
        if (!SignedRecord.TryDecode(envelope, out var signed, out _)) return false;
        try
        {
            aggregate = ZoneAggregate.Decode(signed!.Record, _key);
            return true;
        }
        catch (ZoneAggregateFormatException)
        {
            return false;
        }
    }
}

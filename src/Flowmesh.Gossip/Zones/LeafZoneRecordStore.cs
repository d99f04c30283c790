using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// The part of a node's record store that its leaf zone's records scope reconciles: the records of origins in the
/// zone. Digests, id lists and reads show only those origins, so a peer of the zone never learns or pulls an outside
/// origin's records through this scope, and a pushed record of an outside origin is not stored (it counts as a
/// duplicate: harmless, and a zone member never pushes one). Whatever else the inner store holds stays untouched.
/// </summary>
public sealed class LeafZoneRecordStore : IRecordStore
{
    private readonly IRecordStore _inner;
    private readonly Func<string, bool> _inZone;

    /// <param name="inZone">Whether an origin belongs to the leaf zone (the agent: its zone directory); called often, keep it cheap.</param>
    public LeafZoneRecordStore(IRecordStore inner, Func<string, bool> inZone)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(inZone);
        _inner = inner;
        _inZone = inZone;
    }

    public IReadOnlyList<OriginDigest> Digest() => [.. _inner.Digest().Where(d => _inZone(d.Origin))];

    public IReadOnlyList<EpochId> IdsOf(string origin) => _inZone(origin) ? _inner.IdsOf(origin) : [];

    public bool Contains(EpochId id) => _inner.Contains(id);

    public byte[]? Read(EpochId id) => _inZone(id.Origin) ? _inner.Read(id) : null;

    public bool Write(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _inZone(record.Id.Origin) && _inner.Write(record);
    }

    public IReadOnlyList<bool> WriteAll(IReadOnlyList<VerifiedRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        // Decided once per record: the zone's membership may change while the batch is written.
        var mask = records.Select(r => _inZone(r.Id.Origin)).ToArray();
        var inside = records.Where((_, i) => mask[i]).ToList();
        var stored = inside.Count == 0 ? [] : _inner.WriteAll(inside);
        var result = new bool[records.Count];
        for (int i = 0, j = 0; i < records.Count; i++)
            result[i] = mask[i] && stored[j++];
        return result;
    }

    public IReadOnlyList<EpochId> IdsStartingBetween(long fromMicros, long toMicros) =>
        [.. _inner.IdsStartingBetween(fromMicros, toMicros).Where(id => _inZone(id.Origin))];

    public long? OldestStartOf(string origin) => _inZone(origin) ? _inner.OldestStartOf(origin) : null;
}

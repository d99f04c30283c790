using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// An <see cref="IRecordStore"/> in memory, for tests and the simulator. Digests are maintained incrementally (the
/// fingerprint is an XOR, so adding or removing an id is one XOR). Thread-safe (one lock).
/// </summary>
public sealed class MemoryRecordStore : IRecordStore
{
    private readonly Dictionary<EpochId, VerifiedRecord> _records = [];
    private readonly Dictionary<string, OriginState> _origins = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public int Count
    {
        get { lock (_lock) return _records.Count; }
    }

    public IReadOnlyList<OriginDigest> Digest()
    {
        lock (_lock)
        {
            var digests = new List<OriginDigest>(_origins.Count);
            foreach (var (origin, state) in _origins)
                if (state.Ids.Count > 0)
                    digests.Add(new OriginDigest(origin, state.Ids.Count, state.Ids.Max!.StartMicros, state.Fingerprint));
            return digests;
        }
    }

    public IReadOnlyList<EpochId> IdsOf(string origin)
    {
        lock (_lock)
            return _origins.TryGetValue(origin, out var state) ? state.Ids.Reverse().ToList() : [];
    }

    public bool Contains(EpochId id)
    {
        lock (_lock) return _records.ContainsKey(id);
    }

    public byte[]? Read(EpochId id)
    {
        lock (_lock) return _records.TryGetValue(id, out var record) ? (byte[])record.SignedEnvelope.Clone() : null;
    }

    public bool Write(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            // Only the envelope is kept, as in the agent's store: a simulator's thousands of stores must not hold decoded records.
            if (!_records.TryAdd(record.Id, record.Decoded is null ? record : record with { Decoded = null })) return false;
            if (!_origins.TryGetValue(record.Id.Origin, out var state)) _origins[record.Id.Origin] = state = new OriginState();
            state.Ids.Add(record.Id);
            state.Fingerprint ^= OriginDigest.IdHash(record.Id);
            return true;
        }
    }

    /// <summary>Retention: drops every record whose epoch ended before <paramref name="horizonMicros"/>; returns how many.</summary>
    public int Prune(long horizonMicros)
    {
        lock (_lock)
        {
            var expired = _records.Keys.Where(id => id.EndMicros < horizonMicros).ToList();
            foreach (var id in expired)
            {
                _records.Remove(id);
                var state = _origins[id.Origin];
                state.Ids.Remove(id);
                state.Fingerprint ^= OriginDigest.IdHash(id);
                if (state.Ids.Count == 0) _origins.Remove(id.Origin);
            }
            return expired.Count;
        }
    }

    private sealed class OriginState
    {
        /// <summary>Ascending by start, then length.</summary>
        public SortedSet<EpochId> Ids { get; } = new(Comparer<EpochId>.Create((a, b) =>
            a.StartMicros != b.StartMicros ? a.StartMicros.CompareTo(b.StartMicros) : a.LengthMicros.CompareTo(b.LengthMicros)));

        public ulong Fingerprint { get; set; }
    }
}

using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Detections;

/// <summary>
/// The external destinations this node has seen in earlier windows, with when each was last seen: the memory that
/// "first contact" is judged against. Bounded: at most <c>capacity</c> addresses (the least recently seen are
/// forgotten first, a tenth at a time so eviction stays amortized O(1)) and none older than the retention.
/// </summary>
public sealed class DestinationHistory
{
    private readonly Dictionary<IpAddress128, long> _lastSeen = [];
    private readonly int _capacity;
    private readonly long _retentionMicros;

    public DestinationHistory(int capacity, TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _retentionMicros = UnixMicros.FromDuration(retention);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_retentionMicros, 0, nameof(retention));
    }

    public int Count => _lastSeen.Count;
    public int Capacity => _capacity;

    /// <summary>When the history first learned anything (packet time); null while empty since creation.</summary>
    public long? LearningSinceMicros { get; private set; }

    /// <summary>Addresses forgotten because the history was full.</summary>
    public long Evicted { get; private set; }

    public bool Contains(IpAddress128 address) => _lastSeen.ContainsKey(address);

    /// <summary>True once the history has been learning for at least <paramref name="learning"/> at <paramref name="nowMicros"/>.</summary>
    public bool HasLearned(long nowMicros, TimeSpan learning) =>
        LearningSinceMicros is { } since && nowMicros - since >= UnixMicros.FromDuration(learning);

    /// <summary>Starts the learning clock without any address (a node that just started and saw no external traffic yet).</summary>
    public void StartLearning(long nowMicros) => LearningSinceMicros ??= nowMicros;

    public void Observe(IpAddress128 address, long seenMicros)
    {
        LearningSinceMicros ??= seenMicros;
        if (_lastSeen.TryGetValue(address, out long previous))
        {
            if (seenMicros > previous) _lastSeen[address] = seenMicros;
            return;
        }
        if (_lastSeen.Count >= _capacity) EvictOldest(Math.Max(1, _capacity / 10));
        _lastSeen[address] = seenMicros;
    }

    /// <summary>Forgets destinations not seen within the retention before <paramref name="nowMicros"/>.</summary>
    public void Prune(long nowMicros)
    {
        long cutoff = nowMicros - _retentionMicros;
        foreach (var stale in _lastSeen.Where(e => e.Value < cutoff).Select(e => e.Key).ToList())
            _lastSeen.Remove(stale);
    }

    private void EvictOldest(int count)
    {
        foreach (var key in _lastSeen.OrderBy(e => e.Value).ThenBy(e => e.Key).Take(count).Select(e => e.Key).ToList())
        {
            _lastSeen.Remove(key);
            Evicted++;
        }
    }
}

using System.Diagnostics;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// A token bucket per peer key (sender NodeId for datagrams, source address for connections), in a table with a fixed
/// number of entries: when it is full the least recently seen peer is forgotten (its bucket starts full again if it
/// comes back). Two budgets per peer: events per second and bytes per second, each with its own burst. A peer over
/// either budget has the event refused and nothing is taken from the other budget.
/// Why: memberlist trusts every keyed peer; one buggy or compromised agent flooding datagrams would otherwise fill the
/// event loop and starve the probes of everyone else. Refusal costs a dictionary lookup and never blocks.
/// Thread-safe (one short lock; each transport has one receiving thread, so it is uncontended). Allocates only when a
/// new peer enters a table that is not yet full; after that evicted entries are reused.
/// </summary>
public sealed class PeerRateLimiter<TKey> where TKey : notnull
{
    private sealed class Bucket
    {
        public TKey Key = default!;
        public double Events;
        public double Bytes;
        public long LastTicks;
    }

    private readonly object _lock = new();
    private readonly Dictionary<TKey, LinkedListNode<Bucket>> _table;
    private readonly LinkedList<Bucket> _recency = new(); // first = most recently seen
    private readonly double _eventsPerTick, _bytesPerTick, _eventBurst, _byteBurst;
    private readonly int _maxEntries;
    private long _evictions;

    /// <param name="eventsPerSecond">Sustained events (datagrams, connections) per peer; 0 = no event budget.</param>
    /// <param name="eventBurst">Events a quiet peer may send at once.</param>
    /// <param name="bytesPerSecond">Sustained bytes per peer; 0 = no byte budget.</param>
    /// <param name="byteBurst">Bytes a quiet peer may send at once (at least the largest single event).</param>
    /// <param name="maxEntries">Peers remembered at most.</param>
    public PeerRateLimiter(double eventsPerSecond, double eventBurst, double bytesPerSecond, double byteBurst, int maxEntries)
    {
        if (eventsPerSecond < 0 || bytesPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(eventsPerSecond), "rates must not be negative");
        if (eventsPerSecond > 0 && eventBurst < 1) throw new ArgumentOutOfRangeException(nameof(eventBurst), "must be at least 1");
        if (bytesPerSecond > 0 && byteBurst < 1) throw new ArgumentOutOfRangeException(nameof(byteBurst), "must be at least 1");
        if (maxEntries < 1) throw new ArgumentOutOfRangeException(nameof(maxEntries), "must be at least 1");
        _eventsPerTick = eventsPerSecond / Stopwatch.Frequency;
        _bytesPerTick = bytesPerSecond / Stopwatch.Frequency;
        _eventBurst = eventBurst;
        _byteBurst = byteBurst;
        _maxEntries = maxEntries;
        _table = new Dictionary<TKey, LinkedListNode<Bucket>>(Math.Min(maxEntries, 1024));
    }

    /// <summary>Peers currently remembered (never above the configured maximum).</summary>
    public int Count { get { lock (_lock) return _table.Count; } }

    /// <summary>Peers forgotten because the table was full.</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    /// <summary>Takes one event of <paramref name="bytes"/> from <paramref name="peer"/>'s budget now.</summary>
    public bool TryAcquire(TKey peer, int bytes) => TryAcquire(peer, bytes, Stopwatch.GetTimestamp());

    /// <summary>As <see cref="TryAcquire(TKey, int)"/> at <paramref name="nowTicks"/> (a <see cref="Stopwatch"/> timestamp; tests pass their own).</summary>
    public bool TryAcquire(TKey peer, int bytes, long nowTicks)
    {
        lock (_lock)
        {
            var bucket = Touch(peer, nowTicks);
            var elapsed = Math.Max(0, nowTicks - bucket.LastTicks);
            bucket.LastTicks = nowTicks;
            if (_eventsPerTick > 0) bucket.Events = Math.Min(_eventBurst, bucket.Events + elapsed * _eventsPerTick);
            if (_bytesPerTick > 0) bucket.Bytes = Math.Min(_byteBurst, bucket.Bytes + elapsed * _bytesPerTick);
            var eventsOk = _eventsPerTick <= 0 || bucket.Events >= 1;
            var bytesOk = _bytesPerTick <= 0 || bucket.Bytes >= bytes;
            if (!eventsOk || !bytesOk) return false;
            if (_eventsPerTick > 0) bucket.Events -= 1;
            if (_bytesPerTick > 0) bucket.Bytes -= bytes;
            return true;
        }
    }

    /// <summary>
    /// Whether <paramref name="peer"/> could send an event of <paramref name="bytes"/> now, taking nothing: checked
    /// before dear work on a claim that is not yet proven (a packet's signature), and charged with
    /// <see cref="TryAcquire(TKey, int)"/> once it is, so a forger can neither spend another peer's budget nor make us
    /// verify a flooding peer's packets beyond its budget.
    /// </summary>
    public bool HasBudget(TKey peer, int bytes)
    {
        var nowTicks = Stopwatch.GetTimestamp();
        lock (_lock)
        {
            if (!_table.TryGetValue(peer, out var node)) return true;
            var bucket = node.Value;
            var elapsed = Math.Max(0, nowTicks - bucket.LastTicks);
            var events = _eventsPerTick > 0 ? Math.Min(_eventBurst, bucket.Events + elapsed * _eventsPerTick) : 1;
            var budget = _bytesPerTick > 0 ? Math.Min(_byteBurst, bucket.Bytes + elapsed * _bytesPerTick) : bytes;
            return events >= 1 && budget >= bytes;
        }
    }

    private Bucket Touch(TKey peer, long nowTicks)
    {
        if (_table.TryGetValue(peer, out var node))
        {
            if (node != _recency.First)
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
            }
            return node.Value;
        }
        if (_table.Count >= _maxEntries)
        {
            // Full: reuse the least recently seen peer's node for the newcomer (no allocation once the table filled).
            node = _recency.Last!;
            _recency.RemoveLast();
            _table.Remove(node.Value.Key);
            Interlocked.Increment(ref _evictions);
        }
        else
        {
            node = new LinkedListNode<Bucket>(new Bucket());
        }
        var bucket = node.Value;
        bucket.Key = peer;
        bucket.Events = _eventBurst;
        bucket.Bytes = _byteBurst;
        bucket.LastTicks = nowTicks;
        _recency.AddFirst(node);
        _table[peer] = node;
        return bucket;
    }
}

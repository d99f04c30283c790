using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>
/// Pairs DNS responses with their queries and measures the time between them. The pending table is bounded: a query
/// that finds it full is not tracked (<see cref="PendingTableFull"/>), and a query unanswered after the timeout becomes
/// an observation without a response code (<see cref="Timeouts"/>). Time is the packets' own (capture time), so a file
/// replays exactly. Not thread-safe: <see cref="DnsTrafficMonitor"/> serializes it.
/// </summary>
public sealed class DnsTransactionTracker
{
    private readonly Dictionary<DnsTransactionKey, PendingQuery> _pending = [];
    // Queries in arrival order, for timeouts; entries already answered are dropped when they reach the front.
    private readonly Queue<(DnsTransactionKey Key, long QueryMicros)> _byAge = new();
    private readonly int _capacity;
    private readonly long _timeoutMicros;

    public DnsTransactionTracker(int capacity, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _capacity = capacity;
        _timeoutMicros = (long)timeout.TotalMicroseconds;
    }

    public int Pending => _pending.Count;

    /// <summary>Responses that matched a pending query.</summary>
    public long Answered { get; private set; }

    /// <summary>Responses with no pending query (late after a timeout, spoofed, or the query predates the capture).</summary>
    public long UnmatchedResponses { get; private set; }

    /// <summary>Queries that got no response within the timeout.</summary>
    public long Timeouts { get; private set; }

    /// <summary>Queries not tracked because the pending table was full.</summary>
    public long PendingTableFull { get; private set; }

    /// <summary>A query whose key is already pending (a retransmission): the first one's time stands.</summary>
    public long DuplicateQueries { get; private set; }

    public void Query(in DnsTransactionKey key, long atMicros, string name, ushort type)
    {
        if (_pending.ContainsKey(key))
        {
            DuplicateQueries++;
            return;
        }
        if (_pending.Count >= _capacity)
        {
            PendingTableFull++;
            return;
        }
        _pending[key] = new PendingQuery(atMicros, name, type);
        _byAge.Enqueue((key, atMicros));
        // Answered entries wait in the queue until their timeout; compact when they outnumber the pending ones.
        if (_byAge.Count > 4 * _capacity) Compact();
    }

    /// <summary>The finished transaction for a response, or null when no query was pending for it.</summary>
    public DnsObservation? Respond(in DnsTransactionKey key, long atMicros, DnsMessage response, IReadOnlyList<IpAddress128> addresses)
    {
        if (!_pending.Remove(key, out PendingQuery query))
        {
            UnmatchedResponses++;
            return null;
        }
        Answered++;
        return new DnsObservation(query.QueryMicros, key.Client, key.Server, key.Transport, key.TransactionId, query.Name, query.Type,
            response.ResponseCode, Math.Max(0, atMicros - query.QueryMicros), addresses);
    }

    /// <summary>Ends the queries older than the timeout at <paramref name="nowMicros"/>, handing each to <paramref name="unanswered"/>.</summary>
    public void Expire(long nowMicros, Action<DnsObservation> unanswered)
    {
        while (_byAge.Count > 0 && nowMicros - _byAge.Peek().QueryMicros > _timeoutMicros)
        {
            var (key, queried) = _byAge.Dequeue();
            if (!_pending.TryGetValue(key, out PendingQuery query) || query.QueryMicros != queried) continue;
            _pending.Remove(key);
            Timeouts++;
            unanswered(new DnsObservation(query.QueryMicros, key.Client, key.Server, key.Transport, key.TransactionId, query.Name, query.Type,
                null, null, []));
        }
    }

    /// <summary>Ends every pending query now (the capture is over).</summary>
    public void ExpireAll(Action<DnsObservation> unanswered) => Expire(long.MaxValue, unanswered);

    private void Compact()
    {
        var live = _byAge.Where(e => _pending.TryGetValue(e.Key, out PendingQuery q) && q.QueryMicros == e.QueryMicros).ToArray();
        _byAge.Clear();
        foreach (var entry in live) _byAge.Enqueue(entry);
    }

    private readonly record struct PendingQuery(long QueryMicros, string Name, ushort Type);
}

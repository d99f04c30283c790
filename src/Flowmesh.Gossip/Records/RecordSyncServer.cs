using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// The responder side of anti-entropy: register <see cref="HandleAsync"/> as the <see cref="GossipStreamHandler"/>
/// for <see cref="GossipStreamKind.RecordSync"/>. Stateless between requests (a session's two requests may even go
/// to different connections). Every pushed record passes the verifier before the store; malformed or rate-limited
/// requests are counted and get no reply. Thread-safe as long as the store is.
/// </summary>
public sealed class RecordSyncServer
{
    private readonly IRecordStore _store;
    private readonly IRecordVerifier _verifier;
    private readonly ReplicationScopes? _scopes;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Dictionary<NodeId, (long Window, int Count)> _rates = [];
    private readonly object _rateLock = new();

    /// <param name="scopes">
    /// Null: flat replication, every request served from <paramref name="store"/> and scoped ones refused. Given: only
    /// the scopes it lists are served, each from its own store and verifier (<paramref name="store"/> and
    /// <paramref name="verifier"/> are then unused), and flat requests are refused.
    /// </param>
    public RecordSyncServer(IRecordStore store, IRecordVerifier verifier, ReplicationOptions options, TimeProvider time,
        ReplicationCounters? counters = null, Random? random = null, ReplicationScopes? scopes = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _store = store;
        _verifier = verifier;
        _scopes = scopes;
        _options = options;
        _time = time;
        _random = random ?? new Random();
        Counters = counters ?? new ReplicationCounters();
    }

    /// <summary>
    /// Raised for every well-formed scoped request, served or refused, with the sender and its scope: a records scope
    /// names the sender's leaf zone, so a node learns where peers sit from the sessions they start (a refused one
    /// included: a peer that moved to another zone says so with its first request).
    /// </summary>
    public event Action<NodeId, SyncScope>? ScopeRequested;

    /// <summary>Shared with the node's <see cref="RecordReplicator"/> when both are given the same instance.</summary>
    public ReplicationCounters Counters { get; }

    /// <summary>Matches <see cref="GossipStreamHandler"/>.</summary>
    public ValueTask<byte[]?> HandleAsync(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        Counters.Received(request.Length);
        if (!Admit(sender))
        {
            Counters.Drops.Count(SyncDropReason.RateLimited);
            return ValueTask.FromResult<byte[]?>(null);
        }
        if (!SyncCodec.TryDecode(request.Span, _options, out var message, out _, Counters.Drops))
            return ValueTask.FromResult<byte[]?>(null);
        var scope = message switch
        {
            DigestRequest d => d.Scope,
            ExchangeRequest x => x.Scope,
            _ => null,
        };
        if (scope is not null) ScopeRequested?.Invoke(sender, scope);
        IRecordStore? store = _store;
        IRecordVerifier? verifier = _verifier;
        if (message is DigestRequest or ExchangeRequest && (_scopes is null ? scope is not null : !_scopes.TryResolve(scope, out store, out verifier)))
        {
            // A scope this node does not serve (or a flat request to a zoned node): a refusal in the request's
            // version that names where this node sits, so the initiator stops asking it for that scope.
            Counters.Drops.Count(SyncDropReason.OutOfScope);
            var refusal = SyncCodec.Encode(new ScopeRefused(scope, _scopes?.Leaf));
            Counters.Sent(refusal.Length);
            return ValueTask.FromResult<byte[]?>(refusal);
        }
        SyncMessage? reply = message switch
        {
            DigestRequest d => ListDifferences(store!, d),
            ExchangeRequest x => Exchange(store!, verifier!, x),
            _ => null,
        };
        if (reply is null)
        {
            Counters.Drops.Count(SyncDropReason.UnexpectedType);
            return ValueTask.FromResult<byte[]?>(null);
        }
        var encoded = SyncCodec.Encode(reply);
        Counters.RequestServed();
        Counters.Sent(encoded.Length);
        return ValueTask.FromResult<byte[]?>(encoded);
    }

    private IdListReply ListDifferences(IRecordStore store, DigestRequest request)
    {
        var now = RecordValidator.NowMicros(_time);
        var since = Math.Max(request.SinceMicros, _options.Retention.EarliestHorizonMicros(now));
        var mine = store.Digest().ToDictionary(d => d.Origin, StringComparer.Ordinal);
        var theirs = new Dictionary<string, OriginDigest>(StringComparer.Ordinal);
        foreach (var d in request.Digests) theirs.TryAdd(d.Origin, d);

        var groups = new List<OriginIds>();
        var total = 0;
        foreach (var origin in mine.Keys.Union(theirs.Keys, StringComparer.Ordinal))
        {
            OriginDigest? m = mine.TryGetValue(origin, out var md) ? md : null;
            OriginDigest? t = theirs.TryGetValue(origin, out var td) ? td : null;
            if (!RecordSelection.Differs(m, t)) continue;
            var room = Math.Min(_options.MaxIdsPerOrigin, _options.MaxIdsPerMessage - total);
            if (room <= 0 || groups.Count >= _options.MaxOrigins) break;
            List<EpochId> ids = [];
            var truncated = false;
            if (m is not null) ids = RecordSelection.InSpan(store, origin, since, _options.Retention, now, room, out truncated);
            groups.Add(new OriginIds(origin, ids, truncated));
            total += ids.Count;
        }
        return new IdListReply(groups);
    }

    private RecordsReply Exchange(IRecordStore store, IRecordVerifier verifier, ExchangeRequest request)
    {
        // The initiator keeps its pushes within the budget; one that does not gets only the budget's worth processed
        // (each push costs a signature verification here).
        long pushed = 0;
        var admitted = new List<byte[]>(request.Pushes.Count);
        for (var i = 0; i < request.Pushes.Count; i++)
        {
            var envelope = request.Pushes[i];
            if (pushed > 0 && pushed + envelope.Length > _options.RoundByteBudget)
            {
                Counters.OverBudget(request.Pushes.Count - i);
                break;
            }
            pushed += envelope.Length;
            admitted.Add(envelope);
        }
        RecordIntake.AdmitAll(store, verifier, admitted, Counters, pulled: false);

        var now = RecordValidator.NowMicros(_time);
        var wanted = request.Wants.Where(id => !_options.Retention.Expired(id, now)).Take(_options.MaxWantsPerSession).ToList();
        ulong salt;
        lock (_random) salt = (ulong)_random.NextInt64(); // handlers run concurrently; Random is not thread-safe
        RecordSelection.NewestFirst(wanted, salt);
        return new RecordsReply(RecordSelection.WithinBudget(store, wanted, _options.RoundByteBudget));
    }

    private bool Admit(NodeId sender)
    {
        var window = _time.GetUtcNow().UtcTicks / _options.Interval.Ticks;
        lock (_rateLock)
        {
            // Bounded: forget everyone when the table gets large (a rate limit, not a ledger).
            if (_rates.Count > 4 * _options.MaxOrigins / 100 + 1024) _rates.Clear();
            var (w, count) = _rates.TryGetValue(sender, out var entry) ? entry : (window, 0);
            if (w != window) (w, count) = (window, 0);
            // A zoned peer runs one session per scope it shares with this node, each within its own allowance.
            if (count >= _options.MaxRequestsPerPeerPerInterval * Math.Max(1, _scopes?.Served.Count ?? 1)) return false;
            _rates[sender] = (w, count + 1);
            return true;
        }
    }
}

using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// The initiator side of anti-entropy (Scuttlebutt-style reconciliation of immutable records). Every
/// <see cref="ReplicationOptions.Interval"/> it picks one random live peer and runs one session:
/// <list type="number">
/// <item>send the digest of every origin held (O(origins) bytes: all a session costs when nodes agree);</item>
/// <item>the peer answers with its ids, only for origins whose digests differ, only for the recent window
///   (the whole retention span every <see cref="ReplicationOptions.FullPassEvery"/> sessions);</item>
/// <item>ask for what is missing and push what the peer lacks, both newest first and each within
///   <see cref="ReplicationOptions.RoundByteBudget"/>; nothing older than the retention horizon moves.</item>
/// </list>
/// Records are single-writer and immutable and the store keeps the first copy of an id, so any order and any number
/// of duplicates end in the same state, and partitions heal by union. Every received record passes the verifier.
/// </summary>
public sealed class RecordReplicator
{
    private readonly IRecordStore _store;
    private readonly IRecordVerifier _verifier;
    private readonly IGossipStreams _streams;
    private readonly Func<IReadOnlyList<GossipAddress>> _peers;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly SyncScope? _scope;
    private long _sessions;

    /// <param name="peers">Live peers to choose from (the agent passes the membership's alive members, not itself).</param>
    /// <param name="scope">What this replicator reconciles (null: flat replication, every record in the store).</param>
    public RecordReplicator(IRecordStore store, IRecordVerifier verifier, IGossipStreams streams, Func<IReadOnlyList<GossipAddress>> peers,
        ReplicationOptions options, TimeProvider time, ReplicationCounters? counters = null, Random? random = null, SyncScope? scope = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _store = store;
        _verifier = verifier;
        _streams = streams;
        _peers = peers;
        _options = options;
        _time = time;
        _random = random ?? new Random();
        _scope = scope;
        Counters = counters ?? new ReplicationCounters();
    }

    public ReplicationCounters Counters { get; }

    public SyncScope? Scope => _scope;

    /// <summary>
    /// A peer refused this replicator's scope; the second argument is the leaf zone it serves (null: it replicates
    /// flat). Whoever chooses the peers learns from it where the peer sits.
    /// </summary>
    public event Action<GossipAddress, Core.Zones.ZonePath?>? PeerRefusedScope;

    /// <summary>The last unexpected exception a session ended with (a store failure), for the status API.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Runs a session every interval, ±10 % jitter so nodes do not synchronise, until cancelled. One loop per replicator: its sessions never overlap.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunSessionAsync(cancellationToken).ConfigureAwait(false);
                var jitter = 0.9 + 0.2 * _random.NextDouble();
                await Task.Delay(_options.Interval * jitter, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// One session with a random peer from the list. Returns the peer contacted (null when there was none).
    /// Never throws except for cancellation: failures are counted (<see cref="ReplicationCounters.SessionsFailed"/>,
    /// <see cref="ReplicationCounters.SessionErrors"/> with <see cref="LastError"/>).
    /// </summary>
    public async Task<GossipAddress?> RunSessionAsync(CancellationToken cancellationToken)
    {
        var peers = _peers();
        if (peers.Count == 0) return null;
        var peer = peers[_random.Next(peers.Count)];
        try
        {
            await RunSessionAsync(peer, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            LastError = e;
            Counters.SessionError();
        }
        return peer;
    }

    /// <summary>One session with <paramref name="peer"/>; true when it ran to the end.</summary>
    public async Task<bool> RunSessionAsync(GossipAddress peer, CancellationToken cancellationToken)
    {
        Counters.SessionStarted();
        var fullPass = Interlocked.Increment(ref _sessions) % _options.FullPassEvery == 0;
        var now = RecordValidator.NowMicros(_time);
        var horizon = _options.Retention.EarliestHorizonMicros(now);
        var since = fullPass ? horizon : Math.Max(horizon, now - RecordValidator.Micros(_options.RecentWindow));

        // 1. Digests out, differing origins' ids back.
        var digest = _store.Digest();
        var first = await AskAsync(peer, new DigestRequest(since, digest, _scope), cancellationToken).ConfigureAwait(false);
        if (first is ScopeRefused refused) return Refused(peer, refused);
        if (first is not IdListReply listed) return Failed(first);

        // 2. Compare id by id, only inside the span both sides used.
        var wants = new List<EpochId>();
        var lacks = new List<EpochId>();
        foreach (var group in listed.Origins)
        {
            var theirs = new HashSet<EpochId>();
            var oldestListed = long.MaxValue;
            foreach (var id in group.Ids)
            {
                if (!string.Equals(id.Origin, group.Origin, StringComparison.Ordinal)) continue;
                oldestListed = Math.Min(oldestListed, id.StartMicros);
                if (id.StartMicros < since || _options.Retention.Expired(id, now)) continue;
                theirs.Add(id);
            }
            foreach (var id in theirs)
                if (!_store.Contains(id)) wants.Add(id);
            var mine = RecordSelection.InSpan(_store, group.Origin, since, _options.Retention, now, _options.MaxIdsPerOrigin, out _);
            foreach (var id in mine)
            {
                // A truncated list says nothing about ids older than its oldest entry.
                if (group.Truncated && id.StartMicros < oldestListed) continue;
                if (!theirs.Contains(id)) lacks.Add(id);
            }
        }

        RecordSelection.NewestFirst(wants, (ulong)_random.NextInt64());
        if (wants.Count > _options.MaxWantsPerSession) wants.RemoveRange(_options.MaxWantsPerSession, wants.Count - _options.MaxWantsPerSession);
        RecordSelection.NewestFirst(lacks, (ulong)_random.NextInt64());
        var pushes = RecordSelection.WithinBudget(_store, lacks, _options.RoundByteBudget);
        if (wants.Count == 0 && pushes.Count == 0)
        {
            Counters.SessionCompleted();
            return true;
        }

        // 3. Pull and push in one exchange.
        var reply = await AskAsync(peer, new ExchangeRequest(wants, pushes, _scope), cancellationToken).ConfigureAwait(false);
        if (reply is ScopeRefused refusedLate) return Refused(peer, refusedLate);
        Counters.Pushed(pushes.Count);
        if (reply is not RecordsReply records) return Failed(reply);
        RecordIntake.AdmitAll(_store, _verifier, records.Envelopes, Counters, pulled: true);
        Counters.SessionCompleted();
        return true;
    }

    private bool Refused(GossipAddress peer, ScopeRefused refusal)
    {
        Counters.SessionFailed();
        PeerRefusedScope?.Invoke(peer, refusal.ServedLeaf);
        return false;
    }

    private bool Failed(SyncMessage? wrongReply)
    {
        // Null: no reply or one that did not decode (already counted); otherwise a well-formed reply of the wrong kind.
        if (wrongReply is not null) Counters.Drops.Count(SyncDropReason.UnexpectedType);
        Counters.SessionFailed();
        return false;
    }

    private async Task<SyncMessage?> AskAsync(GossipAddress peer, SyncMessage message, CancellationToken cancellationToken)
    {
        var request = SyncCodec.Encode(message);
        Counters.Sent(request.Length);
        var reply = await _streams.RequestAsync(peer, GossipStreamKind.RecordSync, request, cancellationToken).ConfigureAwait(false);
        if (reply is null) return null;
        Counters.Received(reply.Length);
        return SyncCodec.TryDecode(reply, _options, out var decoded, out _, Counters.Drops) ? decoded : null;
    }
}

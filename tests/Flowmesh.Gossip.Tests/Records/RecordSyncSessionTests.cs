using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

/// <summary>Two nodes, one session at a time, over direct in-memory streams: exactly what moves and what does not.</summary>
public sealed class RecordSyncSessionTests : IDisposable
{
    private readonly Dictionary<string, NodeIdentity> _identities = [];
    private readonly FixedTime _time = new(Now);

    public void Dispose()
    {
        foreach (var identity in _identities.Values) identity.Dispose();
    }

    private sealed class Node
    {
        public required MemoryRecordStore Store { get; init; }
        public required RecordValidator Validator { get; init; }
        public required RecordSyncServer Server { get; init; }
        public required RecordReplicator Replicator { get; init; }
        public required ReplicationCounters Counters { get; init; }
        public required TrustedOrigins Trust { get; init; }
    }

    private sealed class DirectStreams(Func<string, RecordSyncServer> servers, string self) : IGossipStreams
    {
        public List<int> RequestSizes { get; } = [];

        public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            RequestSizes.Add(request.Length);
            return kind == GossipStreamKind.RecordSync ? await servers(to.Value).HandleAsync(new NodeId(self), request, cancellationToken) : null;
        }
    }

    private readonly Dictionary<string, Node> _nodes = [];

    private Node NewNode(string name, ReplicationOptions? options = null)
    {
        options ??= new ReplicationOptions();
        var store = new MemoryRecordStore();
        var counters = new ReplicationCounters();
        var trust = new TrustedOrigins();
        var validator = new RecordValidator(trust, Key, options, _time);
        var streams = new DirectStreams(n => _nodes[n].Server, name);
        var node = new Node
        {
            Store = store,
            Validator = validator,
            Trust = trust,
            Counters = counters,
            Server = new RecordSyncServer(store, validator, options, _time, counters, new Random(1)),
            Replicator = new RecordReplicator(store, validator, streams, () => _nodes.Keys.Where(k => k != name).Select(k => new GossipAddress(k)).ToList(),
                options, _time, counters, new Random(2)),
        };
        _nodes[name] = node;
        return node;
    }

    private VerifiedRecord Sealed(EpochId id)
    {
        if (!_identities.TryGetValue(id.Origin, out var identity)) _identities[id.Origin] = identity = NodeIdentity.Generate();
        return new RecordSealer(identity, new NodeId(id.Origin)).Seal(Typical(id));
    }

    private static HashSet<EpochId> Held(Node node) =>
        node.Store.Digest().SelectMany(d => node.Store.IdsOf(d.Origin)).ToHashSet();

    [Fact]
    public async Task One_session_leaves_both_sides_with_the_union()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        var shared = Sealed(Id("s", 0));
        a.Store.Write(shared);
        b.Store.Write(shared);
        var onlyA = Enumerable.Range(0, 5).Select(i => Sealed(Id("a", i))).ToList();
        var onlyB = Enumerable.Range(0, 3).Select(i => Sealed(Id("b", i))).ToList();
        onlyA.ForEach(r => a.Store.Write(r));
        onlyB.ForEach(r => b.Store.Write(r));

        Assert.True(await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken));

        var union = onlyA.Concat(onlyB).Append(shared).Select(r => r.Id).ToHashSet();
        Assert.Equal(union, Held(a));
        Assert.Equal(union, Held(b));
        Assert.Equal(3, a.Counters.RecordsPulled);
        Assert.Equal(5, a.Counters.RecordsPushed);
        Assert.Equal(5, b.Counters.RecordsReceivedByPush);
        foreach (var r in onlyB) Assert.Equal(r.SignedEnvelope, a.Store.Read(r.Id));
    }

    [Fact]
    public async Task In_sync_a_session_costs_only_the_digests_and_moves_no_record()
    {
        var options = new ReplicationOptions();
        var a = NewNode("a", options);
        var b = NewNode("b", options);
        for (var o = 0; o < 50; o++)
            for (var e = 0; e < 3; e++)
            {
                var r = Sealed(Id($"origin-{o:D2}", e));
                a.Store.Write(r);
                b.Store.Write(r);
            }

        Assert.True(await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken));

        // 50 digests of (9-byte origin + 20 bytes) plus headers: no ids, no records, no second request.
        var digestBytes = SyncCodec.Encode(new DigestRequest(0, a.Store.Digest())).Length;
        Assert.Equal(2 + 8 + 4 + 50 * (1 + 9 + 4 + 8 + 8), digestBytes);
        Assert.Equal(digestBytes, a.Counters.BytesSent);
        Assert.Equal(2 + 4, a.Counters.BytesReceived); // an empty id list
        Assert.Equal(0, a.Counters.RecordsPulled + a.Counters.RecordsPushed);
    }

    [Fact]
    public async Task The_budget_caps_a_session_and_the_newest_records_come_first()
    {
        var records = Enumerable.Range(0, 20).Select(i => Sealed(Id("b", i))).ToList();
        var options = new ReplicationOptions { RoundByteBudget = records.Skip(17).Sum(r => r.SignedEnvelope.Length) + 10 };
        var a = NewNode("a", options);
        var b = NewNode("b", options);
        records.ForEach(r => b.Store.Write(r));

        await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);
        Assert.Equal(records.Skip(17).Select(r => r.Id).ToHashSet(), Held(a));

        // Further sessions continue from the newest still missing, a budget's worth (2 or 3 records) each.
        for (var i = 0; i < 12 && a.Store.Count < 20; i++)
        {
            _time.Now += options.Interval; // the responder's per-peer rate limit counts requests per interval
            var before = a.Store.Count;
            await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);
            Assert.InRange(a.Store.Count - before, 1, 3);
            var newestMissing = records.Where(r => !a.Store.Contains(r.Id)).Select(r => r.Id.StartMicros).DefaultIfEmpty(long.MinValue).Max();
            Assert.True(a.Store.IdsOf("b").Min(x => x.StartMicros) > newestMissing, "pulled out of order");
        }
        Assert.Equal(20, a.Store.Count);
    }

    [Fact]
    public async Task Expired_records_are_never_offered_pulled_or_accepted()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        // b still holds a record past retention (it has not pruned yet), written around the validator.
        var old = Sealed(new EpochId("b", NowMicros - 8L * 86_400 * Second, 10 * Second));
        b.Store.Write(old);
        var fresh = Sealed(Id("b", 0));
        b.Store.Write(fresh);
        // a also holds one and would push it.
        var oldA = Sealed(new EpochId("a", NowMicros - 8L * 86_400 * Second, 10 * Second));
        a.Store.Write(oldA);

        var options = new ReplicationOptions { FullPassEvery = 1 };
        for (var i = 0; i < 3; i++) await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);

        Assert.True(a.Store.Contains(fresh.Id));
        Assert.False(a.Store.Contains(old.Id));
        Assert.False(b.Store.Contains(oldA.Id));
        Assert.Equal(0, a.Validator.Rejections[RecordRejection.Expired] + b.Validator.Rejections[RecordRejection.Expired]);
    }

    [Fact]
    public async Task A_node_that_pruned_raw_records_fetches_their_roll_ups_but_never_the_raw_records_again()
    {
        // b holds two-day-old records of origin "o": raw 10 s ones (past their 24 h tier, b has not pruned yet) and the
        // minute and hour roll-ups of that time (inside their 7 and 90 day tiers). a pruned its raw copies already.
        var options = new ReplicationOptions { FullPassEvery = 1 };
        var a = NewNode("a", options);
        var b = NewNode("b", options);
        long twoDaysAgo = NowMicros - 2L * 86_400 * Second;
        long hour = EpochRollup.AlignDown(twoDaysAgo, 3600 * Second);
        var raw = Enumerable.Range(0, 6).Select(i => Sealed(new EpochId("o", hour + i * 10 * Second, 10 * Second))).ToList();
        var minute = Sealed(new EpochId("o", hour, 60 * Second));
        var hourly = Sealed(new EpochId("o", hour, 3600 * Second));
        foreach (var r in raw.Append(minute).Append(hourly)) b.Store.Write(r);

        for (var i = 0; i < 3; i++) await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);

        Assert.Equal([minute.Id, hourly.Id], Held(a).OrderBy(id => id.LengthMicros));
        Assert.Equal(0, a.Validator.Rejections[RecordRejection.Expired]); // never even asked for
    }

    [Fact]
    public async Task Differences_older_than_the_recent_window_are_found_by_the_full_pass()
    {
        var options = new ReplicationOptions { RecentWindow = TimeSpan.FromMinutes(2), FullPassEvery = 3 };
        var a = NewNode("a", options);
        var b = NewNode("b", options);
        var old = Sealed(new EpochId("b", NowMicros - 30 * 60 * Second, 10 * Second));
        b.Store.Write(old);

        for (var i = 1; i <= 2; i++)
        {
            await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);
            Assert.False(a.Store.Contains(old.Id));
        }
        await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);
        Assert.True(a.Store.Contains(old.Id));
    }

    [Fact]
    public async Task A_forged_push_is_rejected_and_not_stored()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        var genuine = Sealed(Id("alice", 0));
        b.Store.Write(genuine);
        b.Trust.Pin(new NodeId("alice"), _identities["alice"].PublicKey); // as the agent re-pins persisted bindings
        await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);
        Assert.True(a.Store.Contains(genuine.Id));

        // a's store (compromised, written around its validator) holds a record for "alice" signed by another key.
        using var mallory = NodeIdentity.Generate();
        var forged = new RecordSealer(mallory, new NodeId("alice")).Seal(Typical(Id("alice", 1)));
        a.Store.Write(forged);
        await a.Replicator.RunSessionAsync(new GossipAddress("b"), TestContext.Current.CancellationToken);

        Assert.False(b.Store.Contains(forged.Id));
        Assert.Equal(1, b.Counters.Rejected);
        Assert.Equal(1, b.Validator.Rejections[RecordRejection.KeyMismatch]);
    }

    [Fact]
    public async Task Replayed_and_reordered_replies_end_in_the_same_state()
    {
        var b = NewNode("b");
        var records = Enumerable.Range(0, 6).Select(i => Sealed(Id($"o{i % 2}", i))).ToList();
        records.ForEach(r => b.Store.Write(r));
        var reply = SyncCodec.Encode(new RecordsReply(records.Select(r => r.SignedEnvelope).ToList()));
        var reversed = SyncCodec.Encode(new RecordsReply(records.Select(r => r.SignedEnvelope).Reverse().ToList()));

        var first = NewNode("x");
        var second = NewNode("y");
        // Push the same records twice, in two orders: the second node sees every record three times.
        await Push(first, reply);
        await Push(second, reversed);
        await Push(second, reply);
        await Push(second, reversed);
        Assert.Equal(Held(b), Held(first));
        Assert.Equal(Held(first), Held(second));
        Assert.Equal(first.Store.Digest().OrderBy(d => d.Origin), second.Store.Digest().OrderBy(d => d.Origin));
        Assert.Equal(12, second.Counters.Duplicates);

        static async Task Push(Node to, byte[] records)
        {
            Assert.True(SyncCodec.TryDecode(records, new ReplicationOptions(), out var m, out _));
            var exchange = SyncCodec.Encode(new ExchangeRequest([], ((RecordsReply)m!).Envelopes));
            Assert.NotNull(await to.Server.HandleAsync(new NodeId("peer"), exchange, CancellationToken.None));
        }
    }

    [Fact]
    public async Task A_peer_over_its_request_rate_gets_no_answer_and_is_counted()
    {
        var b = NewNode("b", new ReplicationOptions { MaxRequestsPerPeerPerInterval = 2 });
        var request = SyncCodec.Encode(new DigestRequest(0, []));
        Assert.NotNull(await b.Server.HandleAsync(new NodeId("a"), request, CancellationToken.None));
        Assert.NotNull(await b.Server.HandleAsync(new NodeId("a"), request, CancellationToken.None));
        Assert.Null(await b.Server.HandleAsync(new NodeId("a"), request, CancellationToken.None));
        Assert.NotNull(await b.Server.HandleAsync(new NodeId("c"), request, CancellationToken.None));
        Assert.Equal(1, b.Counters.Drops[SyncDropReason.RateLimited]);
        _time.Now += TimeSpan.FromSeconds(1);
        Assert.NotNull(await b.Server.HandleAsync(new NodeId("a"), request, CancellationToken.None));
    }

    [Fact]
    public async Task Garbage_requests_get_no_reply_and_are_counted()
    {
        var b = NewNode("b");
        Assert.Null(await b.Server.HandleAsync(new NodeId("a"), new byte[] { 1 }, CancellationToken.None));
        Assert.Null(await b.Server.HandleAsync(new NodeId("c"), SyncCodec.Encode(new RecordsReply([])), CancellationToken.None));
        Assert.Equal(1, b.Counters.Drops[SyncDropReason.Malformed]);
        Assert.Equal(1, b.Counters.Drops[SyncDropReason.UnexpectedType]);
    }

    [Fact]
    public async Task The_run_loop_replicates_on_real_time_and_stops_when_cancelled()
    {
        var options = new ReplicationOptions { Interval = TimeSpan.FromMilliseconds(20) };
        var store = new MemoryRecordStore();
        var peerStore = new MemoryRecordStore();
        var records = Enumerable.Range(0, 4).Select(i => Sealed(new EpochId("p", Aligned() - (5 - i) * 10 * Second, 10 * Second))).ToList();
        records.ForEach(r => peerStore.Write(r));
        var peerServer = new RecordSyncServer(peerStore, new RecordValidator(new TrustedOrigins(), Key, options, TimeProvider.System), options, TimeProvider.System);
        var streams = new DirectStreams(_ => peerServer, "me");
        var replicator = new RecordReplicator(store, new RecordValidator(new TrustedOrigins(), Key, options, TimeProvider.System), streams,
            () => [new GossipAddress("peer")], options, TimeProvider.System);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var loop = replicator.RunAsync(stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (store.Count < 4 && DateTime.UtcNow < deadline) await Task.Delay(10, TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        Assert.Equal(4, store.Count);
        Assert.True(loop.IsCompletedSuccessfully);
        Assert.Null(replicator.LastError);

        // On the 10 s epoch grid, one record per slot (issue 16: the validator refuses anything else).
        static long Aligned() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000 / (10 * Second) * (10 * Second);
    }

    [Fact]
    public async Task A_reply_of_the_wrong_kind_fails_the_session_and_is_counted()
    {
        var store = new MemoryRecordStore();
        var wrong = new FixedReplyStreams(SyncCodec.Encode(new RecordsReply([])));
        var replicator = new RecordReplicator(store, new RecordValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time), wrong,
            () => [new GossipAddress("peer")], new ReplicationOptions(), _time);
        Assert.False(await replicator.RunSessionAsync(new GossipAddress("peer"), TestContext.Current.CancellationToken));
        Assert.Equal(1, replicator.Counters.SessionsFailed);
        Assert.Equal(1, replicator.Counters.Drops[SyncDropReason.UnexpectedType]);
    }

    [Fact]
    public async Task A_push_beyond_the_responders_budget_is_ignored_and_counted()
    {
        var pushes = Enumerable.Range(0, 5).Select(i => Sealed(Id("p", i)).SignedEnvelope).ToList();
        var b = NewNode("b", new ReplicationOptions { RoundByteBudget = pushes[0].Length + pushes[1].Length + 10 });
        Assert.NotNull(await b.Server.HandleAsync(new NodeId("a"), SyncCodec.Encode(new ExchangeRequest([], pushes)), CancellationToken.None));
        Assert.Equal(2, b.Store.Count);
        Assert.Equal(3, b.Counters.PushesOverBudget);
    }

    private sealed class FixedReplyStreams(byte[] reply) : IGossipStreams
    {
        public Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken) =>
            Task.FromResult<byte[]?>(reply);
    }
}

using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;
using Flowmesh.Gossip.Tests.Records;
using Flowmesh.Gossip.Zones;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Zones;

/// <summary>
/// Scoped sessions between real servers and replicators over direct streams: a leaf zone's records move only between
/// its members, aggregates only in their scope, and a node asked for a scope it does not serve refuses and says where
/// it sits.
/// </summary>
public sealed class ScopedSyncSessionTests : IDisposable
{
    private static readonly ZonePath LeafA = ZonePath.Parse("z/1");
    private static readonly ZonePath LeafB = ZonePath.Parse("z/2");
    private readonly Dictionary<string, NodeIdentity> _identities = [];
    private readonly Dictionary<string, RecordSyncServer> _servers = [];
    private readonly FixedTime _time = new(Now);

    public void Dispose()
    {
        foreach (var identity in _identities.Values) identity.Dispose();
    }

    private sealed class DirectStreams(Dictionary<string, RecordSyncServer> servers, string self) : IGossipStreams
    {
        public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken) =>
            await servers[to.Value].HandleAsync(new NodeId(self), request, cancellationToken);
    }

    /// <summary>One zoned node: a whole store (what the agent's database holds), its leaf-zone part, an aggregate store.</summary>
    private sealed record ZonedNode(string Name, ZonePath Leaf, MemoryRecordStore All, MemoryRecordStore Aggregates, RecordSyncServer Server,
        RecordReplicator Records, RecordReplicator UpperAggregates, ReplicationCounters Counters);

    private ZonedNode NewZonedNode(string name, ZonePath leaf, Func<string, bool> inLeaf)
    {
        var options = new ReplicationOptions();
        var all = new MemoryRecordStore();
        var aggregates = new MemoryRecordStore();
        var counters = new ReplicationCounters();
        var validator = new RecordValidator(new TrustedOrigins(), Key, options, _time);
        var leafStore = new LeafZoneRecordStore(all, inLeaf);
        var scopes = new ReplicationScopes(leaf)
            .Serve(SyncScope.RecordsOf(leaf), leafStore, validator)
            .Serve(SyncScope.AggregatesUnder(leaf.Parent), aggregates, validator);
        var server = new RecordSyncServer(all, validator, options, _time, counters, new Random(1), scopes);
        _servers[name] = server;
        var streams = new DirectStreams(_servers, name);
        var records = new RecordReplicator(leafStore, validator, streams, () => [], options, _time, counters, new Random(2), SyncScope.RecordsOf(leaf));
        var upper = new RecordReplicator(aggregates, validator, streams, () => [], options, _time, counters, new Random(3), SyncScope.AggregatesUnder(leaf.Parent));
        return new ZonedNode(name, leaf, all, aggregates, server, records, upper, counters);
    }

    private VerifiedRecord Sealed(EpochId id)
    {
        if (!_identities.TryGetValue(id.Origin, out var identity)) _identities[id.Origin] = identity = NodeIdentity.Generate();
        return new RecordSealer(identity, new NodeId(id.Origin)).Seal(Typical(id));
    }

    private static HashSet<EpochId> Held(MemoryRecordStore store) => store.Digest().SelectMany(d => store.IdsOf(d.Origin)).ToHashSet();

    private static bool InA(string origin) => origin.StartsWith("a-", StringComparison.Ordinal);

    [Fact]
    public async Task A_leaf_zones_records_move_between_its_members_and_no_outside_record_moves()
    {
        var a1 = NewZonedNode("a-1", LeafA, InA);
        var a2 = NewZonedNode("a-2", LeafA, InA);
        var zoneRecords = Enumerable.Range(0, 4).Select(i => Sealed(Id("a-1", i))).ToList();
        // a-1 also holds a record of an outside origin (flat history, or one an aggregate's check fetched).
        var outside = Sealed(Id("b-1", 0));
        zoneRecords.ForEach(r => a1.All.Write(r));
        a1.All.Write(outside);
        var a2Own = Sealed(Id("a-2", 0));
        a2.All.Write(a2Own);
        var seen = new List<(NodeId, SyncScope)>();
        a1.Server.ScopeRequested += (sender, scope) => seen.Add((sender, scope));

        Assert.True(await a2.Records.RunSessionAsync(new GossipAddress("a-1"), TestContext.Current.CancellationToken));

        Assert.Equal(zoneRecords.Select(r => r.Id).Append(a2Own.Id).ToHashSet(), Held(a2.All));
        Assert.Equal(zoneRecords.Select(r => r.Id).Append(a2Own.Id).Append(outside.Id).ToHashSet(), Held(a1.All));
        Assert.Equal(0, a1.Counters.Drops.Total);
        // The server learned where the sender sits from the session it started.
        Assert.Contains((new NodeId("a-2"), SyncScope.RecordsOf(LeafA)), seen);
    }

    [Fact]
    public async Task A_push_of_an_outside_origins_record_is_not_stored_in_a_leaf_scope()
    {
        var a1 = NewZonedNode("a-1", LeafA, InA);
        var outside = Sealed(Id("b-9", 0));
        var request = SyncCodec.Encode(new ExchangeRequest([], [outside.SignedEnvelope], SyncScope.RecordsOf(LeafA)));
        Assert.NotNull(await a1.Server.HandleAsync(new NodeId("a-2"), request, CancellationToken.None));
        Assert.Equal(0, a1.All.Count);
        Assert.Equal(1, a1.Counters.Duplicates);
    }

    [Fact]
    public async Task A_node_of_another_leaf_refuses_the_scope_and_names_its_own_leaf()
    {
        var a1 = NewZonedNode("a-1", LeafA, InA);
        var b1 = NewZonedNode("b-1", LeafB, o => !InA(o));
        b1.All.Write(Sealed(Id("b-1", 0)));
        a1.All.Write(Sealed(Id("a-1", 0)));
        var learned = new List<(GossipAddress, ZonePath?)>();
        a1.Records.PeerRefusedScope += (peer, leaf) => learned.Add((peer, leaf));
        var requested = new List<(NodeId, SyncScope)>();
        b1.Server.ScopeRequested += (sender, scope) => requested.Add((sender, scope));

        Assert.False(await a1.Records.RunSessionAsync(new GossipAddress("b-1"), TestContext.Current.CancellationToken));

        Assert.Equal([(new GossipAddress("b-1"), LeafB)], learned);
        // Both sides learned where the other sits: the refuser from the request, the initiator from the refusal.
        Assert.Equal([(new NodeId("a-1"), SyncScope.RecordsOf(LeafA))], requested);
        Assert.Equal(1, b1.Counters.Drops[SyncDropReason.OutOfScope]);
        Assert.Equal(1, a1.Counters.SessionsFailed);
        Assert.Equal(1, a1.All.Count);
        Assert.Equal(1, b1.All.Count);
    }

    [Fact]
    public async Task Aggregates_of_a_shared_ancestor_replicate_between_leaves_apart_from_records()
    {
        var a1 = NewZonedNode("a-1", LeafA, InA);
        var b1 = NewZonedNode("b-1", LeafB, o => !InA(o));
        // Stand-ins for aggregates (any verified record: what is tested is which store a scope reaches).
        var inScope = Sealed(Id("a-1", 5));
        a1.Aggregates.Write(inScope);
        a1.All.Write(Sealed(Id("a-1", 0)));

        Assert.True(await b1.UpperAggregates.RunSessionAsync(new GossipAddress("a-1"), TestContext.Current.CancellationToken));

        Assert.Equal([inScope.Id], Held(b1.Aggregates));
        Assert.Equal(0, b1.All.Count);
    }

    [Fact]
    public async Task A_flat_request_to_a_zoned_node_gets_a_version_1_refusal()
    {
        var a1 = NewZonedNode("a-1", LeafA, InA);
        a1.All.Write(Sealed(Id("a-1", 0)));
        var reply = await a1.Server.HandleAsync(new NodeId("old"), SyncCodec.Encode(new DigestRequest(0, [])), CancellationToken.None);
        // Version 1, type 5: a node of before scopes knows types 1-4 and drops it as an unknown type.
        Assert.Equal(new byte[] { 1, 5, 3, (byte)'z', (byte)'/', (byte)'1' }, reply);
        Assert.Equal(1, a1.Counters.Drops[SyncDropReason.OutOfScope]);
    }

    [Fact]
    public async Task A_flat_node_refuses_a_scoped_request_and_names_no_leaf()
    {
        var store = new MemoryRecordStore();
        store.Write(Sealed(Id("f", 0)));
        var options = new ReplicationOptions();
        var flat = new RecordSyncServer(store, new RecordValidator(new TrustedOrigins(), Key, options, _time), options, _time);
        var reply = await flat.HandleAsync(new NodeId("a-1"), SyncCodec.Encode(new DigestRequest(0, [], SyncScope.RecordsOf(LeafA))), CancellationToken.None);
        Assert.True(SyncCodec.TryDecode(reply, options, out var decoded, out _));
        Assert.Equal(new ScopeRefused(SyncScope.RecordsOf(LeafA), null), decoded);
        Assert.Equal(1, flat.Counters.Drops[SyncDropReason.OutOfScope]);
    }

    [Fact]
    public void A_leaf_stores_batch_write_stores_only_the_zones_records_and_answers_per_record()
    {
        var all = new MemoryRecordStore();
        var leaf = new LeafZoneRecordStore(all, InA);
        var inside = Sealed(Id("a-1", 0));
        var outside = Sealed(Id("b-1", 0));
        var insideToo = Sealed(Id("a-2", 0));
        Assert.Equal([true, false, true, false], leaf.WriteAll([inside, outside, insideToo, inside]));
        Assert.Equal(2, all.Count);
        all.Write(outside);
        Assert.Null(leaf.Read(outside.Id)); // held, but not handed out through this scope
        Assert.Empty(leaf.IdsOf("b-1"));
        Assert.Equal(["a-1", "a-2"], leaf.Digest().Select(d => d.Origin).Order(StringComparer.Ordinal));
        Assert.Equal(2, leaf.IdsStartingBetween(long.MinValue, long.MaxValue).Count);
    }

    [Fact]
    public void Random_envelopes_under_an_aggregate_origin_never_reach_an_aggregate_scope()
    {
        var store = new AggregateScopeStore(SyncScope.AggregatesUnder(ZonePath.Root), Key);
        var random = new Random(23);
        for (int i = 0; i < 2_000; i++)
        {
            var envelope = new byte[random.Next(0, 400)];
            random.NextBytes(envelope);
            Assert.False(store.Write(new VerifiedRecord(new EpochId("@z#1", NowMicros, 30 * Second), "x", envelope)));
        }
        // A real signed record that is not an aggregate, under an aggregate's id, is refused too.
        var record = Sealed(Id("a-1", 0));
        Assert.False(store.Write(record with { Id = new EpochId("@z#1", NowMicros, 30 * Second) }));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Only_the_scopes_of_the_nodes_own_path_can_be_served()
    {
        var store = new MemoryRecordStore();
        var verifier = new RecordValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time);
        Assert.Throws<ArgumentException>(() => new ReplicationScopes(LeafA).Serve(SyncScope.RecordsOf(LeafB), store, verifier));
        Assert.Throws<ArgumentException>(() => new ReplicationScopes(LeafA).Serve(SyncScope.AggregatesUnder(LeafB), store, verifier));
        Assert.Throws<ArgumentException>(() => new ReplicationScopes(ZonePath.Root));
    }
}

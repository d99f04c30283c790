using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Records;
using Flowmesh.Gossip.Zones;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Zones;

/// <summary>
/// Producers driven by who is alive: the lowest-named alive member of a zone merges each ended period, re-issues on
/// late records within its bound, a successor takes over when it dies, and an upper zone's producer waits for its
/// children and merges their best aggregates. Every merge is checked against its inputs by recomputation.
/// </summary>
public sealed class ZoneProducerTests : IDisposable
{
    private static readonly ZonePath Z1 = ZonePath.Parse("z/1");
    private static readonly ZonePath Z2 = ZonePath.Parse("z/2");
    private static readonly ZonePath Z = ZonePath.Parse("z");
    private static readonly long P0 = NowMicros - 120 * Second; // a 30 s period boundary (Now is midnight)
    private static readonly ZoneProducerOptions Options = new();
    private readonly Dictionary<string, NodeIdentity> _identities = [];
    private readonly FixedTime _time = new(Now);

    public void Dispose()
    {
        foreach (var identity in _identities.Values) identity.Dispose();
    }

    private NodeIdentity IdentityOf(string name)
    {
        if (!_identities.TryGetValue(name, out var identity)) _identities[name] = identity = NodeIdentity.Generate();
        return identity;
    }

    private sealed record ProducingNode(string Name, MemoryRecordStore Records, Dictionary<ZonePath, AggregateScopeStore> Scopes, ZoneDirectory Directory,
        ZoneProducer Producer, HashSet<string> Alive);

    private ProducingNode NewNode(string name, ZonePath leaf)
    {
        var records = new MemoryRecordStore();
        var scopes = new Dictionary<ZonePath, AggregateScopeStore>();
        for (int depth = 0; depth < leaf.Depth; depth++)
            scopes[leaf.Prefix(depth)] = new AggregateScopeStore(SyncScope.AggregatesUnder(leaf.Prefix(depth)), Key);
        var directory = new ZoneDirectory(name, leaf);
        var alive = new HashSet<string>(StringComparer.Ordinal);
        var producer = new ZoneProducer(directory, new AggregateSealer(IdentityOf(name), new NodeId(name)), Key,
            new LeafZoneRecordStore(records, origin => directory.IsIn(origin, leaf)), scopes, () => alive, Options, _time);
        return new ProducingNode(name, records, scopes, directory, producer, alive);
    }

    private VerifiedRecord Sealed(string origin, int epochInPeriod0) =>
        new RecordSealer(IdentityOf(origin), new NodeId(origin)).Seal(Typical(new EpochId(origin, P0 + epochInPeriod0 * 10 * Second, 10 * Second)));

    private static EpochRecord Decoded(VerifiedRecord record) =>
        EpochRecord.Decode(SignedRecord.TryDecode(record.SignedEnvelope, out var s, out _) ? s!.Record : throw new InvalidOperationException(), Key);

    /// <summary>Period 0 ended, and so did its grace.</summary>
    private void AfterPeriod0(TimeSpan extra = default) =>
        _time.Now = DateTimeOffset.FromUnixTimeMilliseconds((P0 + 30 * Second) / 1000) + Options.Grace + TimeSpan.FromMilliseconds(1) + extra;

    /// <summary>Three PCs of z/1; every node holds all their records of period 0 (epochs 0-2) and knows where all sit.</summary>
    private (ProducingNode A1, ProducingNode A2, List<VerifiedRecord> Records) LeafZone()
    {
        var a1 = NewNode("a-1", Z1);
        var a2 = NewNode("a-2", Z1);
        var records = new List<VerifiedRecord>();
        foreach (var origin in new[] { "a-1", "a-2", "a-3" })
            for (int e = 0; e < 3; e++) records.Add(Sealed(origin, e));
        foreach (var node in new[] { a1, a2 })
        {
            foreach (var r in records) node.Records.Write(r);
            foreach (var other in new[] { "a-1", "a-2", "a-3" }) node.Directory.LearnLeaf(other, Z1);
            node.Alive.UnionWith(["a-1", "a-2", "a-3"]);
        }
        return (a1, a2, records);
    }

    [Fact]
    public void The_lowest_alive_member_merges_the_ended_period_exactly_and_nobody_else_does()
    {
        var (a1, a2, records) = LeafZone();
        // Before the grace has passed nothing is merged.
        AfterPeriod0(-Options.Grace);
        Assert.Equal(0, a1.Producer.Tick());

        AfterPeriod0();
        // z/1, and z as well: a-1 is the only member of z it knows, and z's only child with members is merged.
        Assert.Equal(2, a1.Producer.Tick());
        Assert.Equal(0, a2.Producer.Tick());
        Assert.Equal(0, a1.Producer.Tick()); // nothing new: no re-issue

        var aggregate = a1.Scopes[Z].Best(Z1, P0, 30 * Second)!;
        Assert.Equal(9, aggregate.Manifest.TotalWeight);
        Assert.Equal("a-1", aggregate.Producer);
        Assert.True(aggregate.IsMergeOf(records.Select(Decoded)));
        Assert.Equal(0, a2.Scopes[Z].Count);
    }

    [Fact]
    public void A_late_record_is_merged_by_a_reissue_and_reissues_are_bounded()
    {
        var (a1, _, records) = LeafZone();
        AfterPeriod0();
        a1.Producer.Tick();
        var late = new List<VerifiedRecord>();
        foreach (var origin in new[] { "a-4", "a-5", "a-6", "a-7" })
        {
            a1.Directory.LearnLeaf(origin, Z1);
            late.Add(Sealed(origin, 1));
        }
        for (int i = 0; i < late.Count; i++)
        {
            a1.Records.Write(late[i]);
            a1.Producer.Tick();
        }

        // MaxReissues = 2: the first issue and two re-issues, of z/1 and (above it) of z; later records wait for no one.
        Assert.Equal(2 * 3, a1.Producer.Produced);
        Assert.Equal(2 * 2, a1.Producer.Reissued);
        Assert.Equal(11, a1.Scopes[ZonePath.Root].Best(Z, P0, 30 * Second)!.Manifest.TotalWeight);
        var best = a1.Scopes[Z].Best(Z1, P0, 30 * Second)!;
        Assert.Equal(11, best.Manifest.TotalWeight);
        Assert.True(best.IsMergeOf(records.Concat(late.Take(2)).Select(Decoded)));
        // The re-issues replaced the first issue by the superset rule: one aggregate of z/1 held.
        Assert.Single(a1.Scopes[Z].All());
    }

    [Fact]
    public void When_the_producer_is_not_alive_the_next_lowest_member_produces()
    {
        var (_, a2, records) = LeafZone();
        a2.Alive.Remove("a-1");
        AfterPeriod0();
        Assert.Equal(2, a2.Producer.Tick()); // z/1 and z
        var aggregate = a2.Scopes[Z].Best(Z1, P0, 30 * Second)!;
        Assert.Equal("a-2", aggregate.Producer);
        Assert.True(aggregate.IsMergeOf(records.Select(Decoded)));
    }

    [Fact]
    public void Records_of_an_origin_outside_the_leaf_are_never_merged()
    {
        var (a1, _, records) = LeafZone();
        a1.Directory.LearnLeaf("b-1", Z2);
        a1.Records.Write(Sealed("b-1", 0));
        AfterPeriod0();
        a1.Producer.Tick();
        Assert.True(a1.Scopes[Z].Best(Z1, P0, 30 * Second)!.IsMergeOf(records.Select(Decoded)));
        Assert.Equal(9, a1.Scopes[Z].Best(Z1, P0, 30 * Second)!.Manifest.TotalWeight);
    }

    [Fact]
    public void An_upper_zone_waits_for_its_children_then_merges_each_once()
    {
        var (a1, _, records) = LeafZone();
        var b1 = NewNode("b-1", Z2);
        var bRecords = new[] { Sealed("b-1", 0), Sealed("b-1", 2) };
        foreach (var r in bRecords) b1.Records.Write(r);
        foreach (var node in new[] { a1, b1 })
        {
            node.Directory.LearnLeaf("b-1", Z2);
            node.Directory.LearnLeaf("a-1", Z1);
            node.Alive.UnionWith(["a-1", "b-1"]);
        }
        AfterPeriod0();
        // a-1 produces z/1 and is the producer of z (a-1 < b-1), but z/2's aggregate has not arrived: it waits.
        Assert.Equal(1, a1.Producer.Tick());
        Assert.Null(a1.Scopes[ZonePath.Root].Best(Z, P0, 30 * Second));
        // b-1 produces z/2 (and, knowing a-1 alive in z, not z); replication brings it to a-1's scope of z.
        Assert.Equal(1, b1.Producer.Tick());
        foreach (var id in b1.Scopes[Z].Digest().SelectMany(d => b1.Scopes[Z].IdsOf(d.Origin)))
        {
            var envelope = b1.Scopes[Z].Read(id)!;
            Assert.True(new AggregateValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time).TryVerify(envelope, out var verified, out _));
            Assert.True(a1.Scopes[Z].Write(verified!));
        }
        Assert.Equal(1, a1.Producer.Tick());

        var top = a1.Scopes[ZonePath.Root].Best(Z, P0, 30 * Second)!;
        Assert.Equal(11, top.Manifest.TotalWeight);
        Assert.True(top.IsMergeOf([a1.Scopes[Z].Best(Z1, P0, 30 * Second)!, a1.Scopes[Z].Best(Z2, P0, 30 * Second)!]));
        // Exactly once, against the records themselves: the top's bytes are the sum of the eleven records' bytes.
        var all = records.Concat(bRecords).Select(r => Decoded(r).Totals.All).ToList();
        Assert.Equal((ulong)all.Sum(t => (decimal)t.Bytes), top.Contents.Totals.All.Bytes);
        Assert.Equal((ulong)all.Sum(t => (decimal)t.Packets), top.Contents.Totals.All.Packets);
    }

    [Fact]
    public void An_upper_zone_merges_what_it_has_once_the_children_wait_is_over()
    {
        var (a1, _, _) = LeafZone();
        a1.Directory.LearnLeaf("b-1", Z2);
        a1.Alive.Add("b-1");
        AfterPeriod0();
        a1.Producer.Tick();
        Assert.Null(a1.Scopes[ZonePath.Root].Best(Z, P0, 30 * Second));
        AfterPeriod0(Options.ChildrenWait);
        a1.Producer.Tick();
        Assert.Equal(9, a1.Scopes[ZonePath.Root].Best(Z, P0, 30 * Second)!.Manifest.TotalWeight);
    }

    [Fact]
    public void A_scope_store_keeps_only_aggregates_of_its_zones_children()
    {
        var (a1, _, _) = LeafZone();
        AfterPeriod0();
        a1.Producer.Tick();
        var sealedZ1 = a1.Scopes[Z].Read(a1.Scopes[Z].Digest().Single() is var d ? a1.Scopes[Z].IdsOf(d.Origin)[0] : default)!;
        Assert.True(new AggregateValidator(new TrustedOrigins(), Key, new ReplicationOptions(), _time).TryVerify(sealedZ1, out var verified, out _));
        // z/1 is not a child of the root: the root scope refuses it; a plain record is refused by any aggregate scope.
        Assert.False(a1.Scopes[ZonePath.Root].Write(verified!));
        Assert.False(a1.Scopes[Z].Write(Sealed("a-1", 0)));
    }
}

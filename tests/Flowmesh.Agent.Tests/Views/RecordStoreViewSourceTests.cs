using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>The store adapter unwraps signed envelopes, decodes them with the sketch key, and leaves out (and counts) what it cannot decode.</summary>
public sealed class RecordStoreViewSourceTests
{
    [Fact]
    public void DecodesTheStoredEnvelopesOfTheWindowAndCountsTheUndecodable()
    {
        var traffic = Generate(seed: 3, origins: 2, start: T0, seconds: 60);
        var identity = NodeIdentity.Generate();
        var store = new MemoryStore();
        foreach (var r in traffic.Records)
            store.Put(r.Id, SignedRecord.Create(identity, new NodeId(r.Id.Origin), r.Encode()).Encode());
        // A stored envelope whose record was written under another sketch key cannot be decoded here.
        var foreign = Summarize("node-x", [new TestPacket("node-x", T0 + 5 * Second, "10.9.0.1", 1, "10.9.0.2", 2, 100)]);
        store.Put(foreign[0].Id, [1, 2, 3]);

        var source = new RecordStoreViewSource(store, Key, () => [new ExpectedOrigin("node-0", OriginLiveness.Alive)], TimeProvider.System, Epoch);
        var all = source.RecordsOverlapping(T0, T0 + 60 * Second);
        Assert.Equal(traffic.Records.Select(r => r.ContentHash).Order(), all.Select(r => r.ContentHash).Order());
        Assert.Equal(1, source.Undecodable);

        var part = source.RecordsOverlapping(T0 + 20 * Second, T0 + 40 * Second);
        Assert.Equal(traffic.Records.Where(r => r.Id.StartMicros >= T0 + 20 * Second && r.Id.StartMicros < T0 + 40 * Second).Select(r => r.Id.ToString()).Order(),
            part.Select(r => r.Id.ToString()).Order());
        var view = GlobalView.Build(all, source.ExpectedOrigins(), T0 + 90 * Second, ViewWindow.Between(T0, T0 + 60 * Second));
        Assert.Equal(traffic.Bytes, (long)view.Totals().Bytes.Value);
    }

    [Fact]
    public void OriginsAreExpectedFromTheirOldestHeldRecordSoEarlierEpochsAreNoGaps()
    {
        // node-0 has records from T0 + 30 s on (it started then); node-1 from T0; node-2 joined at T0 + 50 s and has none yet.
        var traffic = Generate(seed: 4, origins: 2, start: T0, seconds: 60);
        var identity = NodeIdentity.Generate();
        var store = new MemoryStore();
        foreach (var r in traffic.Records.Where(r => r.Id.Origin != "node-0" || r.Id.StartMicros >= T0 + 30 * Second))
            store.Put(r.Id, SignedRecord.Create(identity, new NodeId(r.Id.Origin), r.Encode()).Encode());
        var source = new RecordStoreViewSource(store, Key, () =>
            [new ExpectedOrigin("node-0", OriginLiveness.Alive) { SinceMicros = T0 }, new ExpectedOrigin("node-1", OriginLiveness.Alive),
             new ExpectedOrigin("node-2", OriginLiveness.Alive) { SinceMicros = T0 + 50 * Second }], TimeProvider.System, Epoch);
        var window = ViewWindow.Between(T0 - 60 * Second, T0 + 60 * Second);
        var records = source.RecordsOverlapping(window.FromMicros, window.ToMicros);
        var expected = source.ExpectedOrigins().ToDictionary(o => o.Origin);
        Assert.Equal(T0 + 30 * Second, expected["node-0"].SinceMicros); // its first record, not when membership saw it join
        Assert.Equal(T0, expected["node-1"].SinceMicros);
        Assert.Equal(T0 + 50 * Second, expected["node-2"].SinceMicros);  // no record yet: membership's word
        var view = GlobalView.Build(records, expected.Values, T0 + 90 * Second, window);
        // node-2's one settled epoch since it joined has no record: that is its only gap; the others are complete.
        Assert.Equal(["node-2"], view.Coverage.IncompleteOrigins);
        Assert.Equal(1, Assert.Single(view.Coverage.Origins, o => o.Origin == "node-2").SettledEpochs);
    }

    [Fact]
    public void RecordsHandedOverDecodedAreNeverReadBackAndOldestStartsFollowRetention()
    {
        using var fixture = new Storage.StorageFixture();
        var clock = new Storage.ManualTime(DateTimeOffset.UnixEpoch.AddTicks((T0 + 70 * Second) * TimeSpan.TicksPerMicrosecond));
        using var database = fixture.Open(new Flowmesh.Agent.Storage.StorageOptions { Retention = Flowmesh.Gossip.Records.RecordRetention.Flat(TimeSpan.FromSeconds(50)) }, clock);
        var traffic = Generate(seed: 5, origins: 2, start: T0, seconds: 60);
        var identity = NodeIdentity.Generate();
        VerifiedRecord Verified(EpochRecord r) =>
            new(r.Id, r.ContentHash, SignedRecord.Create(identity, new NodeId(r.Id.Origin), r.Encode()).Encode());
        var source = new RecordStoreViewSource(database.Records, Key,
            () => [new ExpectedOrigin("node-0", OriginLiveness.Alive), new ExpectedOrigin("node-1", OriginLiveness.Alive)], clock, Epoch);

        // Stored before the source listens, and without the decoded record: read back and decoded, once.
        var early = traffic.Records.Where(r => r.Id.StartMicros < T0 + 10 * Second).ToList();
        foreach (var r in early) Assert.True(database.Records.Write(Verified(r)));
        database.Records.Written += source.Remember;
        var late = traffic.Records.Except(early).ToList();
        foreach (var r in late) Assert.True(database.Records.Write(Verified(r) with { Decoded = r }));

        var all = source.RecordsOverlapping(T0, T0 + 60 * Second);
        Assert.Equal(traffic.Records.Select(r => r.Id.ToString()).Order(), all.Select(r => r.Id.ToString()).Order());
        foreach (var r in late) Assert.Same(r, all.Single(a => a.Id == r.Id));
        Assert.Equal(early.Count, source.Decodes);
        source.RecordsOverlapping(T0, T0 + 60 * Second);
        Assert.Equal(early.Count, source.Decodes);
        Assert.All(source.ExpectedOrigins(), o => Assert.Equal(traffic.Records.Where(r => r.Id.Origin == o.Origin).Min(r => r.Id.StartMicros), o.SinceMicros));

        // Retention takes the first 20 s (it keeps what started within 50 s of now, T0 + 70 s), and a record arrives:
        // the origins are expected from their oldest record still held, not from a pruned one.
        Assert.True(database.Records.Prune(clock.GetUtcNow()).RecordsDeleted > 0);
        var next = Generate(seed: 6, origins: 2, start: T0 + 60 * Second, seconds: 10).Records;
        foreach (var r in next) Assert.True(database.Records.Write(Verified(r) with { Decoded = r }));
        Assert.Equal(traffic.Records.Concat(next).Count(r => r.Id.StartMicros >= T0 + 20 * Second),
            source.RecordsOverlapping(T0, T0 + 70 * Second).Count);
        Assert.All(source.ExpectedOrigins(), o => Assert.Equal(
            traffic.Records.Concat(next).Where(r => r.Id.Origin == o.Origin && r.Id.StartMicros >= T0 + 20 * Second).Min(r => r.Id.StartMicros), o.SinceMicros));
        Assert.Equal(early.Count, source.Decodes);
    }

    private sealed class MemoryStore : IRecordStore
    {
        private readonly Dictionary<EpochId, byte[]> _records = [];

        public void Put(EpochId id, byte[] envelope) => _records[id] = envelope;

        public IReadOnlyList<OriginDigest> Digest() =>
            _records.Keys.GroupBy(id => id.Origin).Select(g => OriginDigest.Of(g.Key, g)).ToList();

        public IReadOnlyList<EpochId> IdsOf(string origin) =>
            _records.Keys.Where(id => id.Origin == origin).OrderByDescending(id => id.StartMicros).ToList();

        public bool Contains(EpochId id) => _records.ContainsKey(id);

        public byte[]? Read(EpochId id) => _records.GetValueOrDefault(id);

        public bool Write(VerifiedRecord record) => throw new NotSupportedException();
    }
}

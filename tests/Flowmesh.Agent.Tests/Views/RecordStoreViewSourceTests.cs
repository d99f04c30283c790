using Flowmesh.Agent.Views;
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

        var source = new RecordStoreViewSource(store, Key, () => [new ExpectedOrigin("node-0", MemberState.Alive)], TimeProvider.System, Epoch);
        var all = source.RecordsOverlapping(T0, T0 + 60 * Second);
        Assert.Equal(traffic.Records.Select(r => r.ContentHash).Order(), all.Select(r => r.ContentHash).Order());
        Assert.Equal(1, source.Undecodable);

        var part = source.RecordsOverlapping(T0 + 20 * Second, T0 + 40 * Second);
        Assert.Equal(traffic.Records.Where(r => r.Id.StartMicros >= T0 + 20 * Second && r.Id.StartMicros < T0 + 40 * Second).Select(r => r.Id.ToString()).Order(),
            part.Select(r => r.Id.ToString()).Order());
        var view = GlobalView.Build(all, source.ExpectedOrigins(), T0 + 90 * Second, ViewWindow.Between(T0, T0 + 60 * Second));
        Assert.Equal(traffic.Bytes, (long)view.Totals().Bytes.Value);
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

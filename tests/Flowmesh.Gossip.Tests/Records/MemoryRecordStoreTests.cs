using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using static Flowmesh.Gossip.Tests.Records.TestRecords;

namespace Flowmesh.Gossip.Tests.Records;

public sealed class MemoryRecordStoreTests
{
    private static VerifiedRecord Fake(EpochId id, byte marker = 0) => new(id, $"hash-{marker}", [marker, 1, 2, 3]);

    [Fact]
    public void Digest_matches_the_digest_computed_from_the_ids_whatever_the_write_order()
    {
        var ids = Enumerable.Range(0, 50).Select(i => Id(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c", i)).ToList();
        var forward = new MemoryRecordStore();
        var shuffled = new MemoryRecordStore();
        foreach (var id in ids) forward.Write(Fake(id));
        foreach (var id in ids.OrderBy(_ => Guid.NewGuid())) shuffled.Write(Fake(id));

        foreach (var origin in new[] { "a", "b", "c" })
        {
            var expected = OriginDigest.Of(origin, ids.Where(i => i.Origin == origin));
            Assert.Equal(expected, forward.Digest().Single(d => d.Origin == origin));
            Assert.Equal(expected, shuffled.Digest().Single(d => d.Origin == origin));
        }
        Assert.Equal(ids.Where(i => i.Origin == "a").OrderByDescending(i => i.StartMicros), forward.IdsOf("a"));
    }

    [Fact]
    public void The_first_copy_of_an_id_stays_and_duplicates_report_false()
    {
        var store = new MemoryRecordStore();
        Assert.True(store.Write(Fake(Id("a", 0), 1)));
        Assert.False(store.Write(Fake(Id("a", 0), 2)));
        Assert.Equal(1, store.Read(Id("a", 0))![0]);
        Assert.Equal(1, store.Digest().Single().Count);
    }

    [Fact]
    public void Prune_removes_expired_records_from_the_digest_too()
    {
        var store = new MemoryRecordStore();
        for (var i = 0; i < 10; i++) store.Write(Fake(Id("a", i)));
        var horizon = Id("a", 4).EndMicros; // epochs 0..3 ended before it
        Assert.Equal(4, store.Prune(horizon));
        Assert.Equal(OriginDigest.Of("a", Enumerable.Range(4, 6).Select(i => Id("a", i))), store.Digest().Single());
        Assert.False(store.Contains(Id("a", 0)));
        Assert.Null(store.Read(Id("a", 0)));
    }
}

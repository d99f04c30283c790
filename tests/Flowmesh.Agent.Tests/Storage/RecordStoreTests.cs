using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

public sealed class RecordStoreTests : IDisposable
{
    private const long Minute = 60_000_000;
    private readonly StorageFixture _fixture = new();

    [Fact]
    public void WrittenRecordsReadBackByteForByteAndSurviveReopening()
    {
        var records = Enumerable.Range(0, 30).Select(i => StorageFixture.Record($"node-{i % 3}", i * Minute, size: 100 + i * 37)).ToList();
        using (var database = _fixture.Open())
        {
            foreach (var record in records) Assert.True(database.Records.Write(record));
            foreach (var record in records) Assert.Equal(record.SignedEnvelope, database.Records.Read(record.Id));
        }
        using (var database = _fixture.Open())
        {
            foreach (var record in records)
            {
                Assert.True(database.Records.Contains(record.Id));
                Assert.Equal(record.SignedEnvelope, database.Records.Read(record.Id));
            }
            Assert.False(database.Records.Contains(new EpochId("node-0", 1, Minute)));
            Assert.Null(database.Records.Read(new EpochId("node-9", 0, Minute)));
            Assert.Equal(records.Sum(r => (long)r.SignedEnvelope.Length), database.Records.TotalBytes);
        }
    }

    [Fact]
    public void ADuplicateIdIsRefusedAndTheFirstCopyStays()
    {
        using var database = _fixture.Open();
        var first = StorageFixture.Record("node-a", 0, size: 200, salt: 1);
        var second = StorageFixture.Record("node-a", 0, size: 500, salt: 2);
        Assert.NotEqual(first.SignedEnvelope, second.SignedEnvelope);
        Assert.True(database.Records.Write(first));
        Assert.False(database.Records.Write(second));
        Assert.False(database.Records.Write(first));
        Assert.Equal(first.SignedEnvelope, database.Records.Read(first.Id));
        Assert.Equal(200, database.Records.TotalBytes);
        Assert.Equal(OriginDigest.Of("node-a", [first.Id]), Assert.Single(database.Records.Digest()));
        // Same start, other length: another id, not a duplicate.
        Assert.True(database.Records.Write(StorageFixture.Record("node-a", 0, lengthMicros: 2 * Minute)));
    }

    [Fact]
    public void DigestsAndIdsMatchAnIndependentComputationAlsoAfterReopening()
    {
        var random = new Random(7);
        var written = new List<EpochId>();
        using (var database = _fixture.Open())
        {
            for (int i = 0; i < 200; i++)
            {
                var record = StorageFixture.Record($"n{random.Next(5)}", random.Next(100) * Minute, size: 50);
                if (database.Records.Write(record)) written.Add(record.Id);
            }
            AssertMatches(database.Records, written);
        }
        using (var database = _fixture.Open()) AssertMatches(database.Records, written);
    }

    [Fact]
    public void RangeQueriesReturnOverlappingEpochsOptionallyOfOneOrigin()
    {
        using var database = _fixture.Open();
        var records = new List<VerifiedRecord>();
        for (int i = 0; i < 10; i++)
        foreach (var origin in new[] { "a", "b" })
        {
            var record = StorageFixture.Record(origin, i * Minute, lengthMicros: origin == "a" ? Minute : 3 * Minute);
            records.Add(record);
            database.Records.Write(record);
        }
        long from = 4 * Minute, to = 6 * Minute;
        var expected = records.Where(r => r.Id.StartMicros < to && r.Id.EndMicros > from).Select(r => r.Id).OrderBy(id => id.StartMicros).ThenBy(id => id.Origin, StringComparer.Ordinal).ToList();
        var got = database.Records.RecordsBetween(from, to);
        Assert.Equal(expected, got.Select(r => r.Id));
        Assert.Equal(6, expected.Count); // a@4, a@5 (one minute long) and b@2..b@5 (three minutes long)
        foreach (var stored in got) Assert.Equal(records.Single(r => r.Id == stored.Id).SignedEnvelope, stored.SignedEnvelope);
        Assert.Equal(expected.Where(id => id.Origin == "b"), database.Records.RecordsBetween(from, to, "b").Select(r => r.Id));
        Assert.Empty(database.Records.RecordsBetween(100 * Minute, 200 * Minute));
        Assert.Equal(expected.Take(4), database.Records.RecordsBetween(from, to, limit: 4).Select(r => r.Id));
    }

    [Fact]
    public void IdsStartingInAWindowAndOldestStartsMatchTheDefaultsComputedFromEveryId()
    {
        using var database = _fixture.Open();
        var random = new Random(11);
        for (int i = 0; i < 60; i++)
            database.Records.Write(StorageFixture.Record($"node-{random.Next(4)}", random.Next(0, 40) * Minute, lengthMicros: random.Next(1, 3) * Minute));
        IRecordStore generic = database.Records;
        var every = database.Records.Digest().SelectMany(d => database.Records.IdsOf(d.Origin)).ToList();
        foreach (var (from, to) in new[] { (0L, 40 * Minute), (5 * Minute, 6 * Minute), (10 * Minute, 25 * Minute), (39 * Minute, 90 * Minute), (-Minute, 0L) })
        {
            var expected = every.Where(id => id.StartMicros >= from && id.StartMicros < to).Select(id => id.ToString()).Order();
            Assert.Equal(expected, database.Records.IdsStartingBetween(from, to).Select(id => id.ToString()).Order());
            Assert.Equal(expected, generic.IdsStartingBetween(from, to).Select(id => id.ToString()).Order());
        }
        foreach (var origin in new[] { "node-0", "node-1", "node-2", "node-3", "node-9" })
            Assert.Equal(every.Where(id => id.Origin == origin).Select(id => (long?)id.StartMicros).DefaultIfEmpty(null).Min(), database.Records.OldestStartOf(origin));
    }

    [Fact]
    public void WrittenIsRaisedOnceForEveryStoredRecordAndNeverForADuplicateOrARefusal()
    {
        var clock = new ManualTime(DateTimeOffset.UnixEpoch.AddMinutes(100));
        using var database = _fixture.Open(new StorageOptions { Retention = Flowmesh.Gossip.Records.RecordRetention.Flat(TimeSpan.FromMinutes(30)) }, clock);
        var seen = new List<VerifiedRecord>();
        database.Records.Written += seen.Add;
        var first = StorageFixture.Record("node-a", 80 * Minute);
        Assert.True(database.Records.Write(first));
        Assert.False(database.Records.Write(StorageFixture.Record("node-a", 80 * Minute, salt: 5)));
        database.Records.Prune(clock.GetUtcNow());
        Assert.False(database.Records.Write(StorageFixture.Record("node-b", 10 * Minute))); // below the horizon
        Assert.Same(first, Assert.Single(seen));
    }

    [Fact]
    public void WriteAllCommitsASessionTogetherAndAnswersForEachRecordAsWriteWould()
    {
        var clock = new ManualTime(DateTimeOffset.UnixEpoch.AddMinutes(100));
        var held = new List<EpochId>();
        using (var database = _fixture.Open(new StorageOptions { Retention = Flowmesh.Gossip.Records.RecordRetention.Flat(TimeSpan.FromMinutes(30)) }, clock))
        {
            var seen = new List<EpochId>();
            database.Records.Written += r => seen.Add(r.Id);
            var before = StorageFixture.Record("node-a", 80 * Minute);
            Assert.True(database.Records.Write(before));
            database.Records.Prune(clock.GetUtcNow()); // horizon at 70 min
            var batch = new[]
            {
                StorageFixture.Record("node-a", 81 * Minute),
                StorageFixture.Record("node-a", 80 * Minute, salt: 3), // held already
                StorageFixture.Record("node-b", 81 * Minute),
                StorageFixture.Record("node-b", 81 * Minute, salt: 4), // twice in one batch: the first copy stays
                StorageFixture.Record("node-c", 10 * Minute),          // before the horizon
            };
            Assert.Equal([true, false, true, false, false], database.Records.WriteAll(batch));
            Assert.Equal(batch[2].SignedEnvelope, database.Records.Read(batch[2].Id));
            Assert.Equal([before.Id, batch[0].Id, batch[2].Id], seen);
            held.AddRange(seen);
            AssertMatches(database.Records, held);
            Assert.Empty(database.Records.WriteAll([]));
        }
        using (var database = _fixture.Open(new StorageOptions { Retention = Flowmesh.Gossip.Records.RecordRetention.Flat(TimeSpan.FromMinutes(30)) }, clock))
            AssertMatches(database.Records, held);
    }

    [Fact]
    public void NewestPerOriginUsageAndTheOwnFlag()
    {
        var clock = new ManualTime(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        using var database = _fixture.Open(time: clock);
        database.Records.Write(StorageFixture.Record(StorageFixture.Self.Value, 5 * Minute, size: 10));
        database.Records.Write(StorageFixture.Record(StorageFixture.Self.Value, 2 * Minute, size: 20));
        clock.Advance(TimeSpan.FromSeconds(3));
        database.Records.Write(StorageFixture.Record("peer", 1 * Minute, size: 30));
        database.Records.Write(StorageFixture.Record("peer", 9 * Minute, size: 40));
        database.Records.Write(StorageFixture.Record("peer", 9 * Minute, size: 50, lengthMicros: 2 * Minute));

        var newest = database.Records.NewestPerOrigin();
        Assert.Equal([new EpochId("peer", 9 * Minute, 2 * Minute), new EpochId("self", 5 * Minute, Minute)], newest.Select(r => r.Id));
        Assert.False(newest[0].Own);
        Assert.True(newest[1].Own);
        Assert.Equal(clock.GetUtcNow(), newest[0].ReceivedAt);
        Assert.Equal(clock.GetUtcNow() - TimeSpan.FromSeconds(3), newest[1].ReceivedAt);

        Assert.Equal(
            [new OriginUsage("peer", 3, 120, 1 * Minute, 9 * Minute), new OriginUsage("self", 2, 30, 2 * Minute, 5 * Minute)],
            database.Records.UsageByOrigin());
    }

    [Fact]
    public void InvalidRecordsAreRefusedBeforeTouchingTheFile()
    {
        using var database = _fixture.Open();
        Assert.Throws<ArgumentException>(() => database.Records.Write(StorageFixture.Record("x", 0, lengthMicros: 0)));
        Assert.Throws<ArgumentException>(() => database.Records.Write(new VerifiedRecord(new EpochId(new string('o', 65), 0, Minute), "h", [1])));
        Assert.Throws<ArgumentException>(() => database.Records.Write(new VerifiedRecord(new EpochId("", 0, Minute), "h", [1])));
        Assert.Throws<ArgumentNullException>(() => database.Records.Write(new VerifiedRecord(new EpochId("x", 0, Minute), "h", null!)));
        Assert.Throws<ArgumentNullException>(() => database.Records.Write(null!));
        Assert.Throws<ArgumentException>(() => database.Records.Write(new VerifiedRecord(new EpochId("x", 0, Minute), "h", [])));
        Assert.Throws<ArgumentException>(() => database.Records.Write(
            new VerifiedRecord(new EpochId("x", 0, Minute), "h", new byte[Flowmesh.Gossip.Security.SignedRecord.MaxEncodedLength + 1])));
        Assert.Throws<ArgumentException>(() => database.Records.Write(new VerifiedRecord(new EpochId("x", 0, Minute), new string('h', 161), [1])));
        Assert.Empty(database.Records.Digest());
    }

    [Fact]
    public void UseAfterDisposeThrowsInsteadOfWritingSomewhere()
    {
        var database = _fixture.Open();
        var store = database.Records;
        database.Dispose();
        database.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Write(StorageFixture.Record("a", 0)));
        Assert.Throws<ObjectDisposedException>(() => store.Contains(new EpochId("a", 0, Minute)));
        Assert.Throws<ObjectDisposedException>(() => store.Prune(DateTimeOffset.UnixEpoch));
        Assert.Throws<ObjectDisposedException>(() => database.SaveIncarnation(3));
    }

    internal static void AssertMatches(SqliteRecordStore store, IReadOnlyCollection<EpochId> held)
    {
        var expected = held.GroupBy(id => id.Origin).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => OriginDigest.Of(g.Key, g)).ToList();
        Assert.Equal(expected, store.Digest());
        foreach (var group in held.GroupBy(id => id.Origin))
            Assert.Equal(group.OrderByDescending(id => id.StartMicros).ThenByDescending(id => id.LengthMicros), store.IdsOf(group.Key));
    }

    public void Dispose() => _fixture.Dispose();
}

internal sealed class ManualTime(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

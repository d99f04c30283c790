using Flowmesh.Agent.Storage;
using Flowmesh.Gossip.Records;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Tests.Storage;

public sealed class RetentionTests : IDisposable
{
    private const long Minute = 60_000_000;
    private static readonly DateTimeOffset Epoch0 = DateTimeOffset.UnixEpoch;
    private readonly StorageFixture _fixture = new();

    [Fact]
    public void RecordsOlderThanTheMaximumAgeArePrunedAndRefusedAfterwards()
    {
        var options = new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromMinutes(30)) };
        var held = new List<EpochId>();
        using (var database = _fixture.Open(options))
        {
            for (int i = 0; i < 60; i++)
            foreach (var origin in new[] { "a", "b", "c" })
            {
                var record = StorageFixture.Record(origin, i * Minute, size: 100);
                database.Records.Write(record);
                held.Add(record.Id);
            }
            var result = database.Records.Prune(Epoch0 + TimeSpan.FromMinutes(70)); // keeps starts >= 40 min
            Assert.Equal(40 * 3, result.RecordsDeleted);
            Assert.Equal((0, 40L * 3, 0L), (result.ForByteBudget, database.Records.PrunedForAge, database.Records.PrunedForByteBudget));
            Assert.Equal(40 * 3 * 100, result.BytesDeleted);
            Assert.Equal(40 * Minute, result.HorizonMicros);
            Assert.Equal(40 * Minute, database.Records.HorizonMicros);
            held.RemoveAll(id => id.StartMicros < 40 * Minute);
            RecordStoreTests.AssertMatches(database.Records, held);
            Assert.Equal(held.Count * 100L, database.Records.TotalBytes);
            Assert.False(database.Records.Contains(new EpochId("a", 39 * Minute, Minute)));
            Assert.True(database.Records.Contains(new EpochId("a", 40 * Minute, Minute)));

            // Replication offers a pruned epoch again: refused, counted, not stored.
            Assert.False(database.Records.Write(StorageFixture.Record("d", 10 * Minute)));
            Assert.Equal(1, database.Records.RefusedBelowHorizon);
            Assert.True(database.Records.Write(StorageFixture.Record("d", 45 * Minute)));
            held.Add(new EpochId("d", 45 * Minute, Minute));
        }
        using (var database = _fixture.Open(options))
        {
            Assert.Equal(40 * Minute, database.Records.HorizonMicros);
            RecordStoreTests.AssertMatches(database.Records, held);
            Assert.False(database.Records.Write(StorageFixture.Record("e", 39 * Minute)));
            // A prune at an earlier time never lowers the horizon.
            Assert.Equal(new PruneResult(0, 0, 40 * Minute), database.Records.Prune(Epoch0));
        }
    }

    [Fact]
    public void TheFileShrinksAfterPruning()
    {
        long before;
        using (var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromMinutes(10)) }))
        {
            for (int i = 0; i < 200; i++) database.Records.Write(StorageFixture.Record("a", i * Minute, size: 10_000));
            database.Records.Write(StorageFixture.Record("a", 1000 * Minute, size: 10_000));
        }
        before = new FileInfo(_fixture.DatabasePath).Length;
        Assert.True(before > 2_000_000, $"{before} bytes");
        using (var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromMinutes(10)) }))
            Assert.Equal(200, database.Records.Prune(Epoch0 + TimeSpan.FromMinutes(1005)).RecordsDeleted);
        long after = new FileInfo(_fixture.DatabasePath).Length;
        Assert.True(after < before / 10, $"{before} bytes before pruning, {after} after");
    }

    [Fact]
    public void AnOriginWhoseRecordsAreAllPrunedLeavesTheDigest()
    {
        using var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromMinutes(10)) });
        database.Records.Write(StorageFixture.Record("gone", 0));
        database.Records.Write(StorageFixture.Record("stays", 20 * Minute));
        database.Records.Prune(Epoch0 + TimeSpan.FromMinutes(25));
        Assert.Equal(["stays"], database.Records.Digest().Select(d => d.Origin));
        Assert.Empty(database.Records.IdsOf("gone"));
    }

    [Fact]
    public void OptionsOutsideTheirRangeAreRefused()
    {
        Assert.Throws<ArgumentException>(() => RecordRetention.Flat(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => _fixture.Open(new StorageOptions { MaxRecordBytes = 0 }));
    }

    public void Dispose() => _fixture.Dispose();
}

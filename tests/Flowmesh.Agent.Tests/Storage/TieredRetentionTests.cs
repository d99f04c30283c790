using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

/// <summary>Retention per length tier in the real SQLite store: each tier its own age and horizon, the budget finest tier first.</summary>
public sealed class TieredRetentionTests : IDisposable
{
    private const long Second = 1_000_000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private static readonly DateTimeOffset Epoch0 = DateTimeOffset.UnixEpoch;
    private static readonly string[] Origins = ["a", "b"];
    private readonly StorageFixture _fixture = new();

    // Raw 1 h, 1 min roll-ups 3 h, 1 h roll-ups 10 h (no 10 min tier: tiers are configurable).
    private static readonly RecordRetention Tiers = new(
    [
        new RetentionTier(TimeSpan.Zero, TimeSpan.FromHours(1)),
        new RetentionTier(TimeSpan.FromMinutes(1), TimeSpan.FromHours(3)),
        new RetentionTier(TimeSpan.FromHours(1), TimeSpan.FromHours(10)),
    ]);

    public void Dispose() => _fixture.Dispose();

    /// <summary>Per origin: a 10 s raw record at 5 min past every 10 min, a minute roll-up every 10 min, an hour roll-up every hour, over 4 h.</summary>
    private static List<Gossip.Records.VerifiedRecord> History(int size)
    {
        var records = new List<Gossip.Records.VerifiedRecord>();
        foreach (var origin in Origins)
        {
            for (long t = 0; t < 4 * Hour; t += 10 * Minute)
            {
                records.Add(StorageFixture.Record(origin, t + 5 * Minute, size, lengthMicros: 10 * Second));
                records.Add(StorageFixture.Record(origin, t, size, lengthMicros: Minute));
            }
            for (long t = 0; t < 4 * Hour; t += Hour) records.Add(StorageFixture.Record(origin, t, size, lengthMicros: Hour));
        }
        return records;
    }

    [Fact]
    public void EachTierIsPrunedByItsOwnAgeAndRefusesWhatItPruned()
    {
        var options = new StorageOptions { Retention = Tiers };
        var history = History(200);
        using (var database = _fixture.Open(options))
        {
            foreach (var r in history) Assert.True(database.Records.Write(r));
            var result = database.Records.Prune(Epoch0 + TimeSpan.FromHours(4));
            // Independent truth: raw starts >= 3 h, minute roll-ups >= 1 h, every hour roll-up (10 h reach back before 0).
            var expected = history.Select(r => r.Id).Where(id => id.LengthMicros switch
            {
                10 * Second => id.StartMicros >= 3 * Hour,
                Minute => id.StartMicros >= 1 * Hour,
                _ => true,
            }).ToList();
            RecordStoreTests.AssertMatches(database.Records, expected);
            Assert.Equal(history.Count - expected.Count, result.RecordsDeleted);
            Assert.Equal(3 * Hour, result.HorizonMicros);
            Assert.Equal(3 * Hour, database.Records.HorizonOf(10 * Second));
            Assert.Equal(1 * Hour, database.Records.HorizonOf(Minute));
            Assert.Equal(1 * Hour, database.Records.HorizonOf(5 * Minute)); // a 5 min record is in the minute tier
            Assert.Equal(-6 * Hour, database.Records.HorizonOf(Hour)); // now − 10 h: nothing was that old

            // Replication offers what each tier pruned: refused. A roll-up of that time is still welcome.
            Assert.False(database.Records.Write(StorageFixture.Record("c", 2 * Hour, lengthMicros: 10 * Second)));
            Assert.True(database.Records.Write(StorageFixture.Record("c", 2 * Hour, lengthMicros: Minute)));
            Assert.False(database.Records.Write(StorageFixture.Record("c", 30 * Minute, lengthMicros: Minute)));
            Assert.True(database.Records.Write(StorageFixture.Record("c", 0, lengthMicros: Hour)));
            Assert.Equal(2, database.Records.RefusedBelowHorizon);
        }
        using (var database = _fixture.Open(options))
        {
            // The horizons survive a restart.
            Assert.Equal(3 * Hour, database.Records.HorizonOf(10 * Second));
            Assert.Equal(1 * Hour, database.Records.HorizonOf(Minute));
            Assert.False(database.Records.Write(StorageFixture.Record("d", 2 * Hour, lengthMicros: 10 * Second)));
        }
    }

    [Fact]
    public void OverTheBudgetTheFinestTierGoesFirstAndRollUpsStay()
    {
        var options = new StorageOptions { Retention = RecordRetention.Default, MaxRecordBytes = 80_000 };
        var history = History(1000);
        using var database = _fixture.Open(options);
        foreach (var r in history) database.Records.Write(r);
        long total = history.Sum(r => (long)r.SignedEnvelope.Length);
        Assert.Equal(2 * (24 + 24 + 4) * 1000, total);
        database.Records.Prune(Epoch0 + TimeSpan.FromHours(4));
        // 104 kB held, 24 kB too many: the 12 oldest raw starts (2 origins x 1 kB each) go, nothing else.
        var expected = history.Select(r => r.Id).Where(id => id.LengthMicros != 10 * Second || id.StartMicros >= 12 * 10 * Minute + 5 * Minute).ToList();
        RecordStoreTests.AssertMatches(database.Records, expected);
        Assert.Equal(80_000, database.Records.TotalBytes);
    }

    [Fact]
    public void ABudgetSmallerThanTheRollUpsTakesAllRawRecordsThenTheOldestMinuteRollUps()
    {
        var options = new StorageOptions { Retention = RecordRetention.Default, MaxRecordBytes = 30_000 };
        var history = History(1000);
        using var database = _fixture.Open(options);
        foreach (var r in history) database.Records.Write(r);
        Assert.Equal(235 * Minute, database.Records.Digest().Single(d => d.Origin == "a").NewestStartMicros);
        database.Records.Prune(Epoch0 + TimeSpan.FromHours(4));
        // Raw: all 48 kB go; 56 kB of roll-ups remain, 26 kB too many: the 13 oldest minute starts go; hours stay.
        var expected = history.Select(r => r.Id).Where(id => id.LengthMicros switch
        {
            10 * Second => false,
            Minute => id.StartMicros >= 13 * 10 * Minute,
            _ => true,
        }).ToList();
        RecordStoreTests.AssertMatches(database.Records, expected);
        Assert.True(database.Records.TotalBytes <= 30_000);
        // The origin's newest record was a raw one: the digest now names its newest roll-up.
        Assert.Equal(230 * Minute, database.Records.Digest().Single(d => d.Origin == "a").NewestStartMicros);
    }
}

using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

/// <summary>
/// Issue 16: the byte budget is shared fairly among origins and an origin's records per epoch slot are capped, so one
/// insider flooding the store evicts only its own history (real SQLite store; each test fails on the code before).
/// </summary>
public sealed class OriginQuotaTests : IDisposable
{
    private const long Second = 1_000_000;
    private const long Minute = 60 * Second;
    private static readonly DateTimeOffset Epoch0 = DateTimeOffset.UnixEpoch;
    private readonly StorageFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void An_insider_flooding_the_store_loses_its_own_history_and_the_honest_origins_keep_all_of_theirs()
    {
        var options = new StorageOptions { Retention = RecordRetention.Default, MaxRecordBytes = 1_000_000 };
        string[] honest = ["alice", "bob", "carol"];
        var honestIds = new List<EpochId>();
        using (var database = _fixture.Open(options))
        {
            // 30 min of 10 s epochs per honest origin, 1 kB each: 540 kB in all, well inside the budget.
            for (long t = 0; t < 30 * Minute; t += 10 * Second)
            foreach (var origin in honest)
            {
                var record = StorageFixture.Record(origin, t, size: 1000, lengthMicros: 10 * Second);
                Assert.True(database.Records.Write(record));
                honestIds.Add(record.Id);
            }
            // The insider signs as many valid records as the rules let it: ten 1 s parts in every 10 s slot, 5 kB each
            // (9 MB), then tries more, overlapping ones.
            // Records are at least 1 s (the validator), so ten 1 s parts fill a slot: any further record overlaps one.
            long refused = 0;
            for (long t = 0; t < 30 * Minute; t += 10 * Second)
            {
                for (int part = 0; part < 10; part++)
                    Assert.True(database.Records.Write(StorageFixture.Record("mallory", t + part * Second, size: 5000, lengthMicros: Second)));
                foreach (var (offset, length) in new[] { (500_000L, Second), (0L, 10 * Second), (9 * Second, Second / 2) })
                    if (!database.Records.Write(StorageFixture.Record("mallory", t + offset, size: 5000, lengthMicros: length))) refused++;
            }
            Assert.Equal(3 * 180, refused);
            Assert.Equal(3 * 180, database.Records.RefusedOverlapping);

            var pruned = database.Records.Prune(Epoch0 + TimeSpan.FromMinutes(31));
            Assert.True(database.Records.TotalBytes <= options.MaxRecordBytes, $"{database.Records.TotalBytes} bytes held");
            // Every deletion was the insider's, for the byte budget, and is counted as such (flowmesh_records_pruned_total).
            Assert.Equal(1800 - database.Records.UsageByOrigin().Single(u => u.Origin == "mallory").Count, pruned.ForByteBudget);
            Assert.Equal(pruned.RecordsDeleted, pruned.ForByteBudget);
            Assert.Equal((pruned.ForByteBudget, 0L), (database.Records.PrunedForByteBudget, database.Records.PrunedForAge));
            // Every honest record stays; the insider keeps only its newest records, inside what the others leave.
            Assert.All(honestIds, id => Assert.True(database.Records.Contains(id), $"{id} was evicted"));
            var usage = database.Records.UsageByOrigin().ToDictionary(u => u.Origin);
            Assert.True(usage["mallory"].Bytes <= 1_000_000 - 540_000, $"{usage["mallory"].Bytes} bytes of the insider's");
            Assert.True(usage["mallory"].OldestStartMicros > 20 * Minute, "the insider kept its oldest records");
            // What the budget took from the insider does not come back by replication; honest records still arrive.
            Assert.False(database.Records.Write(StorageFixture.Record("mallory", 0, size: 5000, lengthMicros: Second, salt: 1)));
            Assert.True(database.Records.Write(StorageFixture.Record("dave", 0, size: 1000, lengthMicros: 10 * Second)));
        }
        using (var database = _fixture.Open(options))
        {
            Assert.False(database.Records.Write(StorageFixture.Record("mallory", 10 * Second + 3 * Second, size: 5000, lengthMicros: 500_000)));
            Assert.All(honestIds, id => Assert.True(database.Records.Contains(id), $"{id} is gone after a restart"));
        }
    }

    [Fact]
    public void Over_the_budget_each_origin_keeps_its_newest_records_up_to_its_fair_share()
    {
        var options = new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromDays(7)), MaxRecordBytes = 10_000 };
        var random = new Random(11);
        var records = new List<(EpochId Id, int Size)>();
        using var database = _fixture.Open(options);
        // Three origins of very different volumes over 50 epochs.
        int[] scale = [20, 100, 400];
        for (int i = 0; i < 50; i++)
        for (int o = 0; o < 3; o++)
        {
            var record = StorageFixture.Record($"o{o}", i * Minute, size: 1 + random.Next(scale[o]));
            Assert.True(database.Records.Write(record));
            records.Add((record.Id, record.SignedEnvelope.Length));
        }
        // Independent truth: the largest cap C (by brute force) with sum of min(bytes, C) within the budget; then each
        // origin keeps its newest records while they fit under C.
        var bytes = records.GroupBy(r => r.Id.Origin).ToDictionary(g => g.Key, g => g.Sum(r => (long)r.Size));
        long cap = 0;
        while (bytes.Values.Sum(b => Math.Min(b, cap + 1)) <= 10_000) cap++;
        var expected = new List<EpochId>();
        foreach (var origin in records.GroupBy(r => r.Id.Origin))
        {
            long kept = 0;
            foreach (var (id, size) in origin.OrderByDescending(r => r.Id.StartMicros))
            {
                if (kept + size > cap) break;
                kept += size;
                expected.Add(id);
            }
        }
        Assert.True(bytes["o0"] < cap, "the smallest origin is under the cap: it must keep everything");
        database.Records.Prune(Epoch0 + TimeSpan.FromMinutes(50));
        RecordStoreTests.AssertMatches(database.Records, expected);
        Assert.True(database.Records.TotalBytes <= 10_000);
        Assert.Equal(expected.Count, database.Records.UsageByOrigin().Sum(u => u.Count));
    }

    [Fact]
    public void Issue_15s_parts_fit_their_slot_and_a_second_record_over_them_is_refused()
    {
        using var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Default });
        long slot = 100 * 10 * Second;
        // A restart inside the epoch: [start, stop) and then the rest of the epoch.
        Assert.True(database.Records.Write(StorageFixture.Record("a", slot, lengthMicros: 4 * Second)));
        Assert.True(database.Records.Write(StorageFixture.Record("a", slot + 4 * Second + 200_000, lengthMicros: 5_800_000)));
        // The same ids again: duplicates, not counted as refusals.
        Assert.False(database.Records.Write(StorageFixture.Record("a", slot, lengthMicros: 4 * Second, salt: 9)));
        // A whole-epoch record over them, and one over part of one: refused and counted.
        Assert.False(database.Records.Write(StorageFixture.Record("a", slot, lengthMicros: 10 * Second)));
        Assert.False(database.Records.Write(StorageFixture.Record("a", slot + 3 * Second, lengthMicros: Second)));
        Assert.Equal(2, database.Records.RefusedOverlapping);
        // The gap between the parts is free; the minute roll-up of the slot's minute lies on its own grid.
        Assert.True(database.Records.Write(StorageFixture.Record("a", slot + 4 * Second, lengthMicros: 200_000)));
        Assert.True(database.Records.Write(StorageFixture.Record("a", slot - slot % Minute, lengthMicros: Minute)));
        Assert.False(database.Records.Write(StorageFixture.Record("a", slot - slot % Minute, lengthMicros: Minute, salt: 3)));
        // Another origin's record of the same slot is its own.
        Assert.True(database.Records.Write(StorageFixture.Record("b", slot, lengthMicros: 10 * Second)));
        Assert.Equal(2, database.Records.RefusedOverlapping);
        Assert.Equal(0, database.Records.RefusedSlotFull);
    }

    [Fact]
    public void An_origin_gets_at_most_ten_records_per_epoch_slot()
    {
        using var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Default });
        long slot = 200 * 10 * Second;
        for (int part = 0; part < 10; part++)
            Assert.True(database.Records.Write(StorageFixture.Record("a", slot + part * 900_000, lengthMicros: 900_000)));
        Assert.False(database.Records.Write(StorageFixture.Record("a", slot + 9_000_000, lengthMicros: 900_000)));
        Assert.Equal(1, database.Records.RefusedSlotFull);
        Assert.True(database.Records.Write(StorageFixture.Record("a", slot + 10 * Second, lengthMicros: 900_000)));
        Assert.Equal(11, database.Records.IdsOf("a").Count);
    }
}

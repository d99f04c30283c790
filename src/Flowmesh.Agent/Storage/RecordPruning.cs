using System.Globalization;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// Where retention cuts each length tier of the records table (<see cref="RecordRetention"/>: raw epochs, 1 min,
/// 10 min and 1 h roll-ups): per tier, the start before which its epochs go, first by the tier's age, then, while the
/// held envelopes exceed the byte budget, the finest tier's oldest epochs (raw records, which the roll-ups summarise),
/// then the next tier's; and deletes below them. Whole epochs of a tier go together so each horizon is exact. The
/// caller (<see cref="SqliteRecordStore.Prune"/>) holds the write lock and updates its in-memory digests.
/// </summary>
internal sealed class RecordPruning(RecordRetention retention, long maxRecordBytes)
{
    private const string HorizonKey = "horizon_us";

    /// <summary>
    /// The new cutoff of every tier at <paramref name="nowMicros"/>, never below its current horizon: equal to
    /// <paramref name="horizons"/> when nothing is to be pruned.
    /// </summary>
    public long[] Cutoffs(SqliteConnection writer, IReadOnlyList<long> horizons, long nowMicros, long totalBytes)
    {
        var tiers = retention.Tiers;
        var cutoffs = new long[tiers.Count];
        long remaining = totalBytes;
        for (int tier = 0; tier < tiers.Count; tier++)
        {
            cutoffs[tier] = Math.Max(horizons[tier], SaturatingSubtract(nowMicros, Core.UnixMicros.FromDuration(tiers[tier].Retention)));
            remaining -= BytesBelow(writer, tier, cutoffs[tier]);
        }
        // Over budget: the finest tier gives up its oldest epochs first (roll-ups still cover that time).
        for (int tier = 0; tier < tiers.Count && remaining > maxRecordBytes; tier++)
        {
            var (cutoff, freed) = ByteBudgetCutoff(writer, tier, cutoffs[tier], remaining - maxRecordBytes);
            cutoffs[tier] = cutoff;
            remaining -= freed;
        }
        return cutoffs;
    }

    /// <summary>
    /// Deletes every tier's records starting before its cutoff and persists the new horizons, in one transaction (a
    /// crash keeps either all or none of one prune); the ids and envelope bytes deleted, for the store's digests.
    /// </summary>
    public (List<EpochId> Deleted, long Bytes) Delete(SqliteConnection writer, IReadOnlyList<long> horizons, long[] cutoffs)
    {
        var deleted = new List<EpochId>();
        long bytes = 0;
        using var transaction = writer.BeginTransaction();
        for (int tier = 0; tier < cutoffs.Length; tier++)
        {
            if (cutoffs[tier] == horizons[tier]) continue;
            string where = $"WHERE {TierCondition(tier)} AND start_us < $cutoff";
            using (var select = writer.Command($"SELECT origin, start_us, length_us, size FROM records {where}", transaction))
            {
                select.With("$cutoff", cutoffs[tier]);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    deleted.Add(new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
                    bytes += reader.GetInt64(3);
                }
            }
            using (var delete = writer.Command($"DELETE FROM records {where}", transaction))
                delete.With("$cutoff", cutoffs[tier]).ExecuteNonQuery();
            using (var horizon = writer.Command("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", transaction))
                horizon.With("$key", HorizonKeyOf(tier)).With("$value", cutoffs[tier]).ExecuteNonQuery();
        }
        transaction.Commit();
        return (deleted, bytes);
    }

    /// <summary>The SQL condition selecting one tier's records by length (constants from the options, not input).</summary>
    public string TierCondition(int tier)
    {
        var tiers = retention.Tiers;
        string condition = $"length_us >= {Text(Core.UnixMicros.FromDuration(tiers[tier].Length))}";
        if (tier + 1 < tiers.Count)
            condition += $" AND length_us < {Text(Core.UnixMicros.FromDuration(tiers[tier + 1].Length))}";
        return condition;
    }

    /// <summary>The raw tier keeps the key older builds wrote, so an upgraded store keeps its horizon; roll-up tiers are keyed by length.</summary>
    public string HorizonKeyOf(int tier) => tier == 0
        ? HorizonKey
        : $"{HorizonKey}_{Text(Core.UnixMicros.FromDuration(retention.Tiers[tier].Length))}";

    /// <summary>
    /// The smallest start S of <paramref name="tier"/> (at least <paramref name="from"/>) such that deleting the tier's
    /// epochs before S frees at least <paramref name="excess"/> bytes, or past the tier's newest epoch when even all of
    /// it does not; with the bytes that frees.
    /// </summary>
    private (long Cutoff, long Freed) ByteBudgetCutoff(SqliteConnection writer, int tier, long from, long excess)
    {
        using var command = writer.Command(
            $"SELECT start_us, sum(size) FROM records WHERE {TierCondition(tier)} AND start_us >= $from GROUP BY start_us ORDER BY start_us").With("$from", from);
        using var reader = command.ExecuteReader();
        long removed = 0;
        long last = from;
        bool any = false;
        while (reader.Read())
        {
            long start = reader.GetInt64(0);
            if (removed >= excess) return (start, removed);
            removed += reader.GetInt64(1);
            last = start;
            any = true;
        }
        // Even the tier's newest epoch does not fit: all of the tier goes.
        return (!any || last == long.MaxValue ? last : last + 1, removed);
    }

    /// <summary>Bytes of <paramref name="tier"/>'s records starting before <paramref name="cutoff"/>.</summary>
    private long BytesBelow(SqliteConnection writer, int tier, long cutoff)
    {
        using var command = writer.Command($"SELECT coalesce(sum(size), 0) FROM records WHERE {TierCondition(tier)} AND start_us < $cutoff").With("$cutoff", cutoff);
        return command.ExecuteScalar() is long bytes ? bytes : 0;
    }

    private static string Text(long micros) => micros.ToString(CultureInfo.InvariantCulture);

    private static long SaturatingSubtract(long a, long b) => a < long.MinValue + b ? long.MinValue : a - b;
}

using System.Globalization;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// Where retention cuts each length tier of the records table (<see cref="RecordRetention"/>: raw epochs, 1 min,
/// 10 min and 1 h roll-ups): per tier, the start before which its epochs go by the tier's age; then, while the held
/// envelopes exceed the byte budget, per origin (issue 16): the budget is shared max-min fairly among the origins held
/// (<see cref="FairShare"/>), and only an origin over its share loses records, its own oldest first, finest tier first
/// (raw records, which its roll-ups summarise), then the next tier. So no origin can evict another's history. Whole
/// epochs go together so each horizon is exact: a tier's horizon for everyone, and one per origin that was cut for its
/// bytes (records starting before it are refused, so replication does not bring them back). The caller
/// (<see cref="SqliteRecordStore.Prune"/>) holds the write lock and updates its in-memory digests.
/// </summary>
internal sealed class RecordPruning(RecordRetention retention, long maxRecordBytes)
{
    private const string HorizonKey = "horizon_us";

    /// <summary>The meta key prefix of per-origin horizons: <c>origin_horizon/{tier}/{origin}</c>.</summary>
    public const string OriginHorizonPrefix = "origin_horizon/";

    /// <summary>
    /// The new cutoff of every tier at <paramref name="nowMicros"/>, never below its current horizon, and the new
    /// per-origin cutoffs (only those that moved) for origins over their fair share of the byte budget.
    /// </summary>
    public PrunePlan Plan(SqliteConnection writer, IReadOnlyList<long> horizons, OriginHorizons originHorizons, long nowMicros, long totalBytes)
    {
        var tiers = retention.Tiers;
        var cutoffs = new long[tiers.Count];
        for (int tier = 0; tier < tiers.Count; tier++)
            cutoffs[tier] = Math.Max(horizons[tier], SaturatingSubtract(nowMicros, Core.UnixMicros.FromDuration(tiers[tier].Retention)));

        var plan = new PrunePlan(cutoffs, new Dictionary<string, long[]>(StringComparer.Ordinal));
        if (totalBytes <= maxRecordBytes) return plan; // the age cut only frees bytes

        // Bytes each origin keeps after the age cut.
        var kept = new Dictionary<string, long>(StringComparer.Ordinal);
        for (int tier = 0; tier < tiers.Count; tier++)
        {
            using var command = writer.Command($"SELECT origin, start_us, sum(size) FROM records WHERE {TierCondition(tier)} AND start_us >= $cutoff GROUP BY origin, start_us")
                .With("$cutoff", cutoffs[tier]);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                string origin = reader.GetString(0);
                if (reader.GetInt64(1) < originHorizons.Of(origin, tier)) continue;
                kept[origin] = kept.GetValueOrDefault(origin) + reader.GetInt64(2);
            }
        }
        long cap = FairShare.Cap(kept.Values, maxRecordBytes);
        if (cap == long.MaxValue) return plan;
        foreach (var (origin, bytes) in kept.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            long excess = bytes - cap;
            if (excess <= 0) continue;
            var originCutoffs = new long[tiers.Count];
            for (int tier = 0; tier < tiers.Count; tier++)
            {
                long from = Math.Max(cutoffs[tier], originHorizons.Of(origin, tier));
                originCutoffs[tier] = from;
                if (excess <= 0) continue;
                var (cutoff, freed) = ByteBudgetCutoff(writer, tier, origin, from, excess);
                originCutoffs[tier] = cutoff;
                excess -= freed;
            }
            plan.OriginCutoffs[origin] = originCutoffs;
        }
        return plan;
    }

    /// <summary>
    /// Deletes every tier's records starting before its cutoff and every cut origin's records before its own cutoffs,
    /// and persists the new horizons, in one transaction (a crash keeps either all or none of one prune); the ids and
    /// envelope bytes deleted, for the store's digests.
    /// </summary>
    public (List<EpochId> Deleted, long Bytes, int ForByteBudget) Delete(SqliteConnection writer, IReadOnlyList<long> horizons, PrunePlan plan)
    {
        var deleted = new List<EpochId>();
        long bytes = 0;
        using var transaction = writer.BeginTransaction();
        for (int tier = 0; tier < plan.Cutoffs.Length; tier++)
        {
            if (plan.Cutoffs[tier] == horizons[tier]) continue;
            bytes += DeleteWhere(writer, transaction, $"WHERE {TierCondition(tier)} AND start_us < $cutoff", plan.Cutoffs[tier], null, deleted);
            SaveHorizon(writer, transaction, HorizonKeyOf(tier), plan.Cutoffs[tier]);
        }
        int byAge = deleted.Count;
        foreach (var (origin, cutoffs) in plan.OriginCutoffs)
        {
            for (int tier = 0; tier < cutoffs.Length; tier++)
            {
                if (cutoffs[tier] <= plan.Cutoffs[tier]) continue;
                bytes += DeleteWhere(writer, transaction, $"WHERE origin = $origin AND {TierCondition(tier)} AND start_us < $cutoff", cutoffs[tier], origin, deleted);
                SaveHorizon(writer, transaction, OriginHorizonKey(tier, origin), cutoffs[tier]);
            }
        }
        transaction.Commit();
        return (deleted, bytes, deleted.Count - byAge);
    }

    public static string OriginHorizonKey(int tier, string origin) => $"{OriginHorizonPrefix}{Text(tier)}/{origin}";

    private static long DeleteWhere(SqliteConnection writer, SqliteTransaction transaction, string where, long cutoff, string? origin, List<EpochId> deleted)
    {
        long bytes = 0;
        using (var select = writer.Command($"SELECT origin, start_us, length_us, size FROM records {where}", transaction))
        {
            select.With("$cutoff", cutoff);
            if (origin is not null) select.With("$origin", origin);
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                deleted.Add(new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
                bytes += reader.GetInt64(3);
            }
        }
        using var delete = writer.Command($"DELETE FROM records {where}", transaction).With("$cutoff", cutoff);
        if (origin is not null) delete.With("$origin", origin);
        delete.ExecuteNonQuery();
        return bytes;
    }

    private static void SaveHorizon(SqliteConnection writer, SqliteTransaction transaction, string key, long value)
    {
        using var horizon = writer.Command("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", transaction);
        horizon.With("$key", key).With("$value", value).ExecuteNonQuery();
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
    /// The smallest start S of <paramref name="origin"/>'s records of <paramref name="tier"/> (at least
    /// <paramref name="from"/>) such that deleting them before S frees at least <paramref name="excess"/> bytes, or
    /// past its newest when even all of them do not; with the bytes that frees.
    /// </summary>
    private (long Cutoff, long Freed) ByteBudgetCutoff(SqliteConnection writer, int tier, string origin, long from, long excess)
    {
        using var command = writer.Command(
            $"SELECT start_us, sum(size) FROM records WHERE origin = $origin AND {TierCondition(tier)} AND start_us >= $from GROUP BY start_us ORDER BY start_us")
            .With("$from", from).With("$origin", origin);
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

    private static string Text(long micros) => micros.ToString(CultureInfo.InvariantCulture);

    private static long SaturatingSubtract(long a, long b) => a < long.MinValue + b ? long.MinValue : a - b;
}

using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// How long records are kept, per length tier: raw epoch records (and partial-epoch ones) briefly, the origin's
/// roll-ups (docs/epoch-records.md "Roll-ups") longer, so a long window reads few long records while recent windows
/// keep their 10 s detail. A record belongs to the tier with the longest <see cref="RetentionTier.Length"/> not
/// longer than its own length: with the defaults, records shorter than 1 min are raw, 1 min to just under 10 min
/// are minute roll-ups, and so on. Store, validator and replication all use this one rule, so a node never accepts,
/// offers or pulls a record its own retention would prune (replication does not fight retention).
/// </summary>
public sealed record RecordRetention
{
    /// <summary>Raw epochs 24 h, 1 min roll-ups 7 days, 10 min roll-ups 30 days, 1 h roll-ups 90 days.</summary>
    public static readonly RecordRetention Default = new(
    [
        new RetentionTier(TimeSpan.Zero, TimeSpan.FromHours(24)),
        new RetentionTier(TimeSpan.FromMinutes(1), TimeSpan.FromDays(7)),
        new RetentionTier(TimeSpan.FromMinutes(10), TimeSpan.FromDays(30)),
        new RetentionTier(TimeSpan.FromHours(1), TimeSpan.FromDays(90)),
    ]);

    /// <summary>Tiers by increasing length; the first has length zero (raw epoch records).</summary>
    public IReadOnlyList<RetentionTier> Tiers { get; }

    public RecordRetention(IReadOnlyList<RetentionTier> tiers)
    {
        ArgumentNullException.ThrowIfNull(tiers);
        if (tiers.Count == 0 || tiers[0].Length != TimeSpan.Zero)
            throw new ArgumentException("The first retention tier is the raw one, of length zero.", nameof(tiers));
        for (int i = 0; i < tiers.Count; i++)
        {
            if (tiers[i].Retention <= TimeSpan.Zero)
                throw new ArgumentException($"Tier {i}'s retention must be positive, got {tiers[i].Retention}.", nameof(tiers));
            if (i > 0 && tiers[i].Length <= tiers[i - 1].Length)
                throw new ArgumentException("Retention tiers must be ordered by strictly increasing length.", nameof(tiers));
        }
        Tiers = [.. tiers];
    }

    /// <summary>Only the raw tier, kept for <paramref name="retention"/>: no roll-up tiers (records of every length kept alike).</summary>
    public static RecordRetention Flat(TimeSpan retention) => new([new RetentionTier(TimeSpan.Zero, retention)]);

    /// <summary>The lengths records are rolled up to (every tier but the raw one), shortest first.</summary>
    public IEnumerable<TimeSpan> RollupLengths => Tiers.Skip(1).Select(t => t.Length);

    /// <summary>The longest any record is kept.</summary>
    public TimeSpan Longest => Tiers.Max(t => t.Retention);

    /// <summary>The index of the tier a record of <paramref name="lengthMicros"/> belongs to.</summary>
    public int TierOf(long lengthMicros)
    {
        for (int i = Tiers.Count - 1; i > 0; i--)
            if (lengthMicros >= Micros(Tiers[i].Length)) return i;
        return 0;
    }

    public TimeSpan For(long lengthMicros) => Tiers[TierOf(lengthMicros)].Retention;

    /// <summary>True when a record with this id ended longer ago than its tier keeps records: refused, never offered nor pulled.</summary>
    public bool Expired(EpochId id, long nowMicros) => id.EndMicros < HorizonMicros(nowMicros, id.LengthMicros);

    /// <summary>Records of this length whose epoch ended before this are expired.</summary>
    public long HorizonMicros(long nowMicros, long lengthMicros) => SaturatingSubtract(nowMicros, Micros(For(lengthMicros)));

    /// <summary>The earliest horizon of any tier: nothing that ended before it is in play at all.</summary>
    public long EarliestHorizonMicros(long nowMicros) => SaturatingSubtract(nowMicros, Micros(Longest));

    private static long Micros(TimeSpan span) => Core.UnixMicros.FromDuration(span);

    private static long SaturatingSubtract(long a, long b) => a < long.MinValue + b ? long.MinValue : a - b;
}

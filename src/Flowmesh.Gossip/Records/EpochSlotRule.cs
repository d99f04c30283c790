using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Where a record of one origin may lie (docs/epoch-records.md "One record per epoch slot"). Every record lies inside
/// one <b>slot</b> of a grid aligned to multiples of its length since the Unix epoch: a raw record (as long as the
/// cluster's epoch or shorter) inside one epoch slot; a roll-up (1 min, 10 min, 1 h) is exactly one slot of its own
/// grid. Inside a slot an origin's records must not overlap, and there are at most <see cref="MaxPartsPerSlot"/> of
/// them. Why parts and not one record per slot: issue 15's honest cases seal several records in one epoch (a restart
/// seals [start, stop) and then the rest; a clock put back seals 1 s moved records), and these never overlap. Why the
/// rule at all: without it one insider could sign thousands of overlapping or unaligned records per epoch, each a
/// valid record, and push honest records out of windows and stores. Immutable; thread-safe.
/// </summary>
public sealed class EpochSlotRule
{
    /// <summary>The default cap on parts per slot: ten, so a 10 s epoch holds ten 1 s moved records (issue 15).</summary>
    public const int DefaultMaxPartsPerSlot = 10;

    private readonly long[] _rollups;

    /// <param name="epochLength">The cluster's epoch length (every member runs the same <c>--epoch</c>).</param>
    /// <param name="retention">Its roll-up tiers give the roll-up grids (those longer than the epoch and a whole number of epochs).</param>
    /// <param name="maxPartsPerSlot">At most this many records of one origin per slot; at least 1.</param>
    public EpochSlotRule(TimeSpan epochLength, RecordRetention retention, int maxPartsPerSlot = DefaultMaxPartsPerSlot)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (epochLength <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(epochLength), epochLength, "the epoch length must be positive");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPartsPerSlot, 1);
        EpochMicros = Core.UnixMicros.FromDuration(epochLength);
        MaxPartsPerSlot = maxPartsPerSlot;
        _rollups = [.. retention.RollupLengths.Select(Core.UnixMicros.FromDuration).Where(l => l > EpochMicros && l % EpochMicros == 0)];
    }

    /// <summary>
    /// The rule for a cluster of <paramref name="epochLength"/> epochs: at most max(10, the epoch in seconds) parts per
    /// slot, so every 1 s moved record a clock put back seals inside one epoch fits (issue 15; records are at least 1 s).
    /// </summary>
    public static EpochSlotRule ForEpoch(TimeSpan epochLength, RecordRetention retention) =>
        new(epochLength, retention, (int)Math.Clamp((long)epochLength.TotalSeconds, DefaultMaxPartsPerSlot, 3600));

    /// <summary>The default rule: 10 s epochs, the default roll-up tiers, ten parts per slot.</summary>
    public static EpochSlotRule Default { get; } = new(TimeSpan.FromSeconds(10), RecordRetention.Default);

    public long EpochMicros { get; }

    public int MaxPartsPerSlot { get; }

    /// <summary>
    /// The slot <paramref name="id"/> lies in, or null when it lies in none (crosses an epoch boundary, is longer than
    /// an epoch without being an aligned roll-up): such a record is refused as misaligned.
    /// </summary>
    public EpochSlot? SlotOf(EpochId id)
    {
        long length = id.LengthMicros;
        if (length <= 0) return null;
        if (length <= EpochMicros)
        {
            long start = EpochRollup.AlignDown(id.StartMicros, EpochMicros);
            // The whole record inside one epoch: its last microsecond is in the slot its first is in.
            return id.EndMicros - 1 - start < EpochMicros ? new EpochSlot(start, EpochMicros, RollUp: false) : null;
        }
        foreach (long rollup in _rollups)
            if (length == rollup && EpochRollup.AlignDown(id.StartMicros, rollup) == id.StartMicros)
                return new EpochSlot(id.StartMicros, rollup, RollUp: true);
        return null;
    }

    /// <summary>
    /// Whether <paramref name="id"/> may join the records its origin holds in the same slot (<paramref name="heldInSlot"/>:
    /// the origin's records of that slot and grid, see <see cref="EpochSlot.Holds"/>). A record already held under the
    /// same id is not judged here: that is a duplicate, not a second record.
    /// </summary>
    public SlotVerdict Judge(EpochId id, IReadOnlyCollection<EpochId> heldInSlot)
    {
        ArgumentNullException.ThrowIfNull(heldInSlot);
        if (SlotOf(id) is null) return SlotVerdict.Misaligned;
        foreach (var held in heldInSlot)
            if (held.StartMicros < id.EndMicros && id.StartMicros < held.EndMicros) return SlotVerdict.Overlaps;
        return heldInSlot.Count >= MaxPartsPerSlot ? SlotVerdict.SlotFull : SlotVerdict.Fits;
    }
}

using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Traffic that an agent counted in a sealed epoch because it knew no agent for the flow's lower address, as it learns
/// later that an agent owned that address in that epoch: both ends counted it. Carried by the agent's next record
/// (extension 13, "counted twice") so the view takes it out of the totals (docs/epoch-records.md, "Hand-over").
/// </summary>
/// <param name="StartMicros">The sealed epoch the traffic was counted in.</param>
/// <param name="Owner">The agent that owned <paramref name="Address"/> in that epoch, as announced.</param>
/// <param name="ProtocolClass">The <see cref="ProtocolClass"/> the traffic was counted under.</param>
public readonly record struct CountedTwice(long StartMicros, long LengthMicros, string Owner, IpAddress128 Address, byte ProtocolClass, TrafficCounters Traffic)
{
    public long EndMicros => StartMicros + LengthMicros;

    /// <summary>
    /// The canonical form a record carries: sorted by <see cref="Compare"/>, one entry per key, traffic summed. Several
    /// ledger pairs share a key (the owner's address with two of this PC's addresses, or with two multicast groups), and
    /// so do entries of two records a roll-up merges.
    /// </summary>
    internal static List<CountedTwice> Coalesce(IEnumerable<CountedTwice> entries)
    {
        var sorted = entries.ToList();
        sorted.Sort(Compare);
        var result = new List<CountedTwice>(sorted.Count);
        foreach (var e in sorted)
        {
            if (result.Count > 0 && Compare(result[^1], e) == 0) result[^1] = result[^1] with { Traffic = result[^1].Traffic + e.Traffic };
            else result.Add(e);
        }
        return result;
    }

    internal static int Compare(CountedTwice a, CountedTwice b)
    {
        int c = a.StartMicros.CompareTo(b.StartMicros);
        if (c == 0) c = a.LengthMicros.CompareTo(b.LengthMicros);
        if (c == 0) c = string.CompareOrdinal(a.Owner, b.Owner);
        if (c == 0) c = a.Address.CompareTo(b.Address);
        if (c == 0) c = a.ProtocolClass.CompareTo(b.ProtocolClass);
        return c;
    }
}

/// <summary>
/// What an agent counted on the provisional verdict "no agent is known for the lower address"
/// (<see cref="FlowOwnership"/>), per sealed epoch, address pair and protocol class, for the last
/// <see cref="Horizon"/> (at least <see cref="MinEpochsKept"/> epochs). At each seal, entries that the current map gives to another agent for that epoch
/// (by the same rule: the lower address's agent, else the higher's) become <see cref="CountedTwice"/> entries of the
/// new record. Both ends matter: a newcomer in its lead epochs owns nothing, so it counts a flow whose other end it
/// knows no agent for either, and that agent, which owned its end, counted it too. Announcing before owning
/// (<see cref="MonitoredAddresses"/>) makes this rare: it takes an announcement that reached this agent more than two
/// epochs late (a peer cut off from the newcomer's records but not from its traffic).
/// </summary>
/// <remarks>
/// The horizon is a time, not an epoch count, because what it must outlast is a partition's heal: a peer cut off
/// from gossip learns of the newcomer only when a push-pull crosses the healed cut, up to 1.5 push-pull intervals
/// later (45 s on the LAN profile), however short the epochs. Bounded: at most <see cref="MaxPairsPerEpoch"/> address pairs per epoch (the rest is counted in
/// <see cref="Unledgered"/>, and then cannot be corrected) and <see cref="MaxPairs"/> in all (the oldest epochs go
/// first), and the entries written per record are capped by the extension. Updated at the seal, on the capture
/// thread; never per packet.
/// </remarks>
public sealed class LateOwnershipLedger
{
    public const int MinEpochsKept = 16;
    public const int MaxPairsPerEpoch = 4096;
    /// <summary>All epochs together: bounds the ledger's memory (about 8 MB) whatever the epoch length.</summary>
    public const int MaxPairs = 16 * MaxPairsPerEpoch;
    public static readonly TimeSpan DefaultHorizon = TimeSpan.FromMinutes(3);

    private readonly SortedDictionary<(long Start, long Length), Dictionary<(IpAddress128 Low, IpAddress128 High, byte Class), TrafficCounters>> _epochs = [];
    private readonly Dictionary<(long Start, long Length), HashSet<(IpAddress128, IpAddress128)>> _pairs = [];
    private readonly long _horizonMicros;
    private int _pairCount;

    /// <param name="horizon">How long after an epoch's end its entries can still be settled (<see cref="DefaultHorizon"/> when null).</param>
    public LateOwnershipLedger(TimeSpan? horizon = null)
    {
        Horizon = horizon ?? DefaultHorizon;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Horizon, TimeSpan.Zero, nameof(horizon));
        _horizonMicros = UnixMicros.FromDuration(Horizon);
    }

    public TimeSpan Horizon { get; }

    /// <summary>Packets counted provisionally that the ledger had no room for: a late owner would not be corrected for them.</summary>
    public ulong Unledgered { get; private set; }

    /// <summary>Entries handed to records so far (each a traffic counted by both ends, later taken out by the view).</summary>
    public ulong Corrections { get; private set; }

    /// <summary>Bytes those entries carried.</summary>
    public ulong CorrectedBytes { get; private set; }

    internal void Add(EpochId epoch, IpAddress128 lower, IpAddress128 higher, byte protocolClass, TrafficCounters traffic)
    {
        var slot = (epoch.StartMicros, epoch.LengthMicros);
        if (!_epochs.TryGetValue(slot, out var entries))
        {
            _epochs[slot] = entries = [];
            _pairs[slot] = [];
        }
        var seen = _pairs[slot];
        if (!seen.Contains((lower, higher)))
        {
            if (seen.Count >= MaxPairsPerEpoch)
            {
                Unledgered += traffic.Packets;
                return;
            }
            seen.Add((lower, higher));
            _pairCount++;
        }
        var key = (lower, higher, protocolClass);
        entries[key] = entries.GetValueOrDefault(key) + traffic;
    }

    /// <summary>
    /// Entries of epochs before <paramref name="before"/> whose address <paramref name="addresses"/> now gives to another
    /// agent for that epoch: removed from the ledger and returned (at most <paramref name="limit"/>; the rest wait for
    /// the next seal). Epochs that ended more than <see cref="Horizon"/> before <paramref name="before"/> are forgotten
    /// (but never the newest <see cref="MinEpochsKept"/>), and the oldest too while more than <see cref="MaxPairs"/> pairs are held.
    /// </summary>
    internal List<CountedTwice> Settle(MonitoredAddresses? addresses, long before, int limit)
    {
        var result = new List<CountedTwice>();
        while (_epochs.Count > 0 && (_pairCount > MaxPairs
            || (_epochs.Count > MinEpochsKept && _epochs.Keys.First() is var (start, length) && start + length < before - _horizonMicros)))
        {
            var oldest = _epochs.Keys.First();
            _pairCount -= _pairs[oldest].Count;
            _epochs.Remove(oldest);
            _pairs.Remove(oldest);
        }
        if (addresses is null) return result;
        foreach (var ((start, length), entries) in _epochs)
        {
            if (start + length > before) break;
            foreach (var ((low, high, protocolClass), traffic) in entries.ToList())
            {
                if (result.Count >= limit) return CountedTwice.Coalesce(result);
                var address = low;
                string? owner = addresses.OwnerOf(low, start);
                if (owner is null)
                {
                    address = high;
                    owner = addresses.OwnerOf(high, start);
                }
                if (owner is null || owner == addresses.Self) continue;
                entries.Remove((low, high, protocolClass));
                result.Add(new CountedTwice(start, length, owner, address, protocolClass, traffic));
                Corrections++;
                CorrectedBytes += traffic.Bytes;
            }
        }
        return CountedTwice.Coalesce(result);
    }
}

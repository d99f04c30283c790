using System.Collections.Frozen;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>One origin's list of the addresses it monitors, as its record of one epoch announced it.</summary>
/// <param name="Origin">The announcing agent.</param>
/// <param name="EpochStartMicros">Start of the epoch whose record carried the list: newer announcements win.</param>
/// <param name="Addresses">Every address of every interface the origin captured on.</param>
/// <param name="OwnedFrom">
/// Addresses the origin announced before owning them, with the instant it owns each from (the record's "owned later"
/// extension); null or absent: owned already.
/// </param>
public readonly record struct AddressAnnouncement(string Origin, long EpochStartMicros, IReadOnlyList<IpAddress128> Addresses,
    IReadOnlyDictionary<IpAddress128, long>? OwnedFrom = null);

/// <summary>
/// Who monitors which address, as one agent knows it: its own addresses (<see cref="Local"/>) and the addresses other
/// agents announced in their records (docs/epoch-records.md, "monitored addresses"). Immutable: an agent builds a new
/// one when its own addresses or the announcements change and hands it to <see cref="FlowOwnership.Update"/>.
/// </summary>
/// <remarks>
/// An address announced by several origins (it moved: DHCP gave it to another PC) belongs to the origin whose
/// announcement is newest; equal epochs go to the ordinally lowest origin name, so every agent decides the same.
/// This agent's own current addresses always win for itself, and its own older announcements are ignored: the
/// interfaces are read directly, so they are never stale.
/// <para><b>Announced before owned.</b> An address is owned only from an instant its agent fixes when the address
/// appears (<see cref="LocalOwnedFrom"/>: an epoch boundary after the record that first announces it), and every
/// agent that knows the address knows that instant, so both ends of a flow switch at the same epoch. Before it, the
/// address counts as unmonitored: its agent leaves its flows with known agents to them, and they count them. A peer
/// therefore has a whole epoch between the announcement and the first epoch that depends on it
/// (docs/epoch-records.md, "Hand-over").</para>
/// </remarks>
public sealed class MonitoredAddresses
{
    private readonly FrozenSet<IpAddress128> _local;
    private readonly FrozenDictionary<IpAddress128, string> _others;
    private readonly FrozenDictionary<IpAddress128, long> _ownedFrom;

    private MonitoredAddresses(string self, IpAddress128[] local, FrozenDictionary<IpAddress128, string> others, long ownedFromMicros, FrozenDictionary<IpAddress128, long> ownedFrom)
    {
        Self = self;
        OwnedFromMicros = ownedFromMicros;
        Local = local;
        _local = local.ToFrozenSet();
        _others = others;
        _ownedFrom = ownedFrom;
    }

    /// <summary>This agent's origin name.</summary>
    public string Self { get; }

    /// <summary>
    /// The first epoch boundary after this agent's capture began: it owns its <see cref="Local"/> addresses in epochs
    /// that start there or later. In the epoch the capture began in, it saw only the end of the traffic its peers saw
    /// whole, so its peers' "left to peer" entries stand for it (its record says so: <c>OwnedFromMicros</c>).
    /// </summary>
    public long OwnedFromMicros { get; }

    /// <summary>This agent's own addresses, ascending, without duplicates: what its records announce.</summary>
    public IReadOnlyList<IpAddress128> Local { get; }

    /// <summary>Addresses known to be monitored by other origins.</summary>
    public int OtherCount => _others.Count;

    /// <summary>Origins that own at least one address (this agent excluded).</summary>
    public IEnumerable<string> OtherOrigins => _others.Values.Distinct(StringComparer.Ordinal);

    /// <param name="ownedFromMicros">See <see cref="OwnedFromMicros"/>; the default owns the local addresses in every epoch.</param>
    /// <param name="localOwnedFrom">Local addresses owned only from a later instant (<see cref="LocalOwnedFrom"/>); the rest are owned from <paramref name="ownedFromMicros"/>.</param>
    public static MonitoredAddresses Build(string self, IEnumerable<IpAddress128> local, IEnumerable<AddressAnnouncement> announcements, long ownedFromMicros = long.MinValue,
        IReadOnlyDictionary<IpAddress128, long>? localOwnedFrom = null)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(announcements);
        var own = local.Distinct().Order().ToArray();
        var ownSet = own.ToHashSet();
        var best = new Dictionary<IpAddress128, (string Origin, long Start, long From)>();
        foreach (var a in announcements)
        {
            if (a.Origin is null || a.Addresses is null || string.Equals(a.Origin, self, StringComparison.Ordinal)) continue;
            foreach (var address in a.Addresses)
            {
                if (ownSet.Contains(address)) continue;
                if (!best.TryGetValue(address, out var current) || a.EpochStartMicros > current.Start
                    || (a.EpochStartMicros == current.Start && string.CompareOrdinal(a.Origin, current.Origin) < 0))
                    best[address] = (a.Origin, a.EpochStartMicros, a.OwnedFrom is { } from && from.TryGetValue(address, out long f) ? f : long.MinValue);
            }
        }
        var ownedFrom = best.Where(p => p.Value.From != long.MinValue).Select(p => KeyValuePair.Create(p.Key, p.Value.From));
        if (localOwnedFrom is not null)
            ownedFrom = ownedFrom.Concat(localOwnedFrom.Where(p => ownSet.Contains(p.Key) && p.Value > ownedFromMicros));
        return new MonitoredAddresses(self, own, best.ToFrozenDictionary(p => p.Key, p => p.Value.Origin), ownedFromMicros, ownedFrom.ToFrozenDictionary());
    }

    /// <summary>
    /// Local addresses this agent announces but owns only from a later instant than <see cref="OwnedFromMicros"/>,
    /// ascending: what its records carry in the "owned later" extension.
    /// </summary>
    public IReadOnlyList<(IpAddress128 Address, long OwnedFromMicros)> LocalOwnedFrom() =>
        [.. Local.Where(_ownedFrom.ContainsKey).Select(a => (a, _ownedFrom[a]))];

    /// <summary>Nobody monitors anything: every flow belongs to whoever sees it.</summary>
    public static MonitoredAddresses None(string self) => Build(self, [], []);

    /// <summary>Other origins' addresses, by origin (ordinal), each ascending.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<IpAddress128>> ByOrigin() =>
        _others.GroupBy(p => p.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<IpAddress128>)g.Select(p => p.Key).Order().ToList(), StringComparer.Ordinal);

    public bool IsLocal(IpAddress128 address) => _local.Contains(address);

    /// <summary>The origin that monitors <paramref name="address"/> (<see cref="Self"/> for local ones), or null.</summary>
    public string? OwnerOf(IpAddress128 address) => OwnerOf(address, long.MaxValue);

    /// <summary>The origin that owns <paramref name="address"/> in the epoch starting at <paramref name="epochStartMicros"/>: local addresses only from <see cref="OwnedFromMicros"/> on.</summary>
    public string? OwnerOf(IpAddress128 address, long epochStartMicros)
    {
        if (_ownedFrom.TryGetValue(address, out long from) && epochStartMicros < from) return null;
        return _local.Contains(address) ? (epochStartMicros >= OwnedFromMicros ? Self : null) : _others.TryGetValue(address, out var origin) ? origin : null;
    }

    /// <summary>True when the two have the same local addresses and the same owner for every address.</summary>
    public bool SameAs(MonitoredAddresses? other) =>
        other is not null && other.Self == Self && other.OwnedFromMicros == OwnedFromMicros && other.Local.SequenceEqual(Local) && other._others.Count == _others.Count
        && _others.All(p => other._others.TryGetValue(p.Key, out var o) && o == p.Value)
        && other._ownedFrom.Count == _ownedFrom.Count && _ownedFrom.All(p => other._ownedFrom.TryGetValue(p.Key, out long f) && f == p.Value);
}

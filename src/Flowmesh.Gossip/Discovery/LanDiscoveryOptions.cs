using System.Net;

namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// Every tunable of LAN discovery, with its default. Nodes find each other by multicasting small beacons sealed
/// with the cluster key; only holders of the same key can read (or forge) one. See docs/membership.md, "LAN discovery".
/// </summary>
public sealed record LanDiscoveryOptions
{
    /// <summary>
    /// 239.255.70.77: in 239.255.0.0/16, the IPv4 Local Scope (RFC 2365), meant for administratively scoped
    /// groups that never leave the site, and unassigned by IANA. With TTL 1 the beacons stay on the link anyway.
    /// </summary>
    public static readonly IPAddress DefaultGroup = IPAddress.Parse("239.255.70.77");

    /// <summary>Port 7948, next to the gossip port range memberlist made usual (7946), separate from the gossip socket.</summary>
    public const int DefaultPort = 7948;

    public IPAddress Group { get; init; } = DefaultGroup;
    public int Port { get; init; } = DefaultPort;

    /// <summary>Interface names to beacon and listen on. Empty: every interface that is up, multicast-capable, not loopback and has an IPv4 address.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    /// <summary>Beacon period right after start, so a fresh node finds (and is found by) its peers within seconds.</summary>
    public TimeSpan FastInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the fast period lasts (about 10 beacons: several losses in a row are still survived).</summary>
    public TimeSpan FastPhaseDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Beacon period once the node has peers: membership gossip keeps the cluster together, beacons only let
    /// newcomers and healed partitions find it, so one small datagram every 30 s per node is enough.
    /// </summary>
    public TimeSpan SlowInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Beacon period after the fast phase while the node still has no peers: the next node may appear any moment.</summary>
    public TimeSpan AloneInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every period is multiplied by a random factor in [1 − J, 1 + J], so nodes started together do not beacon in lockstep.</summary>
    public double Jitter { get; init; } = 0.25;

    /// <summary>Multicast TTL: 1 keeps beacons on the local link; routers do not forward them.</summary>
    public int TimeToLive { get; init; } = 1;

    /// <summary>
    /// Largest datagram accepted. A beacon is at most 138 bytes (64-byte node id, IPv6 address); anything larger is
    /// refused unread and counted as oversized.
    /// </summary>
    public int MaxBeaconBytes { get; init; } = 512;

    /// <summary>Nodes remembered (for "already reported" and for replay protection); the least recently heard is forgotten first.</summary>
    public int MaxTrackedNodes { get; init; } = 1024;

    /// <summary>
    /// A node that is heard again while the membership says it is not a member is reported again at most this
    /// often, so a join that failed is retried without a join storm.
    /// </summary>
    public TimeSpan RereportInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How far the first beacon of a node may differ from our clock (the first-contact window of the sealed
    /// envelope, <see cref="Security.SealedPacketOptions.ReplayWindow"/>): a day, so a PC whose clock is off is still found.</summary>
    public TimeSpan ReplayWindow { get; init; } = TimeSpan.FromDays(1);

    internal void Validate()
    {
        if (Group.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || Group.GetAddressBytes()[0] is < 224 or > 239)
            throw new ArgumentException("the discovery group must be an IPv4 multicast address", nameof(Group));
        if (Port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(Port));
        if (FastInterval <= TimeSpan.Zero || SlowInterval <= TimeSpan.Zero || AloneInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FastInterval), "beacon intervals must be positive");
        if (FastPhaseDuration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(FastPhaseDuration));
        if (Jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Jitter), "must be in [0, 1)");
        if (TimeToLive is < 1 or > 255) throw new ArgumentOutOfRangeException(nameof(TimeToLive));
        if (MaxBeaconBytes < DiscoveryBeacon.MaxSealedLength) throw new ArgumentOutOfRangeException(nameof(MaxBeaconBytes), $"must be at least {DiscoveryBeacon.MaxSealedLength}");
        if (MaxTrackedNodes < 1) throw new ArgumentOutOfRangeException(nameof(MaxTrackedNodes));
        if (RereportInterval < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RereportInterval));
    }
}

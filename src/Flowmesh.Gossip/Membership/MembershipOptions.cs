namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Every tunable of the membership protocol. Defaults are memberlist's LAN profile (see docs/membership.md
/// for where each comes from); <see cref="WifiLaptop"/> trades detection speed for tolerance of sleep and loss.
/// </summary>
public sealed record MembershipOptions
{
    /// <summary>How often a node probes one peer. Lifeguard scales it by the local awareness score.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a direct ping waits for its ack before indirect probes start (the RTT's 99th percentile).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Peers asked to ping a silent target on our behalf (k). Any single ack clears it.</summary>
    public int IndirectChecks { get; init; } = 3;

    /// <summary>Minimum suspicion = this · max(1, log10 N) · ProbeInterval. Also sets the expected confirmations (mult − 2).</summary>
    public int SuspicionMultiplier { get; init; } = 4;

    /// <summary>Maximum suspicion = this · minimum; a lone accuser must wait this long before declaring dead.</summary>
    public int SuspicionMaxTimeoutMultiplier { get; init; } = 6;

    /// <summary>Each broadcast is sent this · ceil(log10(N+1)) times, enough to reach everyone with high probability.</summary>
    public int RetransmitMultiplier { get; init; } = 4;

    /// <summary>Dedicated gossip period, separate from probing, so news travels faster than one probe per second.</summary>
    public TimeSpan GossipInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Peers each gossip round goes to (the fan-out).</summary>
    public int GossipNodes { get; init; } = 3;

    /// <summary>Dead members still receive gossip this long, so a node that was only cut off hears of it and refutes.</summary>
    public TimeSpan GossipToTheDeadTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Dead and left members are removed from the list this long after they entered that state (see MemberReaper),
    /// so the list stays bounded under churn. Longer than GossipToTheDeadTime (a cut-off node must still hear of its
    /// death) and than a LAN push-pull period (stale views in flight), and long enough for <c>flowmesh members</c> to
    /// show recent departures.
    /// </summary>
    public TimeSpan DeadMemberRetention { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After this long Dead or Left, a member's name may be claimed from a new address (memberlist's
    /// DeadNodeReclaimTime, same default 0: a dead node may come back at once with a new DHCP lease). Before that, and
    /// always while it is alive or suspect, a claim from another address is a name conflict.
    /// </summary>
    public TimeSpan DeadNodeReclaimTime { get; init; } = TimeSpan.Zero;

    /// <summary>A name conflict (same name, same claimed address) is reported again at most this often; every refused claim is counted.</summary>
    public TimeSpan NameConflictReportInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Full-state sync period, scaled up above 32 members so the cluster-wide sync load stays flat.</summary>
    public TimeSpan PushPullInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Lifeguard: a node that doubts its own health stretches its probe interval and timeout up to this factor.</summary>
    public int AwarenessMaxMultiplier { get; init; } = 8;

    /// <summary>
    /// Largest datagram payload we send. With the signed envelope (issue 16: 50 bytes + the sender's name (up to 64) +
    /// 157 for its bare-key credential and signature, at most 271) 1 200 still fits an IPv4 Ethernet MTU's 1 472-byte
    /// UDP payload without fragmentation (was 1 400 with the 114-byte unsigned envelope). Certificates, being bigger
    /// credentials, will have to lower it by their excess size.
    /// </summary>
    public int MaxPacketBytes { get; init; } = 1200;

    /// <summary>Bound on queued broadcasts; the most-transmitted are dropped first when it overflows.</summary>
    public int MaxQueuedBroadcasts { get; init; } = 4096;

    /// <summary>After <c>Leave</c>, the node keeps gossiping this long so the "left" news gets out before it stops.</summary>
    public TimeSpan LeavePropagateTime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A join whose push-pull got no answer is retried after this.</summary>
    public TimeSpan JoinRetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Clock samples (one per acked direct probe) kept per peer; the one with the shortest round trip is the peer's
    /// offset, as NTP's clock filter keeps 8 and trusts the least delayed (queueing only ever adds error).
    /// </summary>
    public int ClockSamplesPerPeer { get; init; } = 8;

    /// <summary>Samples older than this are forgotten, so a peer whose clock was fixed (or jumped) shows its new offset
    /// within this long, and a peer no longer probed stops voting. Probes reach each peer about every N seconds.</summary>
    public TimeSpan ClockSampleMaxAge { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A member whose clock is this far from the cluster's (the median of all members) raises the skew alert.
    /// NTP keeps LAN PCs within milliseconds; 5 s is a clock that is not synchronised at all, or jumped.</summary>
    public TimeSpan ClockSkewAlert { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A claim may raise a member's incarnation (or make this node refute above its own) by at most this much at once.
    /// A node adds one per restart and per refutation; a jump of 65 536 is a bug or an attack that would use up the
    /// uint (a node at uint.MaxValue can never refute again), so it is refused and counted.
    /// </summary>
    public uint MaxIncarnationJump { get; init; } = 1 << 16;

    /// <summary>memberlist's LAN profile: detection in seconds on a wired network.</summary>
    public static MembershipOptions Lan() => new();

    /// <summary>
    /// PCs on Wi-Fi: power saving delays frames by hundreds of milliseconds and bursts of loss are common, so
    /// probes wait 2 s / 1 s (memberlist's WAN-ish values) and suspicion lasts longer (mult 5) before "dead".
    /// Dead nodes hear gossip for 60 s, so a laptop that dozed off a minute refutes instead of staying dead.
    /// Sleeping on purpose is not covered by timeouts at all: the agent calls <c>Leave</c> on suspend.
    /// </summary>
    public static MembershipOptions WifiLaptop() => new()
    {
        ProbeInterval = TimeSpan.FromSeconds(2),
        ProbeTimeout = TimeSpan.FromSeconds(1),
        SuspicionMultiplier = 5,
        GossipToTheDeadTime = TimeSpan.FromSeconds(60),
        PushPullInterval = TimeSpan.FromSeconds(60),
    };

    /// <summary>memberlist's retransmitLimit: RetransmitMultiplier · ceil(log10(N+1)).</summary>
    public int RetransmitLimit(int members) => RetransmitMultiplier * (int)Math.Ceiling(Math.Log10(members + 1));

    /// <summary>memberlist's suspicionTimeout: SuspicionMultiplier · max(1, log10 N) · ProbeInterval.</summary>
    public TimeSpan SuspicionMinTimeout(int members) =>
        ProbeInterval * (SuspicionMultiplier * Math.Max(1.0, Math.Log10(Math.Max(1, members))));

    public TimeSpan SuspicionMaxTimeout(int members) => SuspicionMinTimeout(members) * SuspicionMaxTimeoutMultiplier;

    /// <summary>Above 32 members the push-pull interval grows by ceil(log2 N − log2 32) + 1, as memberlist does.</summary>
    public TimeSpan PushPullIntervalFor(int members)
    {
        const int threshold = 32;
        if (members <= threshold) return PushPullInterval;
        var scale = (int)Math.Ceiling(Math.Log2(members) - Math.Log2(threshold)) + 1;
        return PushPullInterval * scale;
    }
}

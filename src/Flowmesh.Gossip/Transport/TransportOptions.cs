namespace Flowmesh.Gossip.Transport;

/// <summary>Every limit of the real UDP/TCP transport, with documented defaults (memberlist's where it has one).</summary>
public sealed record TransportOptions
{
    /// <summary>Largest stream frame body (a sealed envelope). Push-pull of 10 000 members is well under 1 MiB.</summary>
    public int MaxFrameBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>TCP connect timeout for outgoing requests (memberlist: 10 s; a LAN answers far sooner).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whole-exchange deadline of one stream connection, both sides: a request frame must arrive completely within
    /// it (so a slowloris client holds a slot at most this long) and a reply must come back within it.
    /// </summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Authenticated inbound exchanges served at once (handlers running); more are closed and counted as
    /// <see cref="StreamRefusal.TooManyConnections"/> (memberlist: 128). Connections not yet authenticated do not count
    /// here: they have their own, smaller limits below, so a host without the key can never take these slots.</summary>
    public int MaxInboundConnections { get; init; } = 128;

    // Before authentication (a connection whose request frame has not arrived and opened) the listener knows only the
    // source address. A genuine request arrives in one round trip (a LAN: well under 10 ms; the biggest push-pull of
    // a 4 096-member cluster is ~400 KB, 0.3 s at 10 Mbit/s), so these limits never touch a peer that holds the key,
    // while a host without it can hold at most MaxPreAuthConnectionsPerAddress connections for PreAuthTimeout each.

    /// <summary>Deadline for the whole request frame of an inbound connection (the first frame, before the envelope
    /// is opened). A silent or slow-dripping client is closed after it and counted as <see cref="StreamRefusal.PreAuthTimeout"/>.
    /// Default 1 s. Once authenticated, the rest of the exchange has <see cref="StreamTimeout"/>.</summary>
    public TimeSpan PreAuthTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest inbound request frame (before authentication); a larger announced length is closed before
    /// any body byte is read (<see cref="StreamRefusal.PreAuthTooLarge"/>). Replies this node reads may be up to
    /// <see cref="MaxFrameBytes"/>. Default 1 MiB (requests are push-pull states, sync digests and drill queries).</summary>
    public int MaxPreAuthFrameBytes { get; init; } = 1024 * 1024;

    /// <summary>Unauthenticated connections one source address may hold at once; more are closed at once
    /// (<see cref="StreamRefusal.PreAuthPerAddress"/>). Default 16 (several agents behind one NAT address, each with
    /// a request in flight).</summary>
    public int MaxPreAuthConnectionsPerAddress { get; init; } = 16;

    /// <summary>Unauthenticated connections held at once, all addresses. When full, the oldest connection of the address
    /// holding the most is closed to admit the new one (<see cref="StreamRefusal.PreAuthEvicted"/>): a genuine request
    /// is in this table for a round trip, an attacker's for up to <see cref="PreAuthTimeout"/>, so the victims are the
    /// attacker's. Default 64.</summary>
    public int MaxPreAuthConnections { get; init; } = 64;

    /// <summary>Actions (received packets, replies, API reads) waiting for the event loop at most; more are dropped and
    /// counted (<see cref="GossipPeer.LoopQueueDrops"/>). Default <see cref="GossipEventLoop.DefaultMaxQueued"/>.</summary>
    public int MaxEventLoopQueue { get; init; } = GossipEventLoop.DefaultMaxQueued;

    /// <summary>Socket receive buffer for UDP (bytes), so a burst of gossip is not lost while the loop is busy.</summary>
    public int UdpReceiveBufferBytes { get; init; } = 2 * 1024 * 1024;

    /// <summary>Remembered sender-address texts (the receive path reuses them instead of formatting per packet).</summary>
    public int AddressCacheEntries { get; init; } = 4096;

    // Per-peer rate limits (memberlist has none). The budgets derive from the protocol's own rates toward ONE receiver
    // with MembershipOptions.Lan(): gossip every 200 ms to up to 3 peers (in a 2-node cluster all 5/s go to the same
    // one), 1 probe/s, acks to the receiver's probes (1/s), indirect pings, acks and nacks relayed for others (about
    // 1/s), leave/refute bursts: about 10 datagrams/s of at most MaxPacketBytes (1 400) plus the 60-byte envelope,
    // i.e. ~15 KB/s. The defaults give 10x that sustained and a 2-4 s burst, so a normal cluster never meets them while
    // a flooding peer is cut to them before its packets reach the event loop. Streams, per source IP (several agents
    // may share one address: NAT, loopback tests): per agent about 2 record-sync requests/s (one session per
    // ReplicationOptions.Interval), a TCP fallback ping per probe (1/s) and a push-pull every 30 s; x 16 agents
    // behind one address = 64/s.

    /// <summary>Authenticated datagrams per second accepted from one sender NodeId; more are dropped and counted
    /// (<see cref="TransportCounters.DatagramsRateLimited"/>). Default 100 (protocol peak ~10/s). 0 = unlimited.</summary>
    public double DatagramsPerSecondPerPeer { get; init; } = 100;

    /// <summary>Datagrams one quiet sender may send at once. Default 400 (a join or refutation burst).</summary>
    public int DatagramBurstPerPeer { get; init; } = 400;

    /// <summary>Datagram bytes (on the wire) per second accepted from one sender. Default 256 KiB (~17x the protocol peak). 0 = unlimited.</summary>
    public int DatagramBytesPerSecondPerPeer { get; init; } = 256 * 1024;

    /// <summary>Datagram bytes one quiet sender may send at once; at least one largest datagram (64 KiB). Default 1 MiB.</summary>
    public int DatagramByteBurstPerPeer { get; init; } = 1024 * 1024;

    /// <summary>Inbound stream connections per second accepted from one source IP address, before any authentication;
    /// more are closed at once and counted as <see cref="StreamRefusal.RateLimited"/>. Default 64. 0 = unlimited.</summary>
    public double ConnectionsPerSecondPerAddress { get; init; } = 64;

    /// <summary>Connections one quiet source address may open at once. Default 256 (a restart of many agents behind one address).</summary>
    public int ConnectionBurstPerAddress { get; init; } = 256;

    /// <summary>Peers (sender NodeIds, source addresses) each rate-limit table remembers; the least recently seen is
    /// forgotten when full, so spoofed or unique senders cannot grow memory. Default 4096 (memberlist's cluster scale).</summary>
    public int RateLimitTableEntries { get; init; } = 4096;

    internal void Validate()
    {
        if (DatagramsPerSecondPerPeer < 0 || double.IsNaN(DatagramsPerSecondPerPeer)) throw new ArgumentOutOfRangeException(nameof(DatagramsPerSecondPerPeer), "must not be negative");
        if (DatagramBurstPerPeer < 1) throw new ArgumentOutOfRangeException(nameof(DatagramBurstPerPeer), "must be at least 1");
        if (DatagramBytesPerSecondPerPeer < 0) throw new ArgumentOutOfRangeException(nameof(DatagramBytesPerSecondPerPeer), "must not be negative");
        if (DatagramBytesPerSecondPerPeer > 0 && DatagramByteBurstPerPeer < 65_536)
            throw new ArgumentOutOfRangeException(nameof(DatagramByteBurstPerPeer), "must hold one largest datagram (65536)");
        if (ConnectionsPerSecondPerAddress < 0 || double.IsNaN(ConnectionsPerSecondPerAddress)) throw new ArgumentOutOfRangeException(nameof(ConnectionsPerSecondPerAddress), "must not be negative");
        if (ConnectionBurstPerAddress < 1) throw new ArgumentOutOfRangeException(nameof(ConnectionBurstPerAddress), "must be at least 1");
        if (RateLimitTableEntries < 1) throw new ArgumentOutOfRangeException(nameof(RateLimitTableEntries), "must be at least 1");
        if (MaxFrameBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), "must be at least 1024");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), "must be positive");
        if (StreamTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StreamTimeout), "must be positive");
        if (MaxEventLoopQueue < 1) throw new ArgumentOutOfRangeException(nameof(MaxEventLoopQueue), "must be at least 1");
        if (PreAuthTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(PreAuthTimeout), "must be positive");
        if (MaxPreAuthFrameBytes < 1024 || MaxPreAuthFrameBytes > MaxFrameBytes) throw new ArgumentOutOfRangeException(nameof(MaxPreAuthFrameBytes), "must be 1024 .. MaxFrameBytes");
        if (MaxPreAuthConnectionsPerAddress < 1) throw new ArgumentOutOfRangeException(nameof(MaxPreAuthConnectionsPerAddress), "must be at least 1");
        if (MaxPreAuthConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxPreAuthConnections), "must be at least 1");
        if (MaxInboundConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxInboundConnections), "must be at least 1");
        if (AddressCacheEntries < 1) throw new ArgumentOutOfRangeException(nameof(AddressCacheEntries), "must be at least 1");
    }
}

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

    /// <summary>Inbound stream connections served at once; more are closed at once and counted (memberlist: 128).</summary>
    public int MaxInboundConnections { get; init; } = 128;

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
        if (MaxInboundConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxInboundConnections), "must be at least 1");
        if (AddressCacheEntries < 1) throw new ArgumentOutOfRangeException(nameof(AddressCacheEntries), "must be at least 1");
    }
}

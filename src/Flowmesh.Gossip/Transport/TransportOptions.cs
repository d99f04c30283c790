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

    internal void Validate()
    {
        if (MaxFrameBytes < 1024) throw new ArgumentOutOfRangeException(nameof(MaxFrameBytes), "must be at least 1024");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), "must be positive");
        if (StreamTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(StreamTimeout), "must be positive");
        if (MaxInboundConnections < 1) throw new ArgumentOutOfRangeException(nameof(MaxInboundConnections), "must be at least 1");
        if (AddressCacheEntries < 1) throw new ArgumentOutOfRangeException(nameof(AddressCacheEntries), "must be at least 1");
    }
}

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>What <see cref="TcpStatsHooks"/> loads and how large its maps are.</summary>
public sealed record TcpStatsHooksOptions
{
    public const string ObjectFileName = "tcp_stats.bpf.o";

    /// <summary>RTT (fentry/tcp_rcv_established) and retransmissions (tcp_retransmit_skb).</summary>
    public bool Tcp { get; init; } = true;

    /// <summary>Drop reasons (kfree_skb).</summary>
    public bool Drops { get; init; } = true;

    /// <summary>Sockets the TCP map holds at once; one more is a counted miss.</summary>
    public int MaxTcpPaths { get; init; } = 16384;

    /// <summary>(5-tuple, reason) pairs the drop map holds at once; one more is a counted miss.</summary>
    public int MaxDropKeys { get; init; } = 16384;

    /// <summary>
    /// Kernel state no flow asked for in this long (sockets on interfaces the capture does not watch, drops of packets it
    /// never saw) is removed, so it cannot fill the maps for good.
    /// </summary>
    public TimeSpan IdleHorizon { get; init; } = TimeSpan.FromMinutes(2);

    public string ObjectPath { get; init; } = Path.Combine(AppContext.BaseDirectory, ObjectFileName);
}

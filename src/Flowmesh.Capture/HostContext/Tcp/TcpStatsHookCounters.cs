namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// What the host-context hooks saw but did not keep per flow (enum flowmesh_hook_counter in src/ebpf/tcp_stats_maps.h).
/// </summary>
/// <param name="TcpMapFullMisses">RTT samples or retransmissions of a socket that found the TCP map full.</param>
/// <param name="TcpUpdateFailures">The same, for any other insert failure.</param>
/// <param name="DropMapFullMisses">Dropped packets whose (5-tuple, reason) found the drop map full.</param>
/// <param name="DropUpdateFailures">The same, for any other insert failure.</param>
/// <param name="FreesNotKept">Packets freed with SKB_DROP_REASON_NOT_SPECIFIED or QUEUE_PURGE, which are not kept per flow.</param>
/// <param name="DropsWithoutIpHeader">Dropped packets without a readable IPv4/IPv6 header (ARP, link-layer drops).</param>
public readonly record struct TcpStatsHookCounters(
    long TcpMapFullMisses, long TcpUpdateFailures, long DropMapFullMisses, long DropUpdateFailures, long FreesNotKept, long DropsWithoutIpHeader);

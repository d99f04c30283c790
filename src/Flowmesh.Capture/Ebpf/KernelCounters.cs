namespace Flowmesh.Capture.Ebpf;

/// <summary>Cumulative counters of the loaded flow program since it was loaded (they are never reset by a drain).</summary>
public sealed record KernelCounters
{
    /// <summary>Packets of new flows that found the flow map full: seen, but in no flow. Raise MaxFlows or drain more often.</summary>
    public long MapFullMisses { get; init; }
    /// <summary>Packets whose flow could not be inserted for another reason (e.g. bucket lock contention): in no flow.</summary>
    public long UpdateFailures { get; init; }
    /// <summary>Frames that were neither IPv4 nor IPv6 (ARP, LLDP, ...): not flows by definition.</summary>
    public long NotIp { get; init; }
    /// <summary>Frames with a cut-short or invalid IP header: not counted in any flow.</summary>
    public long BadIpHeader { get; init; }
    /// <summary>Packets whose transport header was cut short: counted, with ports 0.</summary>
    public long TruncatedTransport { get; init; }
    /// <summary>IPv6 packets with more extension headers than the program follows: counted, with ports 0.</summary>
    public long Ipv6HeaderChainTooLong { get; init; }

    /// <summary>Packets that are in no drained flow although they were IP.</summary>
    public long NotAggregated => MapFullMisses + UpdateFailures + BadIpHeader;
}

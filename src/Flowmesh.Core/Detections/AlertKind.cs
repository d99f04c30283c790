namespace Flowmesh.Core.Detections;

public enum AlertKind
{
    /// <summary>Fan-out: one source contacted many distinct hosts (Zeek's address scan, counted over all ports).</summary>
    HostScan = 0,
    /// <summary>Fan-out: one source contacted many distinct ports of one host (Zeek's port scan).</summary>
    PortScan = 1,
    /// <summary>Fan-in: many distinct sources contacted one destination (DDoS, spoofed floods).</summary>
    FloodSources = 2,
    /// <summary>Packet or byte rate towards one destination above the threshold.</summary>
    FloodRate = 3,
    /// <summary>One address carries more than a configured share of all traffic.</summary>
    HeavyHitter = 4,
    /// <summary>An internal host contacted an external address not seen in the remembered history.</summary>
    FirstContact = 5,
    /// <summary>A monitored PC's records of its traffic with other monitored PCs disagree with theirs: hidden, inflated or invented traffic (docs/cross-check.md).</summary>
    CrossCheck = 6,
}

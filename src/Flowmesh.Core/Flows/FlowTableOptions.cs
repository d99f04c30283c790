namespace Flowmesh.Core.Flows;

/// <summary>
/// Every tunable of the flow table, with defaults chosen from the systems in
/// ../shared/reference/flow-monitoring-systems.md (section 3.2): idle timeouts per protocol as Zeek
/// uses them, an active timeout as YAF uses it, and a short grace after a TCP close so the last ACK
/// lands in the same record.
/// </summary>
public sealed record FlowTableOptions
{
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(300);
    public TimeSpan UdpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan IcmpIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan OtherIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>A TCP flow that saw FIN in both directions or a RST ends after this much quiet.</summary>
    public TimeSpan TcpClosedTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>A long-lived flow is reported (and restarted) after this long, so totals are never held back indefinitely.</summary>
    public TimeSpan ActiveTimeout { get; init; } = TimeSpan.FromSeconds(1800);
    /// <summary>Hard cap on live entries; beyond it the least recently seen flow is evicted and counted.</summary>
    public int MaxFlows { get; init; } = 262_144;
}

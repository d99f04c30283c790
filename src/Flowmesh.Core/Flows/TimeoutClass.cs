namespace Flowmesh.Core.Flows;

/// <summary>
/// The flow table keeps one last-seen-ordered list per class, so every list has a single idle
/// timeout and expiry only has to look at list tails.
/// </summary>
internal enum TimeoutClass : byte
{
    TcpOpen = 0,
    /// <summary>FIN seen from both sides, or a RST: waits only for the closing grace period.</summary>
    TcpClosing = 1,
    Udp = 2,
    Icmp = 3,
    Other = 4,
}

using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>The per-protocol split of <see cref="EpochTotals"/>. ICMP includes ICMPv6.</summary>
public enum ProtocolClass
{
    Tcp = 0,
    Udp = 1,
    Icmp = 2,
    Other = 3,
}

internal static class ProtocolClasses
{
    public const int Count = 4;

    public static ProtocolClass Of(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => ProtocolClass.Tcp,
        IpProtocol.Udp => ProtocolClass.Udp,
        IpProtocol.Icmp or IpProtocol.Icmpv6 => ProtocolClass.Icmp,
        _ => ProtocolClass.Other,
    };
}

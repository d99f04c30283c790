namespace Flowmesh.Core.Packets;

/// <summary>IANA protocol numbers the decoder and the flow table treat specially.</summary>
public static class IpProtocol
{
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;
    public const byte Sctp = 132;

    /// <summary>True when the protocol has 16-bit ports in the first four bytes of its header.</summary>
    public static bool HasPorts(byte protocol) => protocol is Tcp or Udp or Sctp;

    public static bool IsIcmp(byte protocol) => protocol is Icmp or Icmpv6;
}

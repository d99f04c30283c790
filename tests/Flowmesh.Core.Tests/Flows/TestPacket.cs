using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>Builds <see cref="PacketInfo"/> values directly, as the decoder would fill them, so flow tests need no frames.</summary>
internal static class TestPacket
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    public static PacketInfo Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, byte flags, long micros, int ipLength = 52) =>
        Tcp(IpAddress128.Parse(source), sourcePort, IpAddress128.Parse(destination), destinationPort, flags, micros, ipLength);

    public static PacketInfo Tcp(IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort, byte flags, long micros, int ipLength = 52) =>
        Make(source, sourcePort, destination, destinationPort, IpProtocol.Tcp, micros, ipLength, flags: flags);

    public static PacketInfo Udp(string source, ushort sourcePort, string destination, ushort destinationPort, long micros, int ipLength = 60) =>
        Make(IpAddress128.Parse(source), sourcePort, IpAddress128.Parse(destination), destinationPort, IpProtocol.Udp, micros, ipLength);

    /// <summary>ICMP for IPv4 addresses, ICMPv6 for IPv6 ones.</summary>
    public static PacketInfo Icmp(string source, string destination, byte type, byte code, long micros, int ipLength = 84)
    {
        var src = IpAddress128.Parse(source);
        byte protocol = src.IsIPv4 ? IpProtocol.Icmp : IpProtocol.Icmpv6;
        return Make(src, 0, IpAddress128.Parse(destination), 0, protocol, micros, ipLength, icmpType: type, icmpCode: code);
    }

    public static PacketInfo Other(string source, string destination, byte protocol, long micros, int ipLength = 100) =>
        Make(IpAddress128.Parse(source), 0, IpAddress128.Parse(destination), 0, protocol, micros, ipLength);

    public static PacketInfo Make(IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort, byte protocol,
        long micros, int ipLength, byte flags = 0, byte icmpType = 0, byte icmpCode = 0, uint segments = 1) => new()
    {
        TimestampMicros = micros,
        Source = source,
        Destination = destination,
        SourcePort = sourcePort,
        DestinationPort = destinationPort,
        Protocol = protocol,
        IpVersion = source.IsIPv4 ? (byte)4 : (byte)6,
        IpLength = ipLength,
        TcpFlags = flags,
        IcmpType = icmpType,
        IcmpCode = icmpCode,
        Segments = segments,
    };
}

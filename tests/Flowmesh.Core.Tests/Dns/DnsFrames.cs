using System.Net;
using Flowmesh.Core.Tests.Packets;

namespace Flowmesh.Core.Tests.Dns;

/// <summary>Ethernet frames that carry DNS messages over UDP or TCP (IPv4 or IPv6 by the address).</summary>
internal static class DnsFrames
{
    public static byte[] Udp(string source, int sourcePort, string destination, int destinationPort, byte[] message)
    {
        var frame = Ip(source, destination, 17, 8 + message.Length);
        return frame.Udp(sourcePort, destinationPort, 8 + message.Length).Bytes(message).Build();
    }

    /// <summary>A TCP segment carrying <paramref name="payload"/> (with its length prefix already, for DNS) at <paramref name="sequence"/>.</summary>
    public static byte[] Tcp(string source, int sourcePort, string destination, int destinationPort, uint sequence, byte[] payload)
    {
        var frame = Ip(source, destination, 6, 20 + payload.Length);
        return frame.U16(sourcePort).U16(destinationPort).U32(sequence).U32(1).U8(0x50).U8(0x18).U16(65535).U16(0).U16(0).Bytes(payload).Build();
    }

    /// <summary>Prefixes a DNS message with its 2-byte TCP length.</summary>
    public static byte[] LengthPrefixed(byte[] message) => [(byte)(message.Length >> 8), (byte)message.Length, .. message];

    private static FrameBuilder Ip(string source, string destination, int protocol, int transportLength)
    {
        bool v6 = IPAddress.Parse(source).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var frame = new FrameBuilder().Ethernet(v6 ? 0x86DD : 0x0800);
        return v6 ? frame.Ipv6(transportLength, protocol, source, destination) : frame.Ipv4(20 + transportLength, protocol, source, destination);
    }
}

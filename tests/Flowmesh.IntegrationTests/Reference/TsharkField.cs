namespace Flowmesh.IntegrationTests.Reference;

/// <summary>
/// The tshark fields the reference reads, in column order. With "-E occurrence=a" every column
/// holds all occurrences in dissection order (outer headers first), comma separated: a tunnel or
/// an ICMP error lists its inner IP header after the outer one.
/// </summary>
public enum TsharkField
{
    FrameNumber,
    FrameProtocols,
    FrameLength,
    FrameCapturedLength,
    FrameTimeEpoch,
    Ipv4Source,
    Ipv4Destination,
    Ipv4Protocol,
    Ipv4TotalLength,
    Ipv4FragmentOffset,
    Ipv4HeaderLength,
    Ipv6Source,
    Ipv6Destination,
    Ipv6PayloadLength,
    Ipv6NextHeader,
    HopByHopNext,
    RoutingNext,
    FragmentNext,
    FragmentOffset,
    DestinationOptionsNext,
    AuthenticationHeaderNext,
    MobilityNext,
    HostIdentityNext,
    Shim6Next,
    TcpSourcePort,
    TcpDestinationPort,
    TcpFlags,
    TcpHeaderLength,
    UdpSourcePort,
    UdpDestinationPort,
    SctpSourcePort,
    SctpDestinationPort,
}

public static class TsharkFields
{
    /// <summary>tshark's name of each <see cref="TsharkField"/>, by enum value.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "frame.number",
        "frame.protocols",
        "frame.len",
        "frame.cap_len",
        "frame.time_epoch",
        "ip.src",
        "ip.dst",
        "ip.proto",
        "ip.len",
        "ip.frag_offset",
        "ip.hdr_len",
        "ipv6.src",
        "ipv6.dst",
        "ipv6.plen",
        "ipv6.nxt",
        "ipv6.hopopts.nxt",
        "ipv6.routing.nxt",
        "ipv6.fraghdr.nxt",
        "ipv6.fraghdr.offset",
        "ipv6.dstopts.nxt",
        "ah.next_header",
        "mip6.proto",
        "hip.proto",
        "shim6.nxt",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.flags",
        "tcp.hdr_len",
        "udp.srcport",
        "udp.dstport",
        "sctp.srcport",
        "sctp.dstport",
    ];

    public static int Count => Names.Count;
}

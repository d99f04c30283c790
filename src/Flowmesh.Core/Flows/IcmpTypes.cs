using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Which ICMP/ICMPv6 message types come in request/reply pairs. The pairing is Zeek's
/// (ICMP4_counterpart / ICMP6_counterpart), which Community ID v1 adopts verbatim; the flow
/// table uses the same pairs to tell a reply (whose receiver started the exchange) from a request.
/// </summary>
internal static class IcmpTypes
{
    /// <summary>
    /// The type that answers (or is answered by) <paramref name="type"/>. Types without one are
    /// one-way (errors, redirects, ...). IPv4 router advertisement pairs with solicitation in both
    /// directions as in pycommunityid (the spec's recommended implementation) and Wireshark; the
    /// spec repository's older community-id.py maps only solicitation to advertisement.
    /// </summary>
    public static bool TryGetCounterpart(byte protocol, byte type, out byte counterpart)
    {
        int c = protocol switch
        {
            IpProtocol.Icmp => type switch
            {
                8 => 0, 0 => 8,     // echo request / reply
                13 => 14, 14 => 13, // timestamp
                15 => 16, 16 => 15, // information
                10 => 9, 9 => 10,   // router solicitation / advertisement
                17 => 18, 18 => 17, // address mask
                _ => -1,
            },
            IpProtocol.Icmpv6 => type switch
            {
                128 => 129, 129 => 128, // echo request / reply
                133 => 134, 134 => 133, // router solicitation / advertisement
                135 => 136, 136 => 135, // neighbor solicitation / advertisement
                130 => 131, 131 => 130, // MLD query / report
                139 => 140, 140 => 139, // node information query / response ("who are you")
                144 => 145, 145 => 144, // home agent address discovery request / reply
                _ => -1,
            },
            _ => -1,
        };
        counterpart = (byte)c;
        return c >= 0;
    }

    /// <summary>
    /// True for replies to an explicit request (echo reply and friends): the receiver of such a
    /// message is the one who asked. Advertisements (router, neighbor, MLD report) are left out on
    /// purpose: they are often unsolicited, so their sender is the better initiator guess.
    /// </summary>
    public static bool IsReply(byte protocol, byte type) => protocol switch
    {
        IpProtocol.Icmp => type is 0 or 14 or 16 or 18,
        IpProtocol.Icmpv6 => type is 129 or 140 or 145,
        _ => false,
    };
}

namespace Flowmesh.Core.Packets;

/// <summary>
/// Link-layer header types, numbered as pcap's LINKTYPE_* registry (the values found in pcap and
/// pcapng file headers). DLT_RAW has platform-dependent aliases (12, 14), mapped to <see cref="Raw"/>
/// by <see cref="LinkTypes.Normalize"/>.
/// </summary>
public enum LinkType : ushort
{
    Null = 0,          // BSD loopback: 4-byte host-order address family
    Ethernet = 1,
    Ppp = 9,           // PPP (RFC 1661), optionally with HDLC-like framing FF 03 (RFC 1662)
    PppHdlc = 50,      // PPP in HDLC-like framing
    Raw = 101,         // raw IPv4 or IPv6, version nibble decides
    CiscoHdlc = 104,   // Cisco HDLC: address, control, EtherType
    Ieee80211 = 105,
    Loop = 108,        // OpenBSD loopback: 4-byte network-order address family
    LinuxSll = 113,    // Linux cooked capture v1 ("any")
    Ieee80211Radiotap = 127,
    Ipv4 = 228,
    Ipv6 = 229,
    LinuxSll2 = 276,   // Linux cooked capture v2
}

public static class LinkTypes
{
    /// <summary>Maps historical aliases to one value: DLT_RAW was 12 or 14 on some platforms.</summary>
    public static LinkType Normalize(uint linkType) => linkType switch
    {
        12 or 14 => LinkType.Raw,
        _ => (LinkType)linkType,
    };
}

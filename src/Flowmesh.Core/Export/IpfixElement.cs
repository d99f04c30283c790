namespace Flowmesh.Core.Export;

/// <summary>
/// The IPFIX information elements Flowmesh exports (IANA "IPFIX Information Elements" registry, RFC 7012),
/// and the enterprise number RFC 5103 assigns to reverse elements: a reverse element carries the same
/// element id with the enterprise bit set and PEN 29305, and means "the same, in the responder's direction".
/// </summary>
public static class IpfixElement
{
    public const ushort OctetDeltaCount = 1;
    public const ushort PacketDeltaCount = 2;
    public const ushort ProtocolIdentifier = 4;
    public const ushort TcpControlBits = 6;
    public const ushort SourceTransportPort = 7;
    public const ushort SourceIPv4Address = 8;
    public const ushort DestinationTransportPort = 11;
    public const ushort DestinationIPv4Address = 12;
    public const ushort SourceIPv6Address = 27;
    public const ushort DestinationIPv6Address = 28;
    public const ushort IcmpTypeCodeIPv4 = 32;
    public const ushort FlowEndReason = 136;
    public const ushort IcmpTypeCodeIPv6 = 139;
    public const ushort FlowStartMilliseconds = 152;
    public const ushort FlowEndMilliseconds = 153;

    /// <summary>RFC 5103's private enterprise number for reverse information elements.</summary>
    public const uint ReversePen = 29305;

    /// <summary>
    /// The enterprise number of Flowmesh's host-context elements: RFC 5612's number for documentation use, until Flowmesh
    /// registers its own (docs/ipfix.md "Enterprise elements"). A collector that does not know it skips the fields by
    /// their length (RFC 7011 3.2) and reads the rest of the record unchanged.
    /// </summary>
    public const uint FlowmeshPen = 32473;

    /// <summary>Host-context elements under <see cref="FlowmeshPen"/>.</summary>
    public const ushort FlowmeshProcessId = 1;
    public const ushort FlowmeshProcessName = 2;
    public const ushort FlowmeshRoundTripMicroseconds = 3;
    public const ushort FlowmeshDnsName = 4;

    /// <summary>The template length that announces variable-length encoding (RFC 7011 7).</summary>
    public const ushort VariableLength = 0xFFFF;

    /// <summary>The high bit of a field specifier's element id: an enterprise number follows (RFC 7011 3.2).</summary>
    public const ushort EnterpriseBit = 0x8000;
}

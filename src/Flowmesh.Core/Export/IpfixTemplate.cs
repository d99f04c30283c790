using System.Buffers.Binary;

namespace Flowmesh.Core.Export;

/// <summary>
/// One of the four fixed templates Flowmesh exports: IPv4 or IPv6, biflow (RFC 5103, with reverse counters)
/// or unidirectional. The template's field list is the single source of both its template record and its data
/// records, so the two cannot disagree.
/// </summary>
public sealed class IpfixTemplate
{
    /// <summary>A field specifier: element id, encoded length, and the enterprise number (0 for IANA elements).</summary>
    public readonly record struct Field(ushort Id, ushort Length, uint Enterprise = 0)
    {
        /// <summary>Bytes this specifier takes in a template record: 4, or 8 with an enterprise number.</summary>
        public int SpecifierLength => Enterprise == 0 ? 4 : 8;
    }

    public static readonly IpfixTemplate Ipv4Biflow = new(256, ipv4: true, biflow: true);
    public static readonly IpfixTemplate Ipv6Biflow = new(257, ipv4: false, biflow: true);
    public static readonly IpfixTemplate Ipv4Uniflow = new(258, ipv4: true, biflow: false);
    public static readonly IpfixTemplate Ipv6Uniflow = new(259, ipv4: false, biflow: false);

    private readonly Field[] _fields;

    private IpfixTemplate(ushort id, bool ipv4, bool biflow)
    {
        Id = id;
        IsIPv4 = ipv4;
        IsBiflow = biflow;
        ushort addressLength = ipv4 ? (ushort)4 : (ushort)16;
        var fields = new List<Field>
        {
            new(ipv4 ? IpfixElement.SourceIPv4Address : IpfixElement.SourceIPv6Address, addressLength),
            new(ipv4 ? IpfixElement.DestinationIPv4Address : IpfixElement.DestinationIPv6Address, addressLength),
            new(IpfixElement.SourceTransportPort, 2),
            new(IpfixElement.DestinationTransportPort, 2),
            new(IpfixElement.ProtocolIdentifier, 1),
            // Reduced-size encoding (RFC 7011 6.2) of the 16-bit element: Flowmesh keeps the classic 8 flag bits.
            new(IpfixElement.TcpControlBits, 1),
            new(ipv4 ? IpfixElement.IcmpTypeCodeIPv4 : IpfixElement.IcmpTypeCodeIPv6, 2),
            new(IpfixElement.FlowStartMilliseconds, 8),
            new(IpfixElement.FlowEndMilliseconds, 8),
            new(IpfixElement.OctetDeltaCount, 8),
            new(IpfixElement.PacketDeltaCount, 8),
            new(IpfixElement.FlowEndReason, 1),
        };
        if (biflow)
        {
            fields.Add(new(IpfixElement.OctetDeltaCount, 8, IpfixElement.ReversePen));
            fields.Add(new(IpfixElement.PacketDeltaCount, 8, IpfixElement.ReversePen));
        }
        _fields = [.. fields];
        RecordLength = _fields.Sum(f => f.Length);
        TemplateRecordLength = 4 + _fields.Sum(f => f.SpecifierLength);
    }

    /// <summary>Template id (256 and up, RFC 7011 3.4.1); also the set id of its data sets.</summary>
    public ushort Id { get; }
    public bool IsIPv4 { get; }
    public bool IsBiflow { get; }
    public IReadOnlyList<Field> Fields => _fields;

    /// <summary>Bytes of one data record (all fields have fixed lengths).</summary>
    public int RecordLength { get; }

    /// <summary>Bytes of this template's record inside a template set.</summary>
    public int TemplateRecordLength { get; }

    public static IpfixTemplate For(bool ipv4, bool biflow) =>
        biflow ? (ipv4 ? Ipv4Biflow : Ipv6Biflow) : (ipv4 ? Ipv4Uniflow : Ipv6Uniflow);

    /// <summary>Writes the template record (id, field count, specifiers) and returns its length.</summary>
    public int WriteTemplateRecord(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)_fields.Length);
        int offset = 4;
        foreach (Field field in _fields)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], field.Enterprise == 0 ? field.Id : (ushort)(field.Id | IpfixElement.EnterpriseBit));
            BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], field.Length);
            if (field.Enterprise != 0) BinaryPrimitives.WriteUInt32BigEndian(destination[(offset + 4)..], field.Enterprise);
            offset += field.SpecifierLength;
        }
        return offset;
    }

    /// <summary>
    /// Writes one data record for <paramref name="flow"/> (<see cref="RecordLength"/> bytes). Counters are unsigned
    /// on the wire: a negative one (which no table produces) goes out as 0 rather than as 2^64 - n.
    /// </summary>
    public void WriteDataRecord(in IpfixFlow flow, Span<byte> destination)
    {
        destination = destination[..RecordLength];
        int offset = 0;
        foreach (Field field in _fields)
        {
            Span<byte> value = destination.Slice(offset, field.Length);
            bool reverse = field.Enterprise == IpfixElement.ReversePen;
            switch (field.Id)
            {
                case IpfixElement.SourceIPv4Address:
                    BinaryPrimitives.WriteUInt32BigEndian(value, flow.SourceAddress.V4);
                    break;
                case IpfixElement.DestinationIPv4Address:
                    BinaryPrimitives.WriteUInt32BigEndian(value, flow.DestinationAddress.V4);
                    break;
                case IpfixElement.SourceIPv6Address:
                    WriteIpv6(flow.SourceAddress, value);
                    break;
                case IpfixElement.DestinationIPv6Address:
                    WriteIpv6(flow.DestinationAddress, value);
                    break;
                case IpfixElement.SourceTransportPort:
                    BinaryPrimitives.WriteUInt16BigEndian(value, flow.SourcePort);
                    break;
                case IpfixElement.DestinationTransportPort:
                    BinaryPrimitives.WriteUInt16BigEndian(value, flow.DestinationPort);
                    break;
                case IpfixElement.ProtocolIdentifier:
                    value[0] = flow.Protocol;
                    break;
                case IpfixElement.TcpControlBits:
                    value[0] = flow.TcpFlags;
                    break;
                case IpfixElement.IcmpTypeCodeIPv4 or IpfixElement.IcmpTypeCodeIPv6:
                    value[0] = flow.IcmpType;
                    value[1] = flow.IcmpCode;
                    break;
                case IpfixElement.FlowStartMilliseconds:
                    BinaryPrimitives.WriteUInt64BigEndian(value, Milliseconds(flow.StartMicros));
                    break;
                case IpfixElement.FlowEndMilliseconds:
                    BinaryPrimitives.WriteUInt64BigEndian(value, Milliseconds(flow.EndMicros));
                    break;
                case IpfixElement.OctetDeltaCount:
                    BinaryPrimitives.WriteUInt64BigEndian(value, Unsigned(reverse ? flow.ReverseBytes : flow.Bytes));
                    break;
                case IpfixElement.PacketDeltaCount:
                    BinaryPrimitives.WriteUInt64BigEndian(value, Unsigned(reverse ? flow.ReversePackets : flow.Packets));
                    break;
                case IpfixElement.FlowEndReason:
                    value[0] = (byte)flow.EndReason;
                    break;
            }
            offset += field.Length;
        }
    }

    private static void WriteIpv6(Core.Packets.IpAddress128 address, Span<byte> value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(value, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(value[8..], address.Low);
    }

    private static ulong Unsigned(long value) => value < 0 ? 0 : (ulong)value;

    /// <summary>Milliseconds since the Unix epoch, rounded down; an instant before 1970 (a damaged capture) goes out as 0.</summary>
    private static ulong Milliseconds(long micros) => micros < 0 ? 0 : (ulong)(micros / 1000);
}

using System.Buffers.Binary;

namespace Flowmesh.Core.Export;

/// <summary>
/// One of the eight fixed templates Flowmesh exports: IPv4 or IPv6, biflow (RFC 5103, with reverse counters)
/// or unidirectional, with or without the host-context enterprise elements. The template's field list is the single source of both its template record and its data
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

    public static readonly IpfixTemplate Ipv4Biflow = new(256, ipv4: true, biflow: true, context: false);
    public static readonly IpfixTemplate Ipv6Biflow = new(257, ipv4: false, biflow: true, context: false);
    public static readonly IpfixTemplate Ipv4Uniflow = new(258, ipv4: true, biflow: false, context: false);
    public static readonly IpfixTemplate Ipv6Uniflow = new(259, ipv4: false, biflow: false, context: false);

    // The same with the host-context elements appended: flows the PC knows more about (docs/ipfix.md).
    public static readonly IpfixTemplate Ipv4BiflowContext = new(260, ipv4: true, biflow: true, context: true);
    public static readonly IpfixTemplate Ipv6BiflowContext = new(261, ipv4: false, biflow: true, context: true);
    public static readonly IpfixTemplate Ipv4UniflowContext = new(262, ipv4: true, biflow: false, context: true);
    public static readonly IpfixTemplate Ipv6UniflowContext = new(263, ipv4: false, biflow: false, context: true);

    /// <summary>Longest string value sent: one length byte (RFC 7011 7) holds up to 254.</summary>
    public const int MaxStringBytes = 254;

    private readonly Field[] _fields;

    private IpfixTemplate(ushort id, bool ipv4, bool biflow, bool context)
    {
        Id = id;
        IsIPv4 = ipv4;
        IsBiflow = biflow;
        HasContext = context;
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
        if (context)
        {
            // Unknown values go out as 0 and as empty strings.
            fields.Add(new(IpfixElement.FlowmeshProcessId, 4, IpfixElement.FlowmeshPen));
            fields.Add(new(IpfixElement.FlowmeshProcessName, IpfixElement.VariableLength, IpfixElement.FlowmeshPen));
            fields.Add(new(IpfixElement.FlowmeshRoundTripMicroseconds, 4, IpfixElement.FlowmeshPen));
            fields.Add(new(IpfixElement.FlowmeshDnsName, IpfixElement.VariableLength, IpfixElement.FlowmeshPen));
        }
        _fields = [.. fields];
        // Each variable-length field takes at least its one length byte.
        RecordLength = _fields.Sum(f => f.Length == IpfixElement.VariableLength ? 1 : f.Length);
        TemplateRecordLength = 4 + _fields.Sum(f => f.SpecifierLength);
    }

    /// <summary>Template id (256 and up, RFC 7011 3.4.1); also the set id of its data sets.</summary>
    public ushort Id { get; }
    public bool IsIPv4 { get; }
    public bool IsBiflow { get; }
    public bool HasContext { get; }
    public IReadOnlyList<Field> Fields => _fields;

    /// <summary>Bytes of one data record without any string (every record of a template without context).</summary>
    public int RecordLength { get; }

    /// <summary>Bytes of <paramref name="flow"/>'s data record: <see cref="RecordLength"/> plus its strings.</summary>
    public int RecordLengthOf(in IpfixFlow flow) =>
        HasContext ? RecordLength + StringBytes(flow.ProcessName) + StringBytes(flow.DnsName) : RecordLength;

    /// <summary>Bytes of this template's record inside a template set.</summary>
    public int TemplateRecordLength { get; }

    public static IpfixTemplate For(bool ipv4, bool biflow, bool context = false) => context
        ? biflow ? (ipv4 ? Ipv4BiflowContext : Ipv6BiflowContext) : (ipv4 ? Ipv4UniflowContext : Ipv6UniflowContext)
        : biflow ? (ipv4 ? Ipv4Biflow : Ipv6Biflow) : (ipv4 ? Ipv4Uniflow : Ipv6Uniflow);

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
    /// Writes one data record for <paramref name="flow"/> (<see cref="RecordLengthOf"/> bytes) and returns its length.
    /// Counters are unsigned on the wire: a negative one (which no table produces) goes out as 0 rather than as 2^64 - n.
    /// </summary>
    public int WriteDataRecord(in IpfixFlow flow, Span<byte> destination)
    {
        destination = destination[..RecordLengthOf(in flow)];
        int offset = 0;
        foreach (Field field in _fields)
        {
            if (field.Enterprise == IpfixElement.FlowmeshPen)
            {
                offset += WriteContextField(field, in flow, destination[offset..]);
                continue;
            }
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
        return offset;
    }

    private static int WriteContextField(Field field, in IpfixFlow flow, Span<byte> destination)
    {
        switch (field.Id)
        {
            case IpfixElement.FlowmeshProcessId:
                BinaryPrimitives.WriteUInt32BigEndian(destination, flow.ProcessId ?? 0);
                return 4;
            case IpfixElement.FlowmeshRoundTripMicroseconds:
                BinaryPrimitives.WriteUInt32BigEndian(destination, flow.RttMicros ?? 0);
                return 4;
            case IpfixElement.FlowmeshProcessName:
                return WriteString(flow.ProcessName, destination);
            default:
                return WriteString(flow.DnsName, destination);
        }
    }

    /// <summary>UTF-8 bytes a string takes, cut on a character boundary at <see cref="MaxStringBytes"/>, plus its length byte.</summary>
    private static int StringBytes(string? text) => 1 + (text is null ? 0 : Utf8Prefix(text, Span<byte>.Empty));

    private static int WriteString(string? text, Span<byte> destination)
    {
        int length = text is null ? 0 : Utf8Prefix(text, destination[1..]);
        destination[0] = (byte)length;
        return 1 + length;
    }

    /// <summary>The byte count of the longest whole-character UTF-8 prefix of at most <see cref="MaxStringBytes"/>; written when <paramref name="destination"/> is not empty.</summary>
    private static int Utf8Prefix(string text, Span<byte> destination)
    {
        int bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            int next = rune.Utf8SequenceLength;
            if (bytes + next > MaxStringBytes) break;
            if (!destination.IsEmpty) rune.EncodeToUtf8(destination[bytes..]);
            bytes += next;
        }
        return bytes;
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

using System.Buffers.Binary;

namespace Flowmesh.Core.Export;

/// <summary>
/// Packs flows into IPFIX messages (RFC 7011) of at most <see cref="IpfixEncoderOptions.MaxMessageBytes"/> bytes and
/// hands each finished message to an <see cref="IIpfixMessageSink"/>. One encoder is one transport session of one
/// observation domain: its sequence number is the count of data records sent before the message (modulo 2^32),
/// and its templates lead the first message and are repeated on the refresh schedule.
/// </summary>
/// <remarks>
/// Pure computation on a buffer it owns: no I/O, no clock (callers pass "now"), nothing allocated per flow.
/// Not thread-safe: one exporter thread owns it.
/// </remarks>
public sealed class IpfixEncoder
{
    private const ushort Version = 10;
    private const int HeaderLength = 16;
    private const int SetHeaderLength = 4;
    private const ushort TemplateSetId = 2;

    private readonly IpfixEncoderOptions _options;
    private readonly IIpfixMessageSink _sink;
    private readonly byte[] _buffer;
    private readonly IpfixTemplate[] _templates;
    private readonly long? _refreshMicros;
    private int _length;
    private int _records;
    private int _setOffset = -1;
    private IpfixTemplate? _setTemplate;
    private bool _templatesSent;
    private long _templatesSentMicros;
    private int _messagesSinceTemplates;
    private uint _sequence;

    public IpfixEncoder(IpfixEncoderOptions options, IIpfixMessageSink sink)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        if (options.Validate() is string problem) throw new ArgumentException(problem, nameof(options));
        _options = options;
        _sink = sink;
        _buffer = new byte[options.MaxMessageBytes];
        _templates = options.Biflow
            ? [IpfixTemplate.Ipv4Biflow, IpfixTemplate.Ipv6Biflow, IpfixTemplate.Ipv4BiflowContext, IpfixTemplate.Ipv6BiflowContext]
            : [IpfixTemplate.Ipv4Uniflow, IpfixTemplate.Ipv6Uniflow, IpfixTemplate.Ipv4UniflowContext, IpfixTemplate.Ipv6UniflowContext];
        _refreshMicros = options.TemplateRefreshInterval is { } interval ? UnixMicros.FromDuration(interval) : null;
    }

    /// <summary>Data records in the messages sent so far: the next message's sequence number (RFC 7011 3.1), modulo 2^32.</summary>
    public uint SequenceNumber => _sequence;

    public long MessagesSent { get; private set; }
    public long RecordsSent { get; private set; }

    /// <summary>Messages that carried the templates.</summary>
    public long TemplateMessagesSent { get; private set; }

    /// <summary>Records in the message being filled (sent by the next <see cref="Flush"/> or when it is full).</summary>
    public int PendingRecords => _records;

    /// <summary>Adds one flow: one biflow record, or in unidirectional mode a record per direction that carried packets.</summary>
    public void Add(in IpfixFlow flow, long nowMicros)
    {
        bool ipv4 = flow.IsIPv4, context = flow.HasContext;
        if (_options.Biflow)
        {
            AddRecord(IpfixTemplate.For(ipv4, biflow: true, context), in flow, nowMicros);
            return;
        }
        IpfixTemplate template = IpfixTemplate.For(ipv4, biflow: false, context);
        if (flow.Packets > 0) AddRecord(template, in flow, nowMicros);
        if (flow.ReversePackets > 0)
        {
            IpfixFlow reverse = flow.Reversed();
            AddRecord(template, in reverse, nowMicros);
        }
    }

    /// <summary>Sends the message being filled, if it holds any record.</summary>
    public void Flush(long nowMicros)
    {
        if (_records > 0) Finish(nowMicros);
    }

    /// <summary>
    /// Sends a message of templates alone (with whatever records were pending), so a collector knows them before the
    /// first flow ends; the exporter calls it when a session starts.
    /// </summary>
    public void SendTemplates(long nowMicros)
    {
        if (_length != 0) Finish(nowMicros);
        Begin(nowMicros, forceTemplates: true);
        Finish(nowMicros);
    }

    /// <summary>A new transport session (a TCP reconnect): pending records are dropped, templates lead again, and the sequence starts at 0.</summary>
    public int Restart()
    {
        int dropped = _records;
        _length = 0;
        _records = 0;
        _setOffset = -1;
        _setTemplate = null;
        _templatesSent = false;
        _messagesSinceTemplates = 0;
        _sequence = 0;
        return dropped;
    }

    private void AddRecord(IpfixTemplate template, in IpfixFlow flow, long nowMicros)
    {
        if (_length == 0) Begin(nowMicros, forceTemplates: false);
        int recordLength = template.RecordLengthOf(in flow);
        int needed = recordLength + (_setTemplate == template ? 0 : SetHeaderLength);
        if (_length + needed > _buffer.Length)
        {
            Finish(nowMicros);
            Begin(nowMicros, forceTemplates: false);
            needed = recordLength + SetHeaderLength;
        }
        if (_setTemplate != template)
        {
            CloseSet();
            _setOffset = _length;
            _setTemplate = template;
            BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), template.Id);
            _length += SetHeaderLength;
        }
        _length += template.WriteDataRecord(in flow, _buffer.AsSpan(_length));
        _records++;
    }

    private void Begin(long nowMicros, bool forceTemplates)
    {
        _length = HeaderLength;
        _records = 0;
        _setOffset = -1;
        _setTemplate = null;
        bool due = forceTemplates || !_templatesSent || (_options.TemplateRefreshMessages > 0 && _messagesSinceTemplates >= _options.TemplateRefreshMessages)
            || (_refreshMicros is long refresh && nowMicros - _templatesSentMicros >= refresh);
        if (!due) return;
        int setStart = _length;
        _length += SetHeaderLength;
        foreach (IpfixTemplate template in _templates) _length += template.WriteTemplateRecord(_buffer.AsSpan(_length));
        WriteSetHeader(setStart, TemplateSetId, _length - setStart);
        _templatesSent = true;
        _templatesSentMicros = nowMicros;
        _messagesSinceTemplates = -1; // this message itself is not "since"
        TemplateMessagesSent++;
    }

    private void Finish(long nowMicros)
    {
        CloseSet();
        Span<byte> header = _buffer.AsSpan(0, HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(header, Version);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)_length);
        // Export time is seconds since 1970 in 32 bits (RFC 7011 3.1); a clock outside that range writes its low bits.
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)(Math.Max(0, nowMicros) / 1_000_000));
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], _sequence);
        BinaryPrimitives.WriteUInt32BigEndian(header[12..], _options.ObservationDomainId);
        int records = _records;
        int length = _length;
        _length = 0;
        _records = 0;
        _sequence = unchecked(_sequence + (uint)records);
        _messagesSinceTemplates++;
        MessagesSent++;
        RecordsSent += records;
        _sink.Send(_buffer.AsSpan(0, length), records);
    }

    private void CloseSet()
    {
        if (_setOffset < 0) return;
        WriteSetHeader(_setOffset, _setTemplate!.Id, _length - _setOffset);
        _setOffset = -1;
        _setTemplate = null;
    }

    private void WriteSetHeader(int offset, ushort setId, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset), setId);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(offset + 2), (ushort)length);
    }
}

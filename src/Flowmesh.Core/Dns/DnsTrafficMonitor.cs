using System.Buffers.Binary;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>
/// The DNS host-context source's state (docs/host-context.md#dns): reads the DNS messages of port-53 UDP and TCP
/// packets, pairs responses with queries (<see cref="DnsTransactionTracker"/>), hands every finished transaction to
/// the listener, and remembers which name each client resolved to which address (<see cref="DnsResolvedNameCache"/>)
/// so <see cref="FindName"/> can name flows.
/// </summary>
/// <remarks>
/// <para>Packets come from the thread that captured them (the capture loop for libpcap and files, the DNS ring-buffer
/// thread for eBPF) and names are looked up on the capture loop, so every entry point takes one lock; it is held for
/// one DNS message or one lookup. The listener is called under that lock, on the thread that delivered the packet
/// (or the one whose time ended a query): it must be quick and must not call back into the monitor.</para>
/// <para>Only answers to queries the monitor saw name addresses: an unsolicited (spoofed) response changes nothing.
/// Counters are read without the lock: recent values, not a snapshot.</para>
/// </remarks>
public sealed class DnsTrafficMonitor
{
    public const ushort Port = 53;
    private const int UdpHeaderLength = 8;
    private const int TcpMinHeaderLength = 20;

    private readonly object _gate = new();
    private readonly DnsMessage _message = new();
    private readonly DnsTransactionTracker _tracker;
    private readonly DnsResolvedNameCache _names;
    private readonly Dictionary<TcpStreamKey, TcpReassembly> _tcp = [];
    private readonly long[] _malformed = new long[Enum.GetValues<DnsMalformation>().Length];
    private readonly IDnsObservationListener? _listener;
    private readonly Action<DnsObservation> _finish;
    private readonly List<IpAddress128> _chainAddresses = [];
    private readonly List<string> _chainNames = [];
    private readonly DnsMonitorOptions _options;
    private PacketInfo _packet;

    public DnsTrafficMonitor(DnsMonitorOptions? options = null, IDnsObservationListener? listener = null)
    {
        _options = options ?? new DnsMonitorOptions();
        _tracker = new DnsTransactionTracker(_options.MaxPendingQueries, _options.QueryTimeout);
        _names = new DnsResolvedNameCache(_options.MaxCachedNames, _options.MinimumNameLifetime, _options.MaximumNameLifetime);
        _listener = listener;
        _finish = Finish;
    }

    /// <summary>Whole DNS messages read.</summary>
    public long MessagesDecoded { get; private set; }

    /// <summary>
    /// Messages that arrived incomplete, cut by the capture's snap length or IP-fragmented (<see cref="IpFragmentedMessages"/>):
    /// what was read of them (the question, the response code, the first answers) is used, and they are not malformed.
    /// </summary>
    public long MessagesCutByCapture { get; private set; }

    /// <summary>UDP DNS messages IP fragmentation split: only the first fragment is read.</summary>
    public long IpFragmentedMessages { get; private set; }

    /// <summary>Malformed messages, all reasons.</summary>
    public long Malformed { get; private set; }

    /// <summary>Malformed messages for one reason.</summary>
    public long MalformedBy(DnsMalformation reason) => Volatile.Read(ref _malformed[(int)reason]);

    /// <summary>Non-zero malformation counts, for reports and /metrics.</summary>
    public IEnumerable<KeyValuePair<DnsMalformation, long>> MalformedByReason()
    {
        for (int i = 1; i < _malformed.Length; i++)
            if (Volatile.Read(ref _malformed[i]) is long n and > 0) yield return new((DnsMalformation)i, n);
    }

    /// <summary>Messages with an opcode other than QUERY (NOTIFY, UPDATE...): read, not tracked.</summary>
    public long OtherOpcodes { get; private set; }

    public long Answered => _tracker.Answered;
    public long UnmatchedResponses => _tracker.UnmatchedResponses;
    public long Timeouts => _tracker.Timeouts;
    public long PendingTableFull => _tracker.PendingTableFull;
    public long DuplicateQueries => _tracker.DuplicateQueries;
    public long CacheEvictions => _names.Evictions;
    public int CachedNames => _names.Count;

    /// <summary>TCP DNS messages that arrived split over several segments and were put back together.</summary>
    public long TcpMessagesReassembled { get; private set; }

    /// <summary>TCP DNS messages split over segments that could not be put together (a gap, a full table, a cut capture).</summary>
    public long TcpMessagesLost { get; private set; }

    /// <summary>Whether the flow table's decoded packet is worth handing to <see cref="ObservePacket"/>: UDP or TCP with port 53 on one side.</summary>
    public static bool IsCandidate(in PacketInfo packet) =>
        (packet.SourcePort == Port || packet.DestinationPort == Port)
        && packet.Protocol is IpProtocol.Udp or IpProtocol.Tcp
        && packet.TransportLength > 0;

    /// <summary>Decodes a frame itself (the eBPF ring buffer and the port-53 libpcap handle), then as <see cref="ObservePacket"/>.</summary>
    public void ObserveFrame(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            if (PacketDecoder.Decode(linkType, frame, ref _packet) != DecodeFailure.None) return;
            _packet.TimestampMicros = timestampMicros;
            if (IsCandidate(in _packet)) ObserveLocked(in _packet, frame);
        }
    }

    /// <summary>A packet the capture already decoded (<paramref name="packet"/> of <paramref name="frame"/>, <see cref="IsCandidate"/>).</summary>
    public void ObservePacket(in PacketInfo packet, ReadOnlySpan<byte> frame)
    {
        lock (_gate) ObserveLocked(in packet, frame);
    }

    /// <summary>Ends the queries that timed out by <paramref name="nowMicros"/> (capture time).</summary>
    public void AdvanceTime(long nowMicros)
    {
        lock (_gate) ExpireLocked(nowMicros);
    }

    /// <summary>Ends every pending query: the capture is over.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            _tracker.ExpireAll(_finish);
            _tcp.Clear();
        }
    }

    /// <summary>
    /// The name for the flow's remote end: what the initiator resolved for the responder, else what the responder
    /// resolved for the initiator (the PC answered a connection from a host it had looked up).
    /// </summary>
    public string? FindName(in FlowContextKey flow)
    {
        lock (_gate)
        {
            ExpireLocked(flow.AtMicros);
            return _names.Find(flow.SourceAddress, flow.DestinationAddress, flow.AtMicros)
                ?? _names.Find(flow.DestinationAddress, flow.SourceAddress, flow.AtMicros);
        }
    }

    private void ExpireLocked(long nowMicros)
    {
        _tracker.Expire(nowMicros, _finish);
        if (_tcp.Count == 0) return;
        long timeout = (long)_options.QueryTimeout.TotalMicroseconds;
        foreach (var (key, partial) in _tcp)
        {
            if (nowMicros - partial.StartedMicros <= timeout) continue;
            _tcp.Remove(key);
            TcpMessagesLost++;
        }
    }

    private void ObserveLocked(in PacketInfo packet, ReadOnlySpan<byte> frame)
    {
        if (packet.TransportOffset < 0 || packet.TransportOffset + packet.TransportLength > frame.Length) return;
        ReadOnlySpan<byte> segment = frame.Slice(packet.TransportOffset, packet.TransportLength);
        ExpireLocked(packet.TimestampMicros);
        if (packet.Protocol == IpProtocol.Udp)
        {
            if (segment.Length < UdpHeaderLength) return;
            // The UDP length bounds the message (Ethernet padding is not DNS); a cut capture holds less.
            int udpLength = BinaryPrimitives.ReadUInt16BigEndian(segment[4..]);
            ReadOnlySpan<byte> payload = udpLength >= UdpHeaderLength && udpLength <= segment.Length ? segment[UdpHeaderLength..udpLength] : segment[UdpHeaderLength..];
            // A datagram longer than its packet, in a packet the capture did not cut: IP fragmented (large DNSSEC
            // answers). Fragments are not reassembled; the first is read as far as it goes, like a cut capture.
            bool fragmented = udpLength > segment.Length && !packet.CaptureCut;
            if (fragmented) IpFragmentedMessages++;
            OnMessage(payload, in packet, packet.CaptureCut || fragmented);
            return;
        }
        if (segment.Length < TcpMinHeaderLength) return;
        int dataOffset = (segment[12] >> 4) * 4;
        if (dataOffset < TcpMinHeaderLength || dataOffset > segment.Length) return;
        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(segment[4..]);
        OnTcpPayload(segment[dataOffset..], sequence, in packet);
    }

    /// <summary>RFC 1035 4.2.2 / RFC 7766: each message is preceded by its 2-byte length; one segment may hold several, or part of one.</summary>
    private void OnTcpPayload(ReadOnlySpan<byte> payload, uint sequence, in PacketInfo packet)
    {
        if (payload.IsEmpty) return;
        var stream = new TcpStreamKey(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort);
        if (_tcp.Remove(stream, out TcpReassembly? partial))
        {
            if (sequence != partial.NextSequence || packet.CaptureCut)
            {
                // A retransmission, a gap or a cut capture: the message cannot be completed; start over from this segment.
                TcpMessagesLost++;
            }
            else
            {
                if (partial.Buffer is null)
                {
                    // The previous segment ended after the first byte of the length prefix.
                    int length = (partial.PrefixHigh << 8) | payload[0];
                    payload = payload[1..];
                    sequence++;
                    if (length < DnsMessageDecoder.HeaderLength)
                    {
                        CountMalformed(DnsMalformation.BadTcpLength);
                        return;
                    }
                    partial.Buffer = new byte[length];
                }
                int take = Math.Min(payload.Length, partial.Buffer.Length - partial.Filled);
                payload[..take].CopyTo(partial.Buffer.AsSpan(partial.Filled));
                partial.Filled += take;
                sequence += (uint)take;
                partial.NextSequence = sequence;
                payload = payload[take..];
                if (partial.Filled < partial.Buffer.Length)
                {
                    _tcp[stream] = partial;
                    return;
                }
                TcpMessagesReassembled++;
                OnMessage(partial.Buffer, in packet, captureCut: false);
            }
        }
        while (!payload.IsEmpty)
        {
            if (payload.Length < 2)
            {
                // The length prefix itself is split (BIND does this: one byte, then the rest).
                if (!packet.CaptureCut && _tcp.Count < _options.MaxTcpReassemblies)
                    _tcp[stream] = new TcpReassembly(null, packet.TimestampMicros) { PrefixHigh = payload[0], NextSequence = sequence + 1 };
                else
                    TcpMessagesLost++;
                return;
            }
            int length = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (length < DnsMessageDecoder.HeaderLength)
            {
                CountMalformed(DnsMalformation.BadTcpLength);
                return;
            }
            ReadOnlySpan<byte> rest = payload[2..];
            if (rest.Length >= length)
            {
                OnMessage(rest[..length], in packet, captureCut: false);
                payload = rest[length..];
                sequence += (uint)(2 + length);
                continue;
            }
            if (packet.CaptureCut)
            {
                // The snap length cut it: read what is there (the question, the response code) and stop.
                OnMessage(rest, in packet, captureCut: true);
                return;
            }
            if (_tcp.Count >= _options.MaxTcpReassemblies)
            {
                TcpMessagesLost++;
                return;
            }
            var started = new TcpReassembly(new byte[length], packet.TimestampMicros) { Filled = rest.Length, NextSequence = sequence + 2u + (uint)rest.Length };
            rest.CopyTo(started.Buffer);
            _tcp[stream] = started;
            return;
        }
    }

    private void OnMessage(ReadOnlySpan<byte> data, in PacketInfo packet, bool captureCut)
    {
        DnsMalformation failure = DnsMessageDecoder.Decode(data, _message);
        if (failure == DnsMalformation.None) MessagesDecoded++;
        else if (captureCut && failure is DnsMalformation.TruncatedHeader or DnsMalformation.TruncatedName
                     or DnsMalformation.TruncatedQuestion or DnsMalformation.TruncatedRecord) MessagesCutByCapture++;
        else CountMalformed(failure);
        if (_message.QuestionName is not { } name) return;
        if (_message.Opcode != 0)
        {
            OtherOpcodes++;
            return;
        }
        if (!_message.IsResponse)
        {
            _tracker.Query(new DnsTransactionKey(packet.Source, packet.SourcePort, packet.Destination, packet.DestinationPort, packet.Protocol, _message.TransactionId),
                packet.TimestampMicros, name, _message.QuestionType);
            return;
        }
        var key = new DnsTransactionKey(packet.Destination, packet.DestinationPort, packet.Source, packet.SourcePort, packet.Protocol, _message.TransactionId);
        IpAddress128[] addresses = _message.ResponseCode == 0 ? AnsweredAddresses(name) : [];
        if (_tracker.Respond(in key, packet.TimestampMicros, _message, addresses) is not { } observation) return;
        if (addresses.Length > 0)
        {
            foreach (DnsAnswer answer in _message.Answers)
                if (answer.Target is null && InChain(answer.Name))
                    _names.Add(key.Client, answer.Address, observation.Name, answer.TimeToLiveSeconds, packet.TimestampMicros);
        }
        _listener?.Observe(observation);
    }

    /// <summary>
    /// The A and AAAA records that answer <paramref name="question"/>: owned by the question's name or by a name its CNAME
    /// chain reaches (RFC 1034 3.6.2). Records for other names (a hostile server's extras) are not believed.
    /// </summary>
    private IpAddress128[] AnsweredAddresses(string question)
    {
        _chainNames.Clear();
        _chainAddresses.Clear();
        _chainNames.Add(question);
        var answers = _message.Answers;
        // Chains are normally in order; going over them as often as there are answers also follows one listed backwards.
        for (int pass = 0, added = 1; pass < answers.Count && added > 0; pass++)
        {
            added = 0;
            foreach (DnsAnswer answer in answers)
            {
                if (answer.Target is not { } target || !InChain(answer.Name) || InChain(target)) continue;
                _chainNames.Add(target);
                added++;
            }
        }
        foreach (DnsAnswer answer in answers)
            if (answer.Target is null && InChain(answer.Name)) _chainAddresses.Add(answer.Address);
        return _chainAddresses.Count == 0 ? [] : _chainAddresses.ToArray();
    }

    private bool InChain(string name)
    {
        foreach (string known in _chainNames)
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private void CountMalformed(DnsMalformation reason)
    {
        _malformed[(int)reason]++;
        Malformed++;
    }

    private void Finish(DnsObservation observation) => _listener?.Observe(observation);

    private readonly record struct TcpStreamKey(IpAddress128 Source, ushort SourcePort, IpAddress128 Destination, ushort DestinationPort);

    /// <summary>One TCP DNS message being put back together; <see cref="Buffer"/> is null while only the prefix's first byte came.</summary>
    private sealed class TcpReassembly(byte[]? buffer, long startedMicros)
    {
        public byte[]? Buffer { get; set; } = buffer;
        public byte PrefixHigh { get; init; }
        public long StartedMicros { get; } = startedMicros;
        public int Filled { get; set; }
        public uint NextSequence { get; set; }
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Live biflows keyed by <see cref="FlowKey"/>. Ends flows on idle timeout (per protocol), active
/// timeout, TCP close, or eviction when <see cref="FlowTableOptions.MaxFlows"/> is reached, and hands
/// each ended flow to the callback given at construction. Time is the packets' own time, so a pcap
/// file replays exactly as it was captured. Updating an existing flow allocates nothing.
/// </summary>
/// <remarks>
/// <para><b>Initiator</b> (the record's source): the sender of the flow's first packet, except
/// <list type="bullet">
/// <item>a TCP SYN+ACK first: its receiver (the capture joined mid-handshake);</item>
/// <item>an ICMP/ICMPv6 reply first (echo, timestamp, information, mask, node-information or
/// home-agent reply): its receiver, who asked.</item>
/// </list>
/// When a TCP flow's first packet was not a pure SYN the initiator is only a guess; the first pure
/// SYN (SYN without ACK) seen later settles it: if it comes from the other side, that side becomes
/// the initiator and the counters swap roles.</para>
/// <para><b>Ending</b>: idle timeout per protocol class (TCP, UDP, ICMP, other); a TCP flow that saw
/// FIN from both sides or any RST ends after <see cref="FlowTableOptions.TcpClosedTimeout"/> of quiet
/// (so the final ACK lands in the same record); a pure SYN on a flow that already saw a FIN or RST
/// ends it (<see cref="FlowEndReason.EndOfFlow"/>) and starts a new record (port reuse); a packet
/// arriving at least <see cref="FlowTableOptions.ActiveTimeout"/> after the record's start emits the
/// record (<see cref="FlowEndReason.ActiveTimeout"/>) and starts a fresh one with the same initiator,
/// the packet counted in the fresh one. Active timeouts are checked on packet arrival only, so a flow
/// is reported at most one idle timeout after its active timeout.</para>
/// <para><b>Cost</b>: entries are structs in one array (growing by doubling up to the cap, then never
/// again), indexed by a dictionary, and threaded on intrusive doubly-linked lists ordered by last
/// packet, one per timeout class. A packet is O(1); expiry only looks at list tails; the eviction
/// victim is the oldest of the five tails. Only an ended flow allocates (its <see cref="FlowRecord"/>).</para>
/// <para>Not thread-safe, and the callback must not call back into the table.</para>
/// </remarks>
public sealed partial class FlowTable
{
    private const int None = -1;
    private const int ListCount = 5;
    private const int InitialCapacity = 1024;
    private const byte Fin = 0x01;
    private const byte Syn = 0x02;
    private const byte Rst = 0x04;
    private const byte Ack = 0x10;

    private readonly Action<FlowRecord> _onFlowEnd;
    private readonly int _maxFlows;
    private readonly long _activeTimeoutMicros;
    private readonly long[] _listTimeoutMicros = new long[ListCount];
    private readonly int[] _newest = new int[ListCount];
    private readonly int[] _oldest = new int[ListCount];
    private readonly FlowIndex _index;
    private readonly ChunkedArray<FlowEntry> _entries;
    private int _highWater;
    private int _freeHead = None;
    private long _clock = long.MinValue;

    public FlowTable(FlowTableOptions options, Action<FlowRecord> onFlowEnd)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onFlowEnd);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFlows, 1, nameof(options.MaxFlows));
        _onFlowEnd = onFlowEnd;
        _maxFlows = options.MaxFlows;
        _activeTimeoutMicros = PositiveMicros(options.ActiveTimeout, nameof(options.ActiveTimeout));
        _listTimeoutMicros[(int)TimeoutClass.TcpOpen] = PositiveMicros(options.TcpIdleTimeout, nameof(options.TcpIdleTimeout));
        _listTimeoutMicros[(int)TimeoutClass.TcpClosing] = PositiveMicros(options.TcpClosedTimeout, nameof(options.TcpClosedTimeout));
        _listTimeoutMicros[(int)TimeoutClass.Udp] = PositiveMicros(options.UdpIdleTimeout, nameof(options.UdpIdleTimeout));
        _listTimeoutMicros[(int)TimeoutClass.Icmp] = PositiveMicros(options.IcmpIdleTimeout, nameof(options.IcmpIdleTimeout));
        _listTimeoutMicros[(int)TimeoutClass.Other] = PositiveMicros(options.OtherIdleTimeout, nameof(options.OtherIdleTimeout));
        Array.Fill(_newest, None);
        Array.Fill(_oldest, None);
        // Start small and double up to the cap: a default table (262,144 entries) would otherwise
        // commit tens of megabytes before its first packet.
        int initial = Math.Min(_maxFlows, InitialCapacity);
        _entries = new ChunkedArray<FlowEntry>(initial);
        _index = new FlowIndex(initial);
    }

    /// <summary>Live entries.</summary>
    public int Count { get; private set; }

    /// <summary>Flows ended early because the table was full.</summary>
    public long Evictions { get; private set; }

    /// <summary>Flows handed to the callback so far, for any reason.</summary>
    public long FlowsEnded { get; private set; }

    /// <summary>Adds one decoded packet (its <see cref="PacketInfo.TimestampMicros"/> is the time).</summary>
    public void Observe(in PacketInfo packet)
    {
        long ts = packet.TimestampMicros;
        if (ts > _clock) _clock = ts;

        byte protocol = packet.Protocol;
        // All ICMP between two hosts is one flow (FlowKey contract), whatever the decoder put in the ports.
        bool icmp = IpProtocol.IsIcmp(protocol);
        var key = FlowKey.FromDirected(
            packet.Source, icmp ? (ushort)0 : packet.SourcePort,
            packet.Destination, icmp ? (ushort)0 : packet.DestinationPort,
            protocol, out bool fromLow);

        int slot = _index.Find(in key, _entries);
        if (slot < 0)
        {
            Insert(in key, fromLow, in packet);
            return;
        }

        ref FlowEntry entry = ref _entries[slot];
        bool pureSyn = protocol == IpProtocol.Tcp && (packet.TcpFlags & (Syn | Ack)) == Syn;
        if (pureSyn && (entry.TcpState & (FlowEntry.FinFromLow | FlowEntry.FinFromHigh | FlowEntry.RstSeen)) != 0)
        {
            // A new connection on a reused port: the old one is over.
            EmitRemainder(slot, ref entry);
            FlowRecord ended = ToRecord(ref entry, FlowEndReason.EndOfFlow);
            StartRecord(ref entry, fromLow, in packet);
            Account(ref entry, fromLow, in packet);
            Touch(slot, ref entry);
            Deliver(ended);
            return;
        }

        if (pureSyn && entry.InitiatorGuessed)
        {
            entry.InitiatorIsLow = fromLow;
            entry.InitiatorGuessed = false;
        }

        FlowRecord? expired = null;
        if (ts - entry.StartMicros >= _activeTimeoutMicros)
        {
            EmitRemainder(slot, ref entry);
            expired = ToRecord(ref entry, FlowEndReason.ActiveTimeout);
            RestartCounters(ref entry, ts);
        }

        Account(ref entry, fromLow, in packet);
        Touch(slot, ref entry);
        if (expired is not null) Deliver(expired);
    }

    /// <summary>
    /// Ends every flow whose idle or closing timeout has passed at <paramref name="nowMicros"/>.
    /// Active timeouts are applied when a flow's next packet arrives (see the class remarks).
    /// </summary>
    public void Expire(long nowMicros)
    {
        if (nowMicros > _clock) _clock = nowMicros;
        for (int list = 0; list < ListCount; list++)
        {
            long timeout = _listTimeoutMicros[list];
            var reason = list == (int)TimeoutClass.TcpClosing ? FlowEndReason.EndOfFlow : FlowEndReason.IdleTimeout;
            while (_oldest[list] != None)
            {
                int slot = _oldest[list];
                if (nowMicros - _entries[slot].TouchMicros < timeout) break;
                End(slot, reason);
            }
        }
    }

    /// <summary>Ends every live flow with <see cref="FlowEndReason.ForcedEnd"/>.</summary>
    public void Flush()
    {
        for (int list = 0; list < ListCount; list++)
        {
            while (_oldest[list] != None) End(_oldest[list], FlowEndReason.ForcedEnd);
        }
    }

    private void Insert(in FlowKey key, bool fromLow, in PacketInfo packet)
    {
        if (Count >= _maxFlows)
        {
            // Flows already past their timeout leave with their true reason before anyone is evicted.
            Expire(_clock);
            if (Count >= _maxFlows) Evict();
        }

        int slot = AllocateSlot();
        ref FlowEntry entry = ref _entries[slot];
        entry = default;
        if (_marks is not null) _marks[slot] = default;
        entry.Key = key;
        StartRecord(ref entry, fromLow, in packet);
        Account(ref entry, fromLow, in packet);
        _index.Add(in key, slot);
        Count++;
        Touch(slot, ref entry);
    }

    private int AllocateSlot()
    {
        if (_freeHead != None)
        {
            int slot = _freeHead;
            _freeHead = _entries[slot].Older;
            return slot;
        }
        if (_highWater == _entries.Capacity)
        {
            // Chunks, not copies (ChunkedArray); every slot is cleared when it is handed out (Insert).
            _entries.Grow(_maxFlows);
            while (_marks is not null && _marks.Capacity < _entries.Capacity) _marks.Grow(_entries.Capacity);
        }
        return _highWater++;
    }

    private void Evict()
    {
        int victim = None;
        long oldestTouch = long.MaxValue;
        for (int list = 0; list < ListCount; list++)
        {
            int slot = _oldest[list];
            if (slot != None && _entries[slot].TouchMicros < oldestTouch)
            {
                oldestTouch = _entries[slot].TouchMicros;
                victim = slot;
            }
        }
        Evictions++;
        End(victim, FlowEndReason.LackOfResources);
    }

    /// <summary>Emits the flow and frees its slot.</summary>
    private void End(int slot, FlowEndReason reason)
    {
        ref FlowEntry entry = ref _entries[slot];
        EmitRemainder(slot, ref entry);
        FlowRecord record = ToRecord(ref entry, reason);
        Unlink(slot, ref entry);
        _index.Remove(in entry.Key, slot);
        entry = default;
        entry.Older = _freeHead;
        _freeHead = slot;
        Count--;
        Deliver(record);
    }

    private void Deliver(FlowRecord record)
    {
        FlowsEnded++;
        _onFlowEnd(record);
    }

    /// <summary>Begins a new record (new flow or port reuse) and decides who initiated it.</summary>
    private static void StartRecord(ref FlowEntry entry, bool fromLow, in PacketInfo packet)
    {
        bool senderInitiates = true;
        bool guessed = false;
        switch (packet.Protocol)
        {
            case IpProtocol.Tcp:
                byte synAck = (byte)(packet.TcpFlags & (Syn | Ack));
                senderInitiates = synAck != (Syn | Ack);
                guessed = synAck != Syn;
                break;
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                senderInitiates = !IcmpTypes.IsReply(packet.Protocol, packet.IcmpType);
                break;
        }
        entry.InitiatorIsLow = senderInitiates == fromLow;
        entry.InitiatorGuessed = guessed;
        entry.NonFirstFragmentsOnly = packet.IsNonFirstFragment;
        entry.TcpState = 0;
        entry.IcmpSeen = 0;
        RestartCounters(ref entry, packet.TimestampMicros);
    }

    /// <summary>Zeroes what a record reports; keeps what describes the connection (initiator, TCP close state, ICMP types).</summary>
    private static void RestartCounters(ref FlowEntry entry, long startMicros)
    {
        entry.LowPackets = entry.LowBytes = entry.LowSegments = 0;
        entry.HighPackets = entry.HighBytes = entry.HighSegments = 0;
        entry.TcpFlags = 0;
        entry.StartMicros = entry.EndMicros = startMicros;
    }

    private static void Account(ref FlowEntry entry, bool fromLow, in PacketInfo packet)
    {
        // Every observed packet is at least one segment, even if a source leaves Segments unset.
        long segments = packet.Segments == 0 ? 1 : packet.Segments;
        if (fromLow)
        {
            entry.LowPackets++;
            entry.LowBytes += packet.IpLength;
            entry.LowSegments += segments;
        }
        else
        {
            entry.HighPackets++;
            entry.HighBytes += packet.IpLength;
            entry.HighSegments += segments;
        }

        entry.NonFirstFragmentsOnly &= packet.IsNonFirstFragment;

        // Min/max rather than first/last: captures are not strictly time-ordered.
        long ts = packet.TimestampMicros;
        if (ts < entry.StartMicros) entry.StartMicros = ts;
        if (ts > entry.EndMicros) entry.EndMicros = ts;

        NoteControl(ref entry, packet.Protocol, fromLow, packet.TcpFlags, packet.IcmpType, packet.IcmpCode);
    }

    /// <summary>
    /// What packets and kernel aggregates both tell about a flow's state: TCP flags (FIN per side, RST)
    /// and each side's first ICMP type and code.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void NoteControl(ref FlowEntry entry, byte protocol, bool fromLow, byte tcpFlags, byte icmpType, byte icmpCode)
    {
        switch (protocol)
        {
            case IpProtocol.Tcp:
                entry.TcpFlags |= tcpFlags;
                if ((tcpFlags & Fin) != 0) entry.TcpState |= fromLow ? FlowEntry.FinFromLow : FlowEntry.FinFromHigh;
                if ((tcpFlags & Rst) != 0) entry.TcpState |= FlowEntry.RstSeen;
                break;
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                byte side = fromLow ? FlowEntry.IcmpSeenFromLow : FlowEntry.IcmpSeenFromHigh;
                if ((entry.IcmpSeen & side) == 0)
                {
                    entry.IcmpSeen |= side;
                    if (fromLow)
                    {
                        entry.IcmpTypeFromLow = icmpType;
                        entry.IcmpCodeFromLow = icmpCode;
                    }
                    else
                    {
                        entry.IcmpTypeFromHigh = icmpType;
                        entry.IcmpCodeFromHigh = icmpCode;
                    }
                }
                break;
        }
    }

    private static TimeoutClass ClassOf(ref FlowEntry entry)
    {
        switch (entry.Key.Protocol)
        {
            case IpProtocol.Tcp:
                const byte bothFins = FlowEntry.FinFromLow | FlowEntry.FinFromHigh;
                bool closing = (entry.TcpState & FlowEntry.RstSeen) != 0 || (entry.TcpState & bothFins) == bothFins;
                return closing ? TimeoutClass.TcpClosing : TimeoutClass.TcpOpen;
            case IpProtocol.Udp:
                return TimeoutClass.Udp;
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                return TimeoutClass.Icmp;
            default:
                return TimeoutClass.Other;
        }
    }

    /// <summary>Marks the flow as just seen: stamps it with the table clock and moves it to the newest end of its class list.</summary>
    private void Touch(int slot, ref FlowEntry entry)
    {
        entry.TouchMicros = _clock;
        TimeoutClass target = ClassOf(ref entry);
        if (entry.Linked)
        {
            if (entry.List == target && _newest[(int)target] == slot) return;
            Unlink(slot, ref entry);
        }
        int list = (int)target;
        int head = _newest[list];
        entry.List = target;
        entry.Linked = true;
        entry.Newer = None;
        entry.Older = head;
        if (head != None) _entries[head].Newer = slot;
        else _oldest[list] = slot;
        _newest[list] = slot;
    }

    private void Unlink(int slot, ref FlowEntry entry)
    {
        int list = (int)entry.List;
        if (entry.Newer != None) _entries[entry.Newer].Older = entry.Older;
        else _newest[list] = entry.Older;
        if (entry.Older != None) _entries[entry.Older].Newer = entry.Newer;
        else _oldest[list] = entry.Newer;
        entry.Newer = entry.Older = None;
        entry.Linked = false;
    }

    private static FlowRecord ToRecord(ref FlowEntry entry, FlowEndReason reason)
    {
        bool low = entry.InitiatorIsLow;
        FlowKey key = entry.Key;
        (byte icmpType, byte icmpCode) = InitiatorIcmp(ref entry);
        return new FlowRecord
        {
            Protocol = key.Protocol,
            SourceAddress = low ? key.LowAddress : key.HighAddress,
            SourcePort = low ? key.LowPort : key.HighPort,
            DestinationAddress = low ? key.HighAddress : key.LowAddress,
            DestinationPort = low ? key.HighPort : key.LowPort,
            Packets = low ? entry.LowPackets : entry.HighPackets,
            Bytes = low ? entry.LowBytes : entry.HighBytes,
            Segments = low ? entry.LowSegments : entry.HighSegments,
            ReversePackets = low ? entry.HighPackets : entry.LowPackets,
            ReverseBytes = low ? entry.HighBytes : entry.LowBytes,
            ReverseSegments = low ? entry.HighSegments : entry.LowSegments,
            StartMicros = entry.StartMicros,
            EndMicros = entry.EndMicros,
            TcpFlags = entry.TcpFlags,
            IcmpType = icmpType,
            IcmpCode = icmpCode,
            EndReason = reason,
            NonFirstFragmentsOnly = entry.NonFirstFragmentsOnly,
        };
    }

    /// <summary>
    /// The initiator's first ICMP type/code. When only the responder's reply was captured, the
    /// request that reply answers (code 0), so the record still names the exchange the same way
    /// (and yields the same Community ID) as if the request had been seen.
    /// </summary>
    private static (byte Type, byte Code) InitiatorIcmp(ref FlowEntry entry)
    {
        bool low = entry.InitiatorIsLow;
        byte initiatorSide = low ? FlowEntry.IcmpSeenFromLow : FlowEntry.IcmpSeenFromHigh;
        if ((entry.IcmpSeen & initiatorSide) != 0)
            return low ? (entry.IcmpTypeFromLow, entry.IcmpCodeFromLow) : (entry.IcmpTypeFromHigh, entry.IcmpCodeFromHigh);
        if (entry.IcmpSeen == 0) return (0, 0);
        (byte type, byte code) = low ? (entry.IcmpTypeFromHigh, entry.IcmpCodeFromHigh) : (entry.IcmpTypeFromLow, entry.IcmpCodeFromLow);
        return IcmpTypes.TryGetCounterpart(entry.Key.Protocol, type, out byte request) ? (request, (byte)0) : (type, code);
    }

    private static long PositiveMicros(TimeSpan value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, name);
        return UnixMicros.FromDuration(value);
    }

    /// <summary>
    /// Test hook: checks that every list is consistently double-linked, sorted newest to oldest,
    /// holds only flows of its class, and that lists and index agree with <see cref="Count"/>.
    /// </summary>
    internal void AssertConsistent()
    {
        int linked = 0;
        for (int list = 0; list < ListCount; list++)
        {
            int previous = None;
            long previousTouch = long.MaxValue;
            for (int slot = _newest[list]; slot != None; slot = _entries[slot].Older)
            {
                ref FlowEntry entry = ref _entries[slot];
                if (!entry.Linked || (int)entry.List != list) throw new InvalidOperationException($"slot {slot} is on list {list} but says {entry.List}");
                if (entry.Newer != previous) throw new InvalidOperationException($"slot {slot} has a broken back link");
                if (entry.TouchMicros > previousTouch) throw new InvalidOperationException($"list {list} is out of order at slot {slot}");
                if ((int)ClassOf(ref entry) != list) throw new InvalidOperationException($"slot {slot} belongs on list {ClassOf(ref entry)}");
                if (_index.Find(in entry.Key, _entries) != slot) throw new InvalidOperationException($"slot {slot} is not indexed");
                previous = slot;
                previousTouch = entry.TouchMicros;
                if (++linked > Count) throw new InvalidOperationException("more linked entries than Count (cycle?)");
            }
            if (_oldest[list] != previous) throw new InvalidOperationException($"list {list} tail is wrong");
        }
        if (linked != Count || _index.Count != Count) throw new InvalidOperationException($"linked {linked}, indexed {_index.Count}, Count {Count}");
    }
}

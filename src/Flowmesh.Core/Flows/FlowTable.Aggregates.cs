using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Pre-aggregated input (<see cref="FlowAggregate"/>, e.g. drained from the eBPF flow map), applied with the
/// same rules as packets so both paths produce the same records:
/// <list type="bullet">
/// <item>Initiator of a new record: the endpoint that sent a TCP SYN without ACK; otherwise the endpoint
/// whose first packet is the earliest, except that the receiver initiated when that first sender's
/// traffic is a TCP SYN+ACK or its first ICMP message is a reply. A guessed TCP initiator is settled
/// by a later aggregate in which one side sent a pure SYN.</item>
/// <item>Idle gap: an aggregate whose first packet comes at least the flow's idle (or closing) timeout
/// after the flow was last seen ends the old record first, as the packet path's expiry would have.</item>
/// <item>Port reuse: a pure SYN on a flow that saw FIN or RST ends the old record.</item>
/// <item>Active timeout: an aggregate whose last packet is at least the active timeout after the
/// record's start emits the record and is counted in a fresh one.</item>
/// </list>
/// Packets, bytes and segments are conserved exactly; what differs from packet-by-packet input is only
/// where a record boundary falls when it lies inside one aggregation window (the whole window goes to
/// one side of it).
/// </summary>
public sealed partial class FlowTable
{
    /// <summary>
    /// Adds a batch (one drain), sorted in place by each aggregate's last packet first, so flows are
    /// stamped with their own last-seen time and the idle lists stay in order.
    /// </summary>
    public void ObserveAggregates(Span<FlowAggregate> aggregates)
    {
        aggregates.Sort(static (a, b) => a.LastMicros.CompareTo(b.LastMicros));
        foreach (ref readonly FlowAggregate aggregate in aggregates) ObserveAggregate(in aggregate);
    }

    /// <summary>Adds one flow's traffic over a window. An aggregate without packets is ignored.</summary>
    public void ObserveAggregate(in FlowAggregate aggregate)
    {
        if (aggregate.FromLow.Packets <= 0 && aggregate.FromHigh.Packets <= 0) return;
        FlowAggregate normalized = Normalized(in aggregate);
        ref readonly FlowAggregate input = ref normalized;
        long first = input.FirstMicros, last = input.LastMicros;
        if (last > _clock) _clock = last;

        int slot = _index.Find(input.Key, _entries);
        if (slot < 0)
        {
            InsertAggregate(in input);
            return;
        }

        ref FlowEntry entry = ref _entries[slot];
        TimeoutClass timeoutClass = ClassOf(ref entry);
        if (first - entry.TouchMicros >= _listTimeoutMicros[(int)timeoutClass])
        {
            End(slot, timeoutClass == TimeoutClass.TcpClosing ? FlowEndReason.EndOfFlow : FlowEndReason.IdleTimeout);
            InsertAggregate(in input);
            return;
        }

        bool tcp = input.Key.Protocol == IpProtocol.Tcp;
        bool synFromLow = tcp && input.FromLow.Packets > 0 && input.FromLow.SentSynWithoutAck;
        bool synFromHigh = tcp && input.FromHigh.Packets > 0 && input.FromHigh.SentSynWithoutAck;
        bool pureSyn = synFromLow || synFromHigh;
        if (pureSyn && (entry.TcpState & (FlowEntry.FinFromLow | FlowEntry.FinFromHigh | FlowEntry.RstSeen)) != 0)
        {
            // A new connection on a reused port: the old one is over. Its unexported remainder goes out first and
            // the mark is cleared, as on the packet path: the new record's counters restart at zero.
            EmitRemainder(slot, ref entry);
            FlowRecord ended = ToRecord(ref entry, FlowEndReason.EndOfFlow);
            StartAggregateRecord(ref entry, in input);
            AccountAggregate(ref entry, in input);
            Touch(slot, ref entry);
            Deliver(ended);
            return;
        }

        if (pureSyn && entry.InitiatorGuessed)
        {
            entry.InitiatorIsLow = synFromLow != synFromHigh ? synFromLow : LowSentFirst(in input);
            entry.InitiatorGuessed = false;
        }

        FlowRecord? expired = null;
        if (last - entry.StartMicros >= _activeTimeoutMicros)
        {
            EmitRemainder(slot, ref entry);
            expired = ToRecord(ref entry, FlowEndReason.ActiveTimeout);
            RestartCounters(ref entry, first);
        }

        AccountAggregate(ref entry, in input);
        Touch(slot, ref entry);
        if (expired is not null) Deliver(expired);
    }

    private void InsertAggregate(in FlowAggregate aggregate)
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
        entry.Key = aggregate.Key;
        StartAggregateRecord(ref entry, in aggregate);
        AccountAggregate(ref entry, in aggregate);
        _index.Add(aggregate.Key, slot);
        Count++;
        Touch(slot, ref entry);
    }

    /// <summary>Begins a new record from an aggregate and decides who initiated it (see the class remarks).</summary>
    private static void StartAggregateRecord(ref FlowEntry entry, in FlowAggregate aggregate)
    {
        bool lowFirst = LowSentFirst(in aggregate);
        ref readonly FlowAggregateDirection firstSender = ref lowFirst ? ref aggregate.FromLow : ref aggregate.FromHigh;
        bool lowInitiates = lowFirst;
        bool guessed = false;
        switch (aggregate.Key.Protocol)
        {
            case IpProtocol.Tcp:
                bool synFromLow = aggregate.FromLow.Packets > 0 && aggregate.FromLow.SentSynWithoutAck;
                bool synFromHigh = aggregate.FromHigh.Packets > 0 && aggregate.FromHigh.SentSynWithoutAck;
                if (synFromLow != synFromHigh) lowInitiates = synFromLow;
                else if (!synFromLow)
                {
                    guessed = true;
                    // SYN without a pure SYN from that side means SYN+ACK: the capture joined mid-handshake.
                    if ((firstSender.TcpFlags & Syn) != 0) lowInitiates = !lowFirst;
                }
                break;
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                if (IcmpTypes.IsReply(aggregate.Key.Protocol, firstSender.IcmpType)) lowInitiates = !lowFirst;
                break;
        }
        entry.InitiatorIsLow = lowInitiates;
        entry.InitiatorGuessed = guessed;
        entry.TcpState = 0;
        entry.IcmpSeen = 0;
        RestartCounters(ref entry, aggregate.FirstMicros);
    }

    private static void AccountAggregate(ref FlowEntry entry, in FlowAggregate aggregate)
    {
        if (aggregate.FromLow.Packets > 0) AccountDirection(ref entry, fromLow: true, aggregate.Key.Protocol, in aggregate.FromLow);
        if (aggregate.FromHigh.Packets > 0) AccountDirection(ref entry, fromLow: false, aggregate.Key.Protocol, in aggregate.FromHigh);
    }

    private static void AccountDirection(ref FlowEntry entry, bool fromLow, byte protocol, in FlowAggregateDirection sent)
    {
        // Every observed packet is at least one segment, as in the packet path.
        long segments = Math.Max(sent.Segments, sent.Packets);
        if (fromLow)
        {
            entry.LowPackets += sent.Packets;
            entry.LowBytes += sent.Bytes;
            entry.LowSegments += segments;
        }
        else
        {
            entry.HighPackets += sent.Packets;
            entry.HighBytes += sent.Bytes;
            entry.HighSegments += segments;
        }
        if (sent.FirstMicros < entry.StartMicros) entry.StartMicros = sent.FirstMicros;
        if (sent.LastMicros > entry.EndMicros) entry.EndMicros = sent.LastMicros;

        NoteControl(ref entry, protocol, fromLow, sent.TcpFlags, sent.IcmpType, sent.IcmpCode);
    }

    /// <summary>Whether the low endpoint's first packet is the aggregate's earliest (ties go to low: the order inside a window is unknown).</summary>
    private static bool LowSentFirst(in FlowAggregate aggregate)
    {
        if (aggregate.FromHigh.Packets <= 0) return true;
        if (aggregate.FromLow.Packets <= 0) return false;
        return aggregate.FromLow.FirstMicros <= aggregate.FromHigh.FirstMicros;
    }

    /// <summary>
    /// The key as <see cref="Observe"/> would build it: ICMP ports zeroed (all ICMP between two hosts is one flow)
    /// and, should a caller hand over a key that is not normalized, directions swapped to match.
    /// </summary>
    private static FlowAggregate Normalized(in FlowAggregate aggregate)
    {
        FlowKey key = aggregate.Key;
        bool icmp = IpProtocol.IsIcmp(key.Protocol);
        FlowKey normalized = FlowKey.FromDirected(
            key.LowAddress, icmp ? (ushort)0 : key.LowPort, key.HighAddress, icmp ? (ushort)0 : key.HighPort, key.Protocol, out bool lowStaysLow);
        if (lowStaysLow && normalized == key) return aggregate;
        return new FlowAggregate
        {
            Key = normalized,
            FromLow = lowStaysLow ? aggregate.FromLow : aggregate.FromHigh,
            FromHigh = lowStaysLow ? aggregate.FromHigh : aggregate.FromLow,
        };
    }
}

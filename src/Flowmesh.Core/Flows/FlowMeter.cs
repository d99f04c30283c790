using Flowmesh.Core.Dns;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Flows;

/// <summary>
/// Frames in, flow records out: decodes each frame, counts what could not be decoded, feeds the
/// rest to a <see cref="FlowTable"/> and advances its clock. Every capture source drives one of these.
/// Not thread-safe: one capture loop owns it.
/// </summary>
public sealed class FlowMeter
{
    private const long ExpiryIntervalMicros = 1_000_000;
    private PacketInfo _packet;
    private long _nextExpiryMicros = long.MinValue;

    public FlowMeter(FlowTableOptions options, Action<FlowRecord> onFlowEnd)
    {
        Table = new FlowTable(options, onFlowEnd);
    }

    public FlowTable Table { get; }
    public DecodeCounters DecodeFailures { get; } = new();

    /// <summary>
    /// Reads the DNS messages among the frames this meter decodes (the DNS host-context source with libpcap and files);
    /// null: none. Other packets cost one null check.
    /// </summary>
    public DnsTrafficMonitor? DnsMonitor { get; set; }

    /// <summary>Frames handed to <see cref="ObservePacket"/>, plus the packets of aggregates.</summary>
    public long FramesSeen { get; private set; }
    /// <summary>Frames that became flow observations.</summary>
    public long PacketsMetered { get; private set; }
    /// <summary>Newest packet time seen, microseconds since the Unix epoch.</summary>
    public long ClockMicros { get; private set; } = long.MinValue;

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        FramesSeen++;
        // The decoder resets every field of _packet itself.
        DecodeFailure failure = PacketDecoder.Decode(linkType, frame, ref _packet);
        if (failure != DecodeFailure.None)
        {
            DecodeFailures.Add(failure);
            AdvanceTime(timestampMicros);
            return;
        }
        if (_packet.TransportTruncated) DecodeFailures.Add(DecodeFailure.TruncatedTransportHeader);
        _packet.TimestampMicros = timestampMicros;
        AdvanceTime(timestampMicros);
        Table.Observe(in _packet);
        PacketsMetered++;
        if (DnsMonitor is { } dns && DnsTrafficMonitor.IsCandidate(in _packet)) dns.ObservePacket(in _packet, frame);
    }

    /// <summary>
    /// Adds one drain's pre-aggregated flows (see <see cref="FlowTable.ObserveAggregates"/>; sorts the span
    /// in place). Does not move the clock: call <see cref="AdvanceTime"/> with the drain's time afterwards,
    /// so no flow expires before every aggregate of the window has been applied.
    /// </summary>
    public void ObserveAggregates(Span<FlowAggregate> aggregates)
    {
        long packets = 0;
        foreach (ref readonly FlowAggregate aggregate in aggregates) packets += aggregate.Packets;
        FramesSeen += packets;
        PacketsMetered += packets;
        Table.ObserveAggregates(aggregates);
    }

    /// <summary>One pre-aggregated flow; as <see cref="ObserveAggregates"/>, without the sort.</summary>
    public void ObserveAggregate(in FlowAggregate aggregate)
    {
        FramesSeen += aggregate.Packets;
        PacketsMetered += aggregate.Packets;
        Table.ObserveAggregate(in aggregate);
    }

    /// <summary>
    /// Moves the clock forward (never back: captures are not strictly ordered) and expires flows
    /// at most once per second of packet time, so expiry costs nothing per packet.
    /// </summary>
    public void AdvanceTime(long nowMicros)
    {
        if (nowMicros <= ClockMicros) return;
        ClockMicros = nowMicros;
        if (nowMicros >= _nextExpiryMicros)
        {
            Table.Expire(nowMicros);
            _nextExpiryMicros = nowMicros + ExpiryIntervalMicros;
        }
    }

    /// <summary>Ends every live flow: the input is over.</summary>
    public void Flush() => Table.Flush();
}

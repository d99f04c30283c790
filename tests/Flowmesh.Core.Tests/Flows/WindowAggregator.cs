using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// Sums packets into per-flow, per-direction aggregates the way src/ebpf/flowmesh.bpf.c does between two
/// drains (first packet's time and ICMP type, OR of flags, a SYN-without-ACK bit), written independently of
/// <see cref="FlowTable"/> from the kernel program's rules.
/// </summary>
internal sealed class WindowAggregator
{
    private readonly Dictionary<FlowKey, FlowAggregate> _flows = new();

    public void Add(in PacketInfo packet)
    {
        bool icmp = packet.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6;
        var key = FlowKey.FromDirected(packet.Source, icmp ? (ushort)0 : packet.SourcePort,
            packet.Destination, icmp ? (ushort)0 : packet.DestinationPort, packet.Protocol, out bool fromLow);
        FlowAggregate aggregate = _flows.GetValueOrDefault(key);
        aggregate.Key = key;
        if (fromLow) Add(ref aggregate.FromLow, in packet);
        else Add(ref aggregate.FromHigh, in packet);
        _flows[key] = aggregate;
    }

    /// <summary>What a drain returns: every aggregate since the previous drain, then empty.</summary>
    public FlowAggregate[] Drain()
    {
        FlowAggregate[] drained = [.. _flows.Values];
        _flows.Clear();
        return drained;
    }

    private static void Add(ref FlowAggregateDirection direction, in PacketInfo packet)
    {
        if (direction.Packets == 0)
        {
            direction.FirstMicros = packet.TimestampMicros;
            direction.IcmpType = packet.IcmpType;
            direction.IcmpCode = packet.IcmpCode;
        }
        direction.Packets++;
        direction.Bytes += packet.IpLength;
        direction.Segments += packet.Segments;
        direction.LastMicros = packet.TimestampMicros;
        direction.TcpFlags |= packet.TcpFlags;
        if ((packet.TcpFlags & (TestPacket.Syn | TestPacket.Ack)) == TestPacket.Syn) direction.SentSynWithoutAck = true;
    }
}

using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;

namespace Flowmesh.Core.Tests.Views;

/// <summary>Exact answers computed directly from the generated packets: the independent truth the view is checked against.</summary>
internal sealed class ExactTruth
{
    public ExactTruth(IEnumerable<SyntheticPacket> all)
    {
        var packets = all.OrderBy(p => p.Micros).ToList();
        Packets = packets;
        Bytes = (ulong)packets.Sum(p => (long)p.IpLength);
        PacketCount = (ulong)packets.Count;
        // The initiator of a flow is the sender of its first packet (every TCP flow here starts with a SYN).
        var initiators = new Dictionary<(byte, IpAddress128, int, IpAddress128, int), (IpAddress128, int, IpAddress128, int)>();
        foreach (var p in packets)
        {
            var s = ViewTraffic.Ip(p.Source);
            var d = ViewTraffic.Ip(p.Destination);
            var forward = (p.Protocol, s, p.SourcePort, d, p.DestinationPort);
            var backward = (p.Protocol, d, p.DestinationPort, s, p.SourcePort);
            if (!initiators.ContainsKey(forward) && !initiators.ContainsKey(backward)) initiators[forward] = (s, p.SourcePort, d, p.DestinationPort);
            var oriented = initiators.TryGetValue(forward, out var f) ? f : initiators[backward];
            Flows[(p.Protocol, oriented.Item1, oriented.Item2, oriented.Item3, oriented.Item4)] = Add(Flows, (p.Protocol, oriented.Item1, oriented.Item2, oriented.Item3, oriented.Item4), p);
            Ports[(p.Protocol, oriented.Item4)] = Add(Ports, (p.Protocol, oriented.Item4), p);
            Talkers[s] = Add(Talkers, s, p);
            Destinations[d] = Add(Destinations, d, p);
            Pairs[(s, d)] = Add(Pairs, (s, d), p);
        }
    }

    public List<SyntheticPacket> Packets { get; }
    public ulong Bytes { get; }
    public ulong PacketCount { get; }
    public Dictionary<IpAddress128, (ulong Bytes, ulong Packets)> Talkers { get; } = [];
    public Dictionary<IpAddress128, (ulong Bytes, ulong Packets)> Destinations { get; } = [];
    public Dictionary<(IpAddress128, IpAddress128), (ulong Bytes, ulong Packets)> Pairs { get; } = [];
    public Dictionary<(byte, IpAddress128, int, IpAddress128, int), (ulong Bytes, ulong Packets)> Flows { get; } = [];
    public Dictionary<(byte, int), (ulong Bytes, ulong Packets)> Ports { get; } = [];

    public int DistinctSources => Packets.Select(p => p.Source).Distinct().Count();
    public int DistinctDestinations => Packets.Select(p => p.Destination).Distinct().Count();
    public int DistinctFlows => Flows.Count;
    public int DistinctPorts => Ports.Count;

    /// <summary>Bytes and packets sent between blocks of the given prefix lengths (of the 128-bit form).</summary>
    public Dictionary<(AddressPrefix, AddressPrefix), (ulong Bytes, ulong Packets)> Matrix(int ipv4Prefix, int ipv6Prefix)
    {
        var cells = new Dictionary<(AddressPrefix, AddressPrefix), (ulong Bytes, ulong Packets)>();
        AddressPrefix Block(IpAddress128 a) => AddressPrefix.Of(a, a.IsIPv4 ? 96 + ipv4Prefix : ipv6Prefix);
        foreach (var p in Packets)
        {
            var key = (Block(ViewTraffic.Ip(p.Source)), Block(ViewTraffic.Ip(p.Destination)));
            cells[key] = Add(cells, key, p);
        }
        return cells;
    }

    private static (ulong Bytes, ulong Packets) Add<TKey>(Dictionary<TKey, (ulong Bytes, ulong Packets)> map, TKey key, SyntheticPacket p) where TKey : notnull
    {
        var current = map.GetValueOrDefault(key);
        return (current.Bytes + (ulong)p.IpLength, current.Packets + 1);
    }

    public static ulong Pick((ulong Bytes, ulong Packets) value, TrafficMeasure measure) => measure == TrafficMeasure.Bytes ? value.Bytes : value.Packets;
}

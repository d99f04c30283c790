using System.Collections.Frozen;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Recognizes Flowmesh's own traffic: a TCP or UDP flow with one end at a known Flowmesh endpoint (every member's
/// gossip address and port, which also carries record sync and drill-down queries, and the LAN discovery group).
/// Such flows are counted like any other; records also total them on their own ("monitor traffic", docs/epoch-records.md)
/// so a user can see what the monitor costs the network. The agent replaces the endpoints when membership changes
/// (<see cref="Update"/>, thread-safe); matching allocates nothing.
/// </summary>
public sealed class MonitorTrafficFilter
{
    private FrozenSet<(IpAddress128 Address, ushort Port)> _endpoints = FrozenSet<(IpAddress128, ushort)>.Empty;

    public MonitorTrafficFilter()
    {
    }

    public MonitorTrafficFilter(IEnumerable<(IpAddress128 Address, ushort Port)> endpoints) => Update(endpoints);

    public int Count => Volatile.Read(ref _endpoints).Count;

    public void Update(IEnumerable<(IpAddress128 Address, ushort Port)> endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        Volatile.Write(ref _endpoints, endpoints.ToFrozenSet());
    }

    public bool Matches(in FlowTableDelta flow) =>
        Matches(flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);

    public bool Matches(byte protocol, IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort)
    {
        if (protocol is not (IpProtocol.Tcp or IpProtocol.Udp)) return false;
        var set = Volatile.Read(ref _endpoints);
        return set.Count > 0 && (set.Contains((source, sourcePort)) || set.Contains((destination, destinationPort)));
    }
}

using System.Net;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Discovery;

/// <summary>A node of our cluster heard on the LAN: its id and where its gossip listens. The agent joins <see cref="GossipAddress"/>.</summary>
public sealed record DiscoveredPeer(NodeId Id, IPEndPoint GossipEndpoint, string Interface)
{
    public GossipAddress GossipAddress => new(GossipEndpoint.ToString());
}

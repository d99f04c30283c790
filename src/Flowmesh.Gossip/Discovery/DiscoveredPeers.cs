using System.Net;

namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// Decides whether a heard node is news. A node is reported when first heard, when its gossip endpoint changed, and
/// (if the membership says it is not a member) again after <see cref="LanDiscoveryOptions.RereportInterval"/>, so a
/// lost join or a reaped member gets another chance without a join per beacon. At most
/// <see cref="LanDiscoveryOptions.MaxTrackedNodes"/> nodes are remembered, least recently heard forgotten first,
/// so a flood of distinct (key-holding) ids cannot grow memory. Not thread-safe: the receive loop owns it.
/// </summary>
internal sealed class DiscoveredPeers(int capacity, TimeSpan rereportInterval)
{
    private readonly Dictionary<NodeId, LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();

    public int Count => _entries.Count;

    public bool ShouldReport(NodeId id, IPEndPoint endpoint, bool isMember, TimeSpan now)
    {
        if (_entries.TryGetValue(id, out var node))
        {
            _recency.Remove(node);
            _recency.AddLast(node);
            var e = node.Value;
            if (!e.Endpoint.Equals(endpoint) || (!isMember && now - e.ReportedAt >= rereportInterval))
            {
                e.Endpoint = endpoint;
                e.ReportedAt = now;
                return true;
            }
            return false;
        }
        if (_entries.Count >= capacity)
        {
            _entries.Remove(_recency.First!.Value.Id);
            _recency.RemoveFirst();
        }
        _entries[id] = _recency.AddLast(new Entry(id) { Endpoint = endpoint, ReportedAt = now });
        return !isMember;
    }

    private sealed class Entry(NodeId id)
    {
        public NodeId Id { get; } = id;
        public required IPEndPoint Endpoint { get; set; }
        public TimeSpan ReportedAt { get; set; }
    }
}

namespace Flowmesh.Gossip.Membership;

/// <summary>
/// SWIM's round-robin probe selection: a shuffled pass over all members, reshuffled when exhausted. Unlike purely
/// random picks it bounds the time until a failed member is probed by every node (one pass of N intervals).
/// </summary>
internal sealed class ProbeOrder(Random random)
{
    private readonly List<NodeId> _order = [];
    private int _next;

    public Member? Next(IEnumerable<Member> members, NodeId self)
    {
        var byId = members.Where(m => m.Id != self && m.State is MemberState.Alive or MemberState.Suspect)
            .ToDictionary(m => m.Id);
        if (byId.Count == 0) return null;
        for (var attempts = 0; attempts < 2; attempts++)
        {
            while (_next < _order.Count)
            {
                if (byId.TryGetValue(_order[_next++], out var m)) return m;
            }
            // Pass complete: start a new shuffled pass that includes members learned since.
            _order.Clear();
            _order.AddRange(byId.Keys.OrderBy(k => k.Value, StringComparer.Ordinal));
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_order));
            _next = 0;
        }
        return null;
    }
}

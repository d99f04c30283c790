using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>Three real peers (UDP + TCP on loopback), the rogue, and a log of every state any peer saw.</summary>
internal sealed class InsiderCluster(IReadOnlyList<GossipPeer> peers, RogueGossipSender rogue)
{
    private readonly List<(NodeId Observer, Member Member)> _seen = [];

    public IReadOnlyList<GossipPeer> Peers { get; } = peers;
    public RogueGossipSender Rogue { get; } = rogue;

    /// <summary>The attacks' target: an ordinary member, not the seed.</summary>
    public GossipPeer Victim => Peers[1];
    public IEnumerable<GossipPeer> Others => Peers.Where(p => p != Victim);

    public void Watch()
    {
        foreach (var p in Peers)
        {
            var observer = p.Id;
            p.MemberChanged += m => { lock (_seen) _seen.Add((observer, m)); };
        }
    }

    public bool AnyoneSaw(NodeId node, MemberState state)
    {
        lock (_seen) return _seen.Any(s => s.Member.Id == node && s.Member.State == state);
    }

    public Member? ViewOf(GossipPeer viewer, GossipPeer subject) => viewer.Members.FirstOrDefault(m => m.Id == subject.Id);

    public uint VictimIncarnation => ViewOf(Victim, Victim)!.Incarnation;

    public long Sum(Func<GossipPeer, long> counter) => Peers.Sum(counter);

    public bool FullMembership => Peers.All(p => Peers.All(o => ViewOf(p, o)?.State == MemberState.Alive));
}

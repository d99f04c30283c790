namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Forgets dead and left members after <see cref="MembershipOptions.DeadMemberRetention"/>, so the member list is
/// bounded by the live members plus the churn of one retention period instead of growing with every node that ever
/// passed through (memberlist drops dead nodes after GossipToTheDead; Serf keeps them longer for its reconnects).
/// Until then a dead member still gets gossip (for <see cref="MembershipOptions.GossipToTheDeadTime"/>) and may be
/// picked for push-pull, which is how partitions heal; afterwards only a new <c>Alive</c> (a restart, a rejoin, LAN
/// discovery) brings it back, and it is then admitted like any newcomer.
/// </summary>
internal static class MemberReaper
{
    /// <summary>Members whose Dead/Left state is at least <paramref name="retention"/> old, never <paramref name="self"/>.</summary>
    public static List<Member> Expired(IEnumerable<Member> members, NodeId self, TimeSpan now, TimeSpan retention)
    {
        var expired = new List<Member>();
        foreach (var m in members)
            if (m.Id != self && m.State is MemberState.Dead or MemberState.Left && now - m.StateChangedAt >= retention)
                expired.Add(m);
        return expired;
    }
}

using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// One member as saved in the membership snapshot. <see cref="StateSince"/> is wall-clock time, because the
/// node clock of <see cref="Member.StateChangedAt"/> restarts with the process.
/// </summary>
public sealed record PersistedMember(NodeId Id, GossipAddress Address, uint Incarnation, MemberState State, DateTimeOffset StateSince)
{
    /// <summary>Converts a live member; <paramref name="nodeNow"/> is the membership clock's now, <paramref name="wallNow"/> the same instant on the wall clock.</summary>
    public static PersistedMember From(Member member, TimeSpan nodeNow, DateTimeOffset wallNow)
    {
        ArgumentNullException.ThrowIfNull(member);
        var age = nodeNow - member.StateChangedAt;
        return new PersistedMember(member.Id, member.Address, member.Incarnation, member.State, wallNow - (age < TimeSpan.Zero ? TimeSpan.Zero : age));
    }
}

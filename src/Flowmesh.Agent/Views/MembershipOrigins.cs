using Flowmesh.Core.Views;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Agent.Views;

/// <summary>The expected origins of the view from membership: every member with its state, this node always alive.</summary>
internal static class MembershipOrigins
{
    public static IReadOnlyList<ExpectedOrigin> Of(IEnumerable<Member> members, string self)
    {
        var result = new List<ExpectedOrigin> { new(self, Core.Views.MemberState.Alive) };
        foreach (var m in members)
        {
            string name = m.Id.Value;
            if (name == self) continue; // this node is alive as long as it answers
            result.Add(new ExpectedOrigin(name, m.State switch
            {
                Gossip.Membership.MemberState.Alive => Core.Views.MemberState.Alive,
                Gossip.Membership.MemberState.Suspect => Core.Views.MemberState.Suspect,
                Gossip.Membership.MemberState.Dead => Core.Views.MemberState.Dead,
                _ => Core.Views.MemberState.Left,
            }));
        }
        return result;
    }
}

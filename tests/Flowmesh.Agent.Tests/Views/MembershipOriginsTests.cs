using Flowmesh.Agent.ViewSources;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Tests.Views;

public sealed class MembershipOriginsTests
{
    [Fact]
    public void EveryMemberWithItsStateAndSelfAlwaysAlive()
    {
        Member M(string name, MemberState state) => new(new NodeId(name), new GossipAddress("10.0.0.1:7946"), 1, state, TimeSpan.Zero);
        var origins = MembershipOrigins.Of([M("a", MemberState.Suspect), M("b", MemberState.Alive), M("c", MemberState.Dead), M("d", MemberState.Left)], self: "a");
        Assert.Equal([("a", OriginLiveness.Alive), ("b", OriginLiveness.Alive), ("c", OriginLiveness.Dead), ("d", OriginLiveness.Left)],
            origins.Select(o => (o.Origin, o.State)));
        Assert.False(origins[3].IsExpected);
    }
}

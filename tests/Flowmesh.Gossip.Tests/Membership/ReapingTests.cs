using Flowmesh.Gossip.Membership;
using static Flowmesh.Gossip.Tests.Membership.SimulatedCluster;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class ReapingTests(ITestOutputHelper output)
{
    private static readonly MembershipOptions Options = MembershipOptions.Lan() with
    {
        GossipToTheDeadTime = TimeSpan.FromSeconds(10),
        DeadMemberRetention = TimeSpan.FromSeconds(60),
    };

    [Fact]
    public void ChurnOfNewNamesKeepsEveryMemberListBoundedByRetention()
    {
        // 20 stable nodes; every 2 s for 8 minutes a node with a brand-new name joins and an earlier newcomer crashes
        // or leaves. Without reaping every list would end with all 260 names; with it a list holds the running nodes
        // plus those that went down within one retention period (plus the time to be declared dead).
        const int stable = 20;
        var (sim, _) = Converged(stable, seed: 17, Options);
        var random = new Random(17);
        var wentDown = new Dictionary<NodeId, TimeSpan>();
        var transient = new List<string>();
        var maxList = 0;
        var step = TimeSpan.FromSeconds(2);
        for (var k = 0; k < 240; k++)
        {
            var name = $"t{k:D3}";
            sim.AddNode(name).Join(new GossipAddress(Name(0)));
            transient.Add(name);
            if (transient.Count > 5)
            {
                var victim = transient[random.Next(transient.Count - 1)]; // never the one that just joined
                transient.Remove(victim);
                if (random.Next(2) == 0) sim[victim].Leave(); else sim.Kill(victim);
                wentDown[new NodeId(victim)] = sim.Clock.Now;
            }
            sim.Clock.RunFor(step);

            // Independent truth: a listed member that is down must have gone down recently. Bound = retention + the
            // worst-case crash detection at this size (2 probe intervals + max suspicion + spread) + one reap tick.
            var now = sim.Clock.Now;
            var bound = Options.DeadMemberRetention + 2 * Options.ProbeInterval + Options.SuspicionMaxTimeout(30)
                + TimeSpan.FromSeconds(5) + Options.ProbeInterval * Options.AwarenessMaxMultiplier;
            foreach (var node in sim.Nodes.Where(x => x.IsRunning))
            {
                maxList = Math.Max(maxList, node.Members.Count);
                foreach (var m in node.Members)
                    if (wentDown.TryGetValue(m.Id, out var downAt))
                        Assert.True(now - downAt <= bound, $"{node.Id} still lists {m.Id} ({m.State}) {(now - downAt).TotalSeconds:F0} s after it went down");
            }
        }
        var stableNode = sim[Name(1)];
        output.WriteLine($"260 names passed through; largest list {maxList}; n001 reaped {stableNode.Counters.MembersReaped}, holds {stableNode.Members.Count}");
        Assert.True(stableNode.Counters.MembersReaped >= 200, $"reaped {stableNode.Counters.MembersReaped}");
        // Down at most 60 s + detection ≈ 30–70 nodes at one per 2 s; far below the 260 an unreaped list would hold.
        Assert.InRange(maxList, stable + 5, stable + 6 + 70);
    }

    [Fact]
    public void AReapedNodeThatComesBackIsAdmittedAgain()
    {
        var (sim, _) = Converged(8, seed: 23, Options);
        var gone = sim[Name(5)].Id;
        var reaped = new List<(NodeId Observer, Member Member)>();
        foreach (var node in sim.Nodes)
        {
            var observer = node.Id;
            node.MemberReaped += m => reaped.Add((observer, m));
        }
        sim.Kill(Name(5));
        var forgotten = sim.Clock.RunUntil(() => sim.Nodes.Where(x => x.IsRunning).All(x => x.Find(gone) is null),
            TimeSpan.FromMinutes(3), Step);
        Assert.NotNull(forgotten);
        Assert.Equal(7, reaped.Count(r => r.Member.Id == gone && r.Member.State == MemberState.Dead));
        Assert.True(forgotten >= Options.DeadMemberRetention, "reaped before the retention elapsed");

        var back = sim.Restart(Name(5), seed: Name(0));
        Assert.NotNull(sim.Clock.RunUntil(() => AllSeeAllAlive(sim), TimeSpan.FromSeconds(30), Step));
        Assert.All(sim.Nodes, x => Assert.Equal(MemberState.Alive, x.Find(gone)!.State));
        // It stays: nobody's stale "dead" resurrects or kills it.
        sim.Clock.RunFor(TimeSpan.FromMinutes(2));
        Assert.True(AllSeeAllAlive(sim));
        Assert.Equal(8, back.Members.Count);
    }

    [Fact]
    public void LeftMembersAreReapedToo()
    {
        var (sim, _) = Converged(6, seed: 29, Options);
        var leaver = sim[Name(3)];
        leaver.Leave();
        Assert.NotNull(sim.Clock.RunUntil(() => Seeing(sim, leaver.Id, MemberState.Left) == 5, TimeSpan.FromSeconds(10), Step));
        sim.Clock.RunFor(Options.DeadMemberRetention - TimeSpan.FromSeconds(5));
        Assert.Equal(5, Seeing(sim, leaver.Id, MemberState.Left)); // still shown while retained
        sim.Clock.RunFor(TimeSpan.FromSeconds(15));
        Assert.All(sim.Nodes.Where(x => x.IsRunning), x => Assert.Null(x.Find(leaver.Id)));
    }
}

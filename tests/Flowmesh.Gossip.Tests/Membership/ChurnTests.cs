using Flowmesh.Gossip.Membership;
using static Flowmesh.Gossip.Tests.Membership.SimulatedCluster;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class ChurnTests(ITestOutputHelper output)
{
    [Fact]
    public void AfterChurnEveryRunningNodeAgreesOnWhoIsUp()
    {
        const int n = 60;
        var (sim, _) = Converged(n, seed: 81);
        sim.Churn(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(2), seed: Name(0));
        sim.Clock.RunFor(sim.Membership.LeavePropagateTime); // a node that began leaving at the last step is gone now
        var running = sim.Nodes.Where(x => x.IsRunning).ToList();
        var down = sim.Nodes.Where(x => !x.IsRunning).Select(x => x.Id).ToList();
        Assert.NotEmpty(down);
        Assert.Contains(running, x => x.Incarnation > 0); // some restarted node had to outbid its old death or leave
        var took = sim.Clock.RunUntil(() =>
            running.All(obs => running.All(r => obs.Find(r.Id)?.State == MemberState.Alive)
                && down.All(d => obs.Find(d)?.State is MemberState.Dead or MemberState.Left or null)),
            TimeSpan.FromMinutes(2), Step);
        output.WriteLine($"after 60 s of churn ({running.Count} up, {down.Count} down) views agreed {took?.TotalSeconds:F1} s after that");
        Assert.NotNull(took);
    }
}

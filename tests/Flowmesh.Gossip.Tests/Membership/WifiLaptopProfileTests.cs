using Flowmesh.Gossip.Membership;
using static Flowmesh.Gossip.Tests.Membership.SimulatedCluster;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>The Wi-Fi laptop profile: tolerant of heavy loss and dozing radios, still detects a real crash.</summary>
public sealed class WifiLaptopProfileTests(ITestOutputHelper output)
{
    [Fact]
    public void TenPercentLossGivesNoFalseDead()
    {
        const int n = 60;
        var (sim, _) = Converged(n, seed: 71, MembershipOptions.WifiLaptop());
        var changes = RecordChanges(sim);
        sim.LossRate = 0.10;
        sim.Clock.RunFor(TimeSpan.FromMinutes(3));
        var suspicions = changes.Where(c => c.Member.State == MemberState.Suspect).Select(c => (c.Member.Id, c.Member.Incarnation)).Distinct().Count();
        output.WriteLine($"Wi-Fi profile, 10 % loss, {n} nodes, 3 min: {suspicions} distinct suspicions, all refuted");
        Assert.DoesNotContain(changes, c => c.Member.State == MemberState.Dead);
    }

    [Fact]
    public void DozingLaptopRefutesInsteadOfDying()
    {
        const int n = 30;
        var (sim, _) = Converged(n, seed: 72, MembershipOptions.WifiLaptop());
        sim.Clock.RunFor(TimeSpan.FromSeconds(20));
        var changes = RecordChanges(sim);
        // 8 s of radio silence (power save, a roaming hand-over) is below the profile's minimum suspicion (14.8 s at N=30).
        sim.SetIsolated(Name(3), true);
        sim.Clock.RunFor(TimeSpan.FromSeconds(8));
        sim.SetIsolated(Name(3), false);
        sim.Clock.RunFor(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain(changes, c => c.Member.State == MemberState.Dead);
        Assert.True(AllSeeAllAlive(sim));
    }

    [Fact]
    public void CrashedLaptopIsStillDetected()
    {
        const int n = 30;
        var (sim, _) = Converged(n, seed: 73, MembershipOptions.WifiLaptop());
        var victim = new NodeId(Name(9));
        sim.Kill(victim.Value);
        var bound = SimulatorTests.DetectionBound(sim.Membership, n);
        var took = sim.Clock.RunUntil(() => Seeing(sim, victim, MemberState.Dead) == n - 1, bound, Step);
        output.WriteLine($"Wi-Fi profile: all {n - 1} saw the crash after {took?.TotalSeconds:F1} s (bound {bound.TotalSeconds:F1} s)");
        Assert.NotNull(took);
    }
}

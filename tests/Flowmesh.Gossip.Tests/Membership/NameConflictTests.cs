using Flowmesh.Gossip.Membership;
using static Flowmesh.Gossip.Tests.Membership.SimulatedCluster;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class NameConflictTests(ITestOutputHelper output)
{
    [Fact]
    public void ASecondNodeWithAnExistingNameIsDetectedCountedAndDoesNotFlap()
    {
        var (sim, _) = Converged(6, seed: 31);
        var real = sim[Name(2)];
        var conflicts = new List<(NodeId Observer, NameConflict Conflict)>();
        foreach (var node in sim.Nodes)
        {
            var observer = node.Id;
            node.NameConflictDetected += c => conflicts.Add((observer, c));
        }
        var changes = RecordChanges(sim);

        // Same name, another address: a copied config or a cloned VM.
        var impostor = sim.AddNode("impostor", real.Id);
        impostor.NameConflictDetected += c => conflicts.Add((new NodeId("impostor"), c));
        impostor.Join(new GossipAddress(Name(0)));
        sim.Clock.RunFor(TimeSpan.FromSeconds(5));
        // The real node is briefly unreachable: it gets suspected, and the impostor hears that suspicion about "its"
        // name and refutes it with a higher incarnation from its own address. Accepting that would move the name to
        // the impostor, the real node would outbid it, and so on forever.
        sim.SetIsolated(Name(2), true);
        sim.Clock.RunFor(TimeSpan.FromSeconds(3));
        sim.SetIsolated(Name(2), false);
        sim.Clock.RunFor(TimeSpan.FromSeconds(120));

        var originals = sim.Nodes.Where(x => x.Address.Value != "impostor" && x.Id != real.Id).ToList();
        Assert.All(originals, x =>
        {
            var seen = x.Find(real.Id)!;
            Assert.Equal(MemberState.Alive, seen.State);
            Assert.Equal(real.Address, seen.Address);
        });
        var lastMinute = changes.Where(c => c.Member.Id == real.Id && c.At > sim.Clock.Now - TimeSpan.FromSeconds(60)).ToList();
        Assert.Empty(lastMinute); // settled: no more state or address changes about the contested name
        Assert.InRange(real.Incarnation, 0u, 3u);
        Assert.InRange(impostor.Incarnation, 0u, 3u);

        var total = sim.Nodes.Sum(x => x.Counters.NameConflicts);
        output.WriteLine($"refused claims {total}; reports {conflicts.Count}; incarnations real {real.Incarnation} impostor {impostor.Incarnation}");
        Assert.True(total > 0);
        Assert.Contains(conflicts, c => c.Observer == Name0 && c.Conflict is { InvolvesSelf: false }
            && c.Conflict.Node == real.Id && c.Conflict.KnownAddress == real.Address && c.Conflict.ClaimedAddress == impostor.Address);
        Assert.Contains(conflicts, c => c.Conflict.InvolvesSelf); // one of the two namesakes learned its name is taken
        // Reported once per (name, address) per interval, not once per packet.
        Assert.True(conflicts.Count <= sim.Nodes.Count * 2 * 3, $"{conflicts.Count} reports");
    }

    [Fact]
    public void ADeadMembersNameMayComeBackFromANewAddress()
    {
        var (sim, _) = Converged(5, seed: 37);
        var old = sim[Name(4)];
        sim.Kill(Name(4));
        Assert.NotNull(sim.Clock.RunUntil(() => Seeing(sim, old.Id, MemberState.Dead) == 4, TimeSpan.FromSeconds(90), Step));
        // Restarted with a new DHCP lease: same name, new address.
        var moved = sim.AddNode("n004-new-lease", old.Id);
        moved.Join(new GossipAddress(Name(0)));
        Assert.NotNull(sim.Clock.RunUntil(() => sim.Nodes.Where(x => x.IsRunning && x != moved)
            .All(x => x.Find(old.Id) is { State: MemberState.Alive } m && m.Address == moved.Address), TimeSpan.FromSeconds(30), Step));
        Assert.Equal(0, sim.Nodes.Sum(x => x.Counters.NameConflicts));
    }

    private static readonly NodeId Name0 = new(Name(0));
}

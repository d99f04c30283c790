using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>Builds simulated clusters that join through one seed node and answers questions about their views.</summary>
internal static class SimulatedCluster
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    public static string Name(int i) => $"n{i:D3}";

    /// <summary>N nodes, all started at t=0 and joining through n000; returns after full convergence (fails if none).</summary>
    public static (Simulator Sim, TimeSpan ConvergedAfter) Converged(int n, int seed, MembershipOptions? options = null, double loss = 0)
    {
        var sim = new Simulator(new SimulatorOptions { Seed = seed, LossRate = loss }, options ?? MembershipOptions.Lan());
        sim.AddNode(Name(0));
        for (var i = 1; i < n; i++) sim.AddNode(Name(i)).Join(new GossipAddress(Name(0)));
        var took = sim.Clock.RunUntil(() => AllSeeAllAlive(sim), TimeSpan.FromSeconds(120), Step);
        Assert.True(took.HasValue, $"{n} nodes did not converge in 120 s");
        return (sim, took.Value);
    }

    public static bool AllSeeAllAlive(Simulator sim)
    {
        var running = sim.Nodes.Where(x => x.IsRunning).ToList();
        return running.All(node => node.Members.Count(m => m.State == MemberState.Alive) == running.Count
            && running.All(other => node.Find(other.Id)?.State == MemberState.Alive));
    }

    /// <summary>How many running nodes other than <paramref name="subject"/> see it in <paramref name="state"/>.</summary>
    public static int Seeing(Simulator sim, NodeId subject, MemberState state) =>
        sim.Nodes.Count(x => x.IsRunning && x.Id != subject && x.Find(subject)?.State == state);

    /// <summary>Records every (observer, subject, state) transition for "never dead" style assertions.</summary>
    public static List<(NodeId Observer, Member Member, TimeSpan At)> RecordChanges(Simulator sim)
    {
        var log = new List<(NodeId, Member, TimeSpan)>();
        foreach (var node in sim.Nodes)
        {
            var observer = node.Id;
            node.MemberChanged += m => log.Add((observer, m, sim.Clock.Now));
        }
        return log;
    }
}

using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>
/// Clock offsets through the real protocol: simulated nodes with set clock offsets (the independent truth) probe each
/// other, and every node must name the same wrong clocks, to within the network's latency.
/// </summary>
public sealed class ClockSimulationTests
{
    [Fact]
    public void Every_node_names_the_skewed_clocks_within_the_latency_and_they_stay_alive()
    {
        var (sim, _) = SimulatedCluster.Converged(7, seed: 15);
        var truth = new Dictionary<string, TimeSpan>
        {
            [SimulatedCluster.Name(2)] = TimeSpan.FromHours(1),
            [SimulatedCluster.Name(4)] = TimeSpan.FromHours(-1),
            [SimulatedCluster.Name(5)] = TimeSpan.FromDays(8),
        };
        foreach (var (name, offset) in truth) sim.SetClockOffset(name, offset);
        // Every node probes every other within N probe rounds; give it a few.
        sim.Clock.RunFor(TimeSpan.FromSeconds(30));
        Assert.True(SimulatedCluster.AllSeeAllAlive(sim));
        // One-way latency is 1..10 ms: a sample's error is at most half the round trip (10 ms), the best far less.
        var tolerance = TimeSpan.FromMilliseconds(10);
        foreach (var node in sim.Nodes)
        {
            var estimate = node.Clocks.Estimate(sim.Clock.Now);
            Assert.Equal(6, estimate.Sampled);
            var self = truth.GetValueOrDefault(node.Id.Value);
            Assert.True((estimate.Self - self).Duration() <= tolerance, $"{node.Id} thinks itself {estimate.Self} off, truly {self}");
            foreach (var (peer, offset) in estimate.Peers)
            {
                var expected = truth.GetValueOrDefault(peer.Value);
                Assert.True((offset - expected).Duration() <= tolerance, $"{node.Id} sees {peer} {offset} off, truly {expected}");
            }
            Assert.Equal(truth.Keys.Order(StringComparer.Ordinal), estimate.SkewedMembers(node.Id).Select(m => m.Node.Value));
        }
    }
}

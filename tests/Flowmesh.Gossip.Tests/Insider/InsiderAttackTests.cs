using System.Net;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Tests.Transport;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Insider;

/// <summary>
/// The rogue-peer harness (issue 16): three real peers over UDP and TCP on loopback, each with its own node key (bare
/// keys bound on first use), and one insider holding the cluster key that runs every attack in <see cref="Attacks"/>.
/// Each must be refused and counted while the cluster keeps full membership. Prints one line per attack and, last,
/// <c>insider attacks refused: N of M</c> (testbed/insider-attacks.sh shows the same lines to a person).
/// </summary>
[Collection(RunsAloneCollection.Name)]
public sealed class InsiderAttackTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Add new attacks here (one class each).</summary>
    internal static InsiderAttack[] Attacks() =>
        [new ForgedDeadAttack(), new IncarnationExhaustionAttack(), new AddressTakeoverAttack(), new ForgedLeaveAttack(), new ReplayPoisonAttack()];

    private readonly ClusterKey _key = TestKeys.Key(1616);
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        foreach (var o in _owned) o.Dispose();
    }

    [Fact]
    public async Task Every_insider_attack_is_refused_and_counted_while_membership_stays_full()
    {
        var peers = new List<GossipPeer>();
        for (var i = 0; i < 3; i++)
        {
            var peer = new GossipPeer(new NodeId($"insider-target{i}"), new IPEndPoint(IPAddress.Parse($"127.79.16.{i + 1}"), 0),
                new Keyring(_key), GossipPeerClusterTests.Fast);
            _owned.Add(peer);
            peers.Add(peer);
            peer.Start();
            if (i > 0) peer.Join([peers[0].LocalAddress]);
        }
        var rogue = new RogueGossipSender(new Keyring(_key), IPAddress.Parse("127.79.16.99"));
        _owned.Add(rogue);
        var cluster = new InsiderCluster(peers, rogue);
        await Eventually.True(TimeSpan.FromSeconds(20), () => cluster.FullMembership, "the three peers see each other alive");
        cluster.Watch();

        var attacks = Attacks();
        var refused = 0;
        foreach (var attack in attacks)
        {
            attack.Launch(cluster);
            await Task.Delay(attack.Settle, TestContext.Current.CancellationToken);
            var (ok, evidence) = attack.Judge(cluster);
            if (ok) refused++;
            output.WriteLine($"{(ok ? "refused" : "NOT REFUSED")}: {attack.Name}: {evidence}");
        }
        output.WriteLine($"insider attacks refused: {refused} of {attacks.Length}");

        await Eventually.True(TimeSpan.FromSeconds(10), () => cluster.FullMembership, "full membership after the attacks");
        Assert.Equal(attacks.Length, refused);
    }
}

using System.Net;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>Real peers on loopback (UDP + TCP sockets, one event loop each) running the production protocol.</summary>
[Collection(RunsAloneCollection.Name)]
public sealed class GossipPeerClusterTests : IDisposable
{
    /// <summary>LAN defaults scaled down 5x so the tests take seconds; the bounds below use the same options.</summary>
    internal static readonly MembershipOptions Fast = MembershipOptions.Lan() with
    {
        ProbeInterval = TimeSpan.FromMilliseconds(200),
        ProbeTimeout = TimeSpan.FromMilliseconds(100),
        GossipInterval = TimeSpan.FromMilliseconds(50),
        PushPullInterval = TimeSpan.FromSeconds(2),
        JoinRetryInterval = TimeSpan.FromMilliseconds(300),
        LeavePropagateTime = TimeSpan.FromMilliseconds(500),
        GossipToTheDeadTime = TimeSpan.FromSeconds(5),
    };

    private readonly ClusterKey _key = TestKeys.Key(31);
    private readonly List<GossipPeer> _peers = [];
    private static int _subnet;
    private readonly int _net = Interlocked.Increment(ref _subnet);

    public void Dispose()
    {
        foreach (var p in _peers) p.Dispose();
        foreach (var i in _identities.Values) i.Dispose();
    }

    // Each peer's node key, kept across its restarts as an agent keeps it in its database (peers bound it on first use).
    private readonly Dictionary<int, NodeIdentity> _identities = [];

    private GossipPeer Peer(int i, ClusterKey? key = null, uint incarnation = 0, int port = 0, MembershipOptions? options = null)
    {
        if (!_identities.TryGetValue(i, out var identity)) _identities[i] = identity = NodeIdentity.Generate();
        var id = new NodeId($"peer{i}");
        var peer = new GossipPeer(id, new IPEndPoint(IPAddress.Parse($"127.77.{10 + _net}.{i + 1}"), port),
            new Keyring(key ?? _key), options ?? Fast, initialIncarnation: incarnation,
            credential: FirstUseCredentialVerifier.CredentialOf(id, identity));
        _peers.Add(peer);
        peer.Start();
        return peer;
    }

    private List<GossipPeer> Cluster(int n, MembershipOptions? options = null)
    {
        var seed = Peer(0, options: options);
        var peers = new List<GossipPeer> { seed };
        for (var i = 1; i < n; i++)
        {
            var p = Peer(i, options: options);
            p.Join([seed.LocalAddress]);
            peers.Add(p);
        }
        return peers;
    }

    private static bool AllSeeAllAlive(IReadOnlyList<GossipPeer> peers) =>
        peers.All(p => peers.All(o => p.Members.FirstOrDefault(m => m.Id == o.Id)?.State == MemberState.Alive));

    private static MemberState? StateOf(GossipPeer viewer, GossipPeer subject) =>
        viewer.Members.FirstOrDefault(m => m.Id == subject.Id)?.State;

    [Fact]
    public async Task Five_peers_converge_and_push_pull_goes_over_tcp()
    {
        var seed = Peer(0);
        var changes = new List<Member>();
        seed.MemberChanged += m => { lock (changes) changes.Add(m); };
        var peers = new List<GossipPeer> { seed };
        for (var i = 1; i < 5; i++)
        {
            var p = Peer(i);
            // The last one is given an unreachable seed first: join must go on to the next.
            p.Join(i == 4 ? [new GossipAddress($"127.77.{10 + _net}.200:9"), peers[1].LocalAddress] : [seed.LocalAddress]);
            peers.Add(p);
        }

        var converged = await Eventually.Within(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers));
        Assert.True(converged.HasValue, "five peers did not see each other alive within 20 s");
        TestContext.Current.TestOutputHelper?.WriteLine($"five peers converged {converged.Value.TotalSeconds:0.00} s after the last join");

        foreach (var p in peers.Skip(1))
        {
            Assert.True(p.MembershipCounters.PushPulls >= 1, $"{p.Id} made no push-pull");
            Assert.True(p.ReliableSendsOverTcp >= 1, $"{p.Id} started no push-pull over TCP");
            Assert.True(p.ReliableRepliesOverTcp >= 1, $"{p.Id} got no push-pull reply over TCP");
        }
        Assert.True(seed.Counters.StreamRequestsServed >= 3, $"seed served {seed.Counters.StreamRequestsServed} push-pulls");
        Assert.True(peers.Sum(p => p.Counters.StreamRepliesReceived) >= 4);
        // Push-pull alone can converge a fresh cluster before a peer's first probe or gossip round: wait for UDP too.
        await Eventually.Within(TimeSpan.FromSeconds(10),
            () => peers.All(p => p.Counters.DatagramsSent > 0 && p.Counters.DatagramsReceived > 0));
        foreach (var p in peers)
        {
            Assert.True(p.Counters.DatagramsSent > 0 && p.Counters.DatagramsReceived > 0, p.Counters.ToString());
            Assert.Equal(0, p.Counters.DatagramDrops.Total);
            Assert.Equal(0, p.Counters.StreamDrops.Total);
            Assert.Equal(0, p.CallbackFailures);
        }
        lock (changes)
            Assert.Equal(peers.Skip(1).Select(p => p.Id.Value).Order(), changes.Where(m => m.State == MemberState.Alive && m.Id != seed.Id)
                .Select(m => m.Id.Value).Distinct().Order());
    }

    [Fact]
    public async Task A_stopped_peer_is_declared_dead_within_the_documented_bound()
    {
        var peers = Cluster(4);
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers), "converged");

        var victim = peers[3];
        victim.Stop(); // no goodbye: a crash from the others' point of view
        var rest = peers.Take(3).ToList();
        // docs/membership.md: worst case 2·ProbeInterval + SuspicionMax(N) + 5 s.
        var bound = 2 * Fast.ProbeInterval + Fast.SuspicionMaxTimeout(4) + TimeSpan.FromSeconds(5);
        var took = await Eventually.Within(bound + TimeSpan.FromSeconds(10), () => rest.All(p => StateOf(p, victim) == MemberState.Dead));

        Assert.True(took.HasValue, "the stopped peer was never declared dead");
        Assert.True(took <= bound, $"declared dead after {took.Value.TotalSeconds:0.0} s, bound {bound.TotalSeconds:0.0} s");
        TestContext.Current.TestOutputHelper?.WriteLine($"stopped peer declared dead after {took.Value.TotalSeconds:0.0} s (bound {bound.TotalSeconds:0.0} s)");
        Assert.All(rest, p => Assert.Equal(3, p.Members.Count(m => m.State == MemberState.Alive)));
    }

    [Fact]
    public async Task A_peer_that_leaves_is_seen_as_left_never_dead()
    {
        var peers = Cluster(4);
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers), "converged");
        var leaver = peers[2];
        var rest = peers.Where(p => p != leaver).ToList();
        var sawDead = false;
        foreach (var p in rest) p.MemberChanged += m => { if (m.Id == leaver.Id && m.State == MemberState.Dead) sawDead = true; };

        Assert.True(await leaver.LeaveAsync(TimeSpan.FromSeconds(5)), "leave did not finish in time");
        Assert.False(leaver.IsRunning);
        await Eventually.True(TimeSpan.FromSeconds(3), () => rest.All(p => StateOf(p, leaver) == MemberState.Left), "everyone sees left");
        await Task.Delay(Fast.SuspicionMaxTimeout(4), TestContext.Current.CancellationToken);
        Assert.All(rest, p => Assert.Equal(MemberState.Left, StateOf(p, leaver)));
        Assert.False(sawDead);
    }

    [Fact]
    public async Task A_peer_with_another_cluster_key_is_never_admitted_and_its_packets_are_counted_as_dropped()
    {
        var peers = Cluster(3);
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers), "converged");
        var stranger = Peer(9, key: TestKeys.Key(666));
        stranger.Join([peers[0].LocalAddress, peers[1].LocalAddress]);
        // Its datagrams too: a transport with the foreign key sends straight to a member.
        using var loop = new GossipEventLoop();
        using (var foreignUdp = new UdpGossipTransport(new IPEndPoint(IPAddress.Parse($"127.77.{10 + _net}.99"), 0), new NodeId("peer9"),
            new Keyring(TestKeys.Key(666)), loop))
        {
            var forged = MessageCodec.EncodePacket(new Alive(new NodeId("peer9"), 5, foreignUdp.LocalAddress));
            for (var i = 0; i < 10; i++) foreignUdp.Send(peers[0].LocalAddress, forged);
            await Eventually.True(TimeSpan.FromSeconds(5), () => peers[0].Counters.DatagramDrops.UnknownKey == 10, "forged datagrams dropped");
        }

        // Several join retries' worth of time.
        await Eventually.True(TimeSpan.FromSeconds(5), () => peers[0].Counters[StreamRefusal.NotAuthenticated] >= 3, "join attempts refused");
        Assert.All(peers, p => Assert.DoesNotContain(p.Members, m => m.Id == stranger.Id));
        Assert.Equal([stranger.Id], stranger.Members.Select(m => m.Id));
        Assert.True(peers[0].Counters.StreamDrops.UnknownKey >= 3, peers[0].Counters.ToString());
        Assert.Equal(0, stranger.ReliableRepliesOverTcp);
    }

    [Fact]
    public async Task A_restarted_peer_rejoins_with_its_stored_incarnation_plus_one_without_refuting()
    {
        var peers = Cluster(3);
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers), "converged");
        var old = peers[2];
        var endpoint = old.BoundEndpoint;
        var stored = old.Incarnation;
        old.Stop();

        var restarted = Peer(2, incarnation: stored + 1, port: endpoint.Port);
        Assert.Equal(endpoint, restarted.BoundEndpoint);
        restarted.Join([peers[0].LocalAddress]);
        var now = new List<GossipPeer> { peers[0], peers[1], restarted };
        // The old life was still alive in their eyes (stopped a moment ago): the new one must replace it by incarnation.
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(now)
            && peers.Take(2).All(p => p.Members.Single(m => m.Id == restarted.Id).Incarnation == stored + 1), "rejoined");

        Assert.Equal(stored + 1, restarted.Incarnation);
        Assert.All(peers.Take(2), p => Assert.Equal(stored + 1, p.Members.Single(m => m.Id == restarted.Id).Incarnation));
        Assert.Equal(0, restarted.MembershipCounters.Refutations);
    }

    [Fact]
    public async Task A_peer_whose_udp_is_cut_answers_the_tcp_fallback_ping_and_is_never_declared_dead()
    {
        // Fast's 100 ms probe timeout is shorter than a TCP connect + exchange on a machine busy with the rest of the
        // suite, and a suspect whose UDP is cut cannot refute: half the LAN profile keeps the test about the fallback.
        var relaxed = Fast with { ProbeInterval = TimeSpan.FromMilliseconds(500), ProbeTimeout = TimeSpan.FromMilliseconds(250) };
        var peers = Cluster(3, relaxed);
        await Eventually.True(TimeSpan.FromSeconds(20), () => AllSeeAllAlive(peers), "converged");
        var cut = peers[2];
        var others = peers.Take(2).ToList();
        var sawDead = false;
        foreach (var p in others) p.MemberChanged += m => { if (m.Id == cut.Id && m.State == MemberState.Dead) sawDead = true; };
        var repliesBefore = others.Sum(p => p.ReliableRepliesOverTcp);

        cut.Datagrams.Dispose(); // no UDP in or out any more; its TCP listener still answers
        // Without the fallback it would be dead within the crash bound (see the crash test); wait well past it.
        await Task.Delay(2 * relaxed.ProbeInterval + relaxed.SuspicionMaxTimeout(3) + TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        Assert.False(sawDead, "a peer reachable over TCP was declared dead");
        Assert.All(others, p => Assert.NotEqual(MemberState.Dead, StateOf(p, cut)));
        Assert.True(others.Sum(p => p.ReliableRepliesOverTcp) - repliesBefore >= 10, "fallback pings were answered over TCP");
    }

    [Fact]
    public void Wildcard_binds_need_an_advertise_address_and_bad_seeds_fail_with_the_parsers_message()
    {
        Assert.Throws<ArgumentException>(() => new GossipPeer(new NodeId("x"), new IPEndPoint(IPAddress.Any, 0), new Keyring(_key), Fast));
        var p = Peer(0);
        var e = Assert.Throws<FormatException>(() => p.Join([new GossipAddress("10.0.0.5")]));
        Assert.Contains("missing port", e.Message);
        Assert.Throws<ArgumentException>(() => p.Register(GossipStreamKind.PushPull, (_, _, _) => ValueTask.FromResult<byte[]?>(null)));
    }
}

using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>
/// Issue 16's membership findings, each as the attack itself: a rogue sender ("mallory") that holds the cluster key,
/// so its packets reach membership, and its own node key, so the transport knows it as mallory, speaks for others.
/// Nodes run the production protocol with signed claims in the deterministic simulator.
/// </summary>
public sealed class SignedMembershipTests : IDisposable
{
    private static readonly NodeId Mallory = new("mallory");
    private readonly List<NodeIdentity> _identities = [];
    private readonly Dictionary<string, VerifiedCredentials> _credentials = [];
    private readonly NodeIdentity _malloryKey = NodeIdentity.Generate();

    public void Dispose()
    {
        foreach (var i in _identities) i.Dispose();
        _malloryKey.Dispose();
    }

    private Simulator SignedCluster(int n, int seed = 16)
    {
        var sim = new Simulator(new SimulatorOptions { Seed = seed }, MembershipOptions.Lan());
        for (var i = 0; i < n; i++)
        {
            var name = SimulatedCluster.Name(i);
            var identity = NodeIdentity.Generate();
            _identities.Add(identity);
            var verified = new VerifiedCredentials(new FirstUseCredentialVerifier());
            _credentials[name] = verified;
            var node = sim.AddNode(name, MembershipClaims.FirstUse(new NodeId(name), identity, verified));
            if (i > 0) node.Join(new GossipAddress(SimulatedCluster.Name(0)));
        }
        Assert.NotNull(sim.Clock.RunUntil(() => SimulatedCluster.AllSeeAllAlive(sim), TimeSpan.FromSeconds(60), SimulatedCluster.Step));
        return sim;
    }

    /// <summary>What the rogue's sealed packet looks like to membership once the transport opened it: sent by mallory.</summary>
    private static void FromMallory(Simulator sim, string to, params GossipMessage[] messages)
    {
        var now = Simulator.WallStart + sim.Clock.Now;
        sim[to].HandlePacket(new GossipAddress("mallory"), MessageCodec.EncodePacket(messages), new PacketOrigin(Mallory, now, now));
    }

    /// <summary>Mallory's own key claiming to be <paramref name="victim"/>.</summary>
    private MembershipClaims MalloryAs(string victim) =>
        MembershipClaims.FirstUse(new NodeId(victim), _malloryKey, new VerifiedCredentials(new FirstUseCredentialVerifier()));

    [Fact]
    public void ForgedDeadIsOnlyAnAccusationTheVictimRefutes()
    {
        var sim = SignedCluster(3);
        var changes = SimulatedCluster.RecordChanges(sim);
        var victim = sim["n001"];
        FromMallory(sim, "n000", new Dead(victim.Id, victim.Incarnation, Mallory));
        FromMallory(sim, "n002", new Dead(victim.Id, victim.Incarnation, Mallory));
        sim.Clock.RunFor(TimeSpan.FromSeconds(60));

        Assert.DoesNotContain(changes, c => c.Member.Id == victim.Id && c.Member.State == MemberState.Dead);
        Assert.True(sim["n000"].Counters.RemoteDeathsSuspected >= 1);
        Assert.True(victim.Counters.Refutations >= 1, "the victim heard the accusation and refuted it with its signed Alive");
        Assert.True(SimulatedCluster.AllSeeAllAlive(sim));
    }

    [Fact]
    public void AccusationsAboveTheVictimsSignedIncarnationAreRefused()
    {
        var sim = SignedCluster(3);
        var victim = sim["n001"];
        FromMallory(sim, "n000", new Dead(victim.Id, uint.MaxValue, Mallory));
        FromMallory(sim, "n001", new Suspect(victim.Id, uint.MaxValue - 1, Mallory));
        FromMallory(sim, "n001", new Dead(victim.Id, uint.MaxValue, Mallory));
        sim.Clock.RunFor(TimeSpan.FromSeconds(30));

        Assert.True(victim.Incarnation < 10, $"the victim's incarnation was pushed to {victim.Incarnation}");
        Assert.Equal(MemberState.Alive, sim["n000"].Find(victim.Id)!.State);
        Assert.True(sim["n000"].Find(victim.Id)!.Incarnation < 10);
        Assert.Equal(1, sim["n000"].Counters.Refusals.AccusationAboveIncarnation);
        Assert.Equal(2, victim.Counters.Refusals.AccusationAboveIncarnation);
        Assert.True(SimulatedCluster.AllSeeAllAlive(sim));
    }

    [Fact]
    public void ForgedDeadThenAliveCannotMoveTheAddress()
    {
        var sim = SignedCluster(3);
        var victim = sim["n001"];
        var next = victim.Incarnation + 1;
        var forged = MalloryAs("n001").Sign(new Alive(victim.Id, next, new GossipAddress("mallory")));
        var stolenCredential = forged with { Proof = new MemberProof(_identities[1].PublicKey, forged.Proof!.Signature) };
        FromMallory(sim, "n000", new Dead(victim.Id, victim.Incarnation, Mallory),
            new Alive(victim.Id, next, new GossipAddress("mallory")), forged, stolenCredential);
        sim.Clock.RunFor(TimeSpan.FromSeconds(30));

        var seen = sim["n000"].Find(victim.Id)!;
        Assert.Equal(new GossipAddress("n001"), seen.Address);
        Assert.Equal(MemberState.Alive, seen.State);
        var refused = sim["n000"].Counters.Refusals;
        Assert.Equal(1, refused.UnsignedClaim);
        Assert.Equal(1, refused.CredentialRefused); // mallory's key for a name bound to n001's
        Assert.Equal(1, refused.BadSignature);      // n001's credential, mallory's signature
    }

    [Fact]
    public void ForgedLeaveIsRefused()
    {
        var sim = SignedCluster(3);
        var changes = SimulatedCluster.RecordChanges(sim);
        var victim = sim["n001"];
        FromMallory(sim, "n000", new Leave(victim.Id, victim.Incarnation + 1), MalloryAs("n001").Sign(new Leave(victim.Id, victim.Incarnation + 1)));
        sim.Clock.RunFor(TimeSpan.FromSeconds(10));

        Assert.DoesNotContain(changes, c => c.Member.Id == victim.Id && c.Member.State == MemberState.Left);
        Assert.Equal(1, sim["n000"].Counters.Refusals.UnsignedClaim);
        Assert.Equal(1, sim["n000"].Counters.Refusals.CredentialRefused);
    }

    [Fact]
    public void GenuineLeaveAndRestartStillSpread()
    {
        var sim = SignedCluster(3);
        sim["n002"].Leave();
        Assert.NotNull(sim.Clock.RunUntil(() => SimulatedCluster.Seeing(sim, new NodeId("n002"), MemberState.Left) == 2,
            TimeSpan.FromSeconds(10), SimulatedCluster.Step));
    }

    [Fact]
    public void AcksAreMatchedByTheExpectedSenderNotBySequenceAlone()
    {
        var sim = SignedCluster(2);
        var prober = sim["n000"];
        var victim = new NodeId("n001");
        sim.SetIsolated("n001", true);
        // Mallory answers every sequence the prober may be waiting on, in n001's name, ten times a second.
        var until = sim.Clock.Now + TimeSpan.FromSeconds(30);
        void Spam()
        {
            for (uint seq = 1; seq < 400; seq++) FromMallory(sim, "n000", new Ack(seq, victim));
            if (sim.Clock.Now < until) sim.Clock.Schedule(TimeSpan.FromMilliseconds(100), Spam);
        }
        Spam();
        var suspected = sim.Clock.RunUntil(() => prober.Find(victim)!.State is MemberState.Suspect or MemberState.Dead,
            TimeSpan.FromSeconds(30), SimulatedCluster.Step);
        Assert.NotNull(suspected);
        Assert.True(prober.Counters.Refusals.UnexpectedAckSender > 0);
    }

    [Fact]
    public void RefutingAtTheTopOfTheIncarnationsDoesNotWrap()
    {
        var clock = new VirtualClock();
        using var identity = NodeIdentity.Generate();
        var self = new NodeId("top");
        var node = new MembershipNode(self, MembershipOptions.Lan(), new DiscardingTransport(), clock, new Random(1), uint.MaxValue,
            MembershipClaims.FirstUse(self, identity));
        node.Start();
        var now = Simulator.WallStart;
        node.HandlePacket(new GossipAddress("mallory"), MessageCodec.EncodePacket(new Suspect(self, uint.MaxValue, Mallory)),
            new PacketOrigin(Mallory, now, now));

        Assert.Equal(uint.MaxValue, node.Incarnation);
        Assert.Equal(1, node.Counters.Refusals.IncarnationExhausted);
    }

    [Fact]
    public void UnsignedNodesRefuseAbsurdIncarnationJumpsToo()
    {
        // The simulator's nodes have no claims (anyone may speak for anyone), yet nobody can spend a victim's incarnations.
        var (sim, _) = SimulatedCluster.Converged(3, seed: 5);
        var victim = sim["n001"];
        var now = Simulator.WallStart + sim.Clock.Now;
        victim.HandlePacket(new GossipAddress("mallory"), MessageCodec.EncodePacket(new Alive(victim.Id, uint.MaxValue - 1, victim.Address)),
            new PacketOrigin(Mallory, now, now));
        sim.Clock.RunFor(TimeSpan.FromSeconds(5));
        Assert.True(victim.Incarnation < 10);
        Assert.Equal(1, victim.Counters.Refusals.IncarnationJump);
    }

    [Fact]
    public void EachCredentialIsVerifiedOnceNotPerMessage()
    {
        var sim = SignedCluster(5);
        sim.Clock.RunFor(TimeSpan.FromMinutes(2)); // push-pulls and gossip hand every Alive around many times
        foreach (var (name, verified) in _credentials)
            Assert.True(verified.CredentialVerifications <= 5, $"{name} verified {verified.CredentialVerifications} credentials for 5 nodes");
    }

    private sealed class DiscardingTransport : IGossipTransport
    {
        public GossipAddress LocalAddress { get; } = new("top");
        public void Send(GossipAddress to, ReadOnlySpan<byte> packet) { }
        public void SendReliable(GossipAddress to, byte[] packet) { }
    }
}

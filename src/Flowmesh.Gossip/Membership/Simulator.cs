namespace Flowmesh.Gossip.Membership;

/// <summary>Network conditions of a simulation. Same seed, same run.</summary>
public sealed record SimulatorOptions
{
    public int Seed { get; init; } = 1;
    public TimeSpan MinLatency { get; init; } = TimeSpan.FromMilliseconds(1);
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Independent probability that any packet is lost.</summary>
    public double LossRate { get; init; }
}

/// <summary>
/// N membership nodes in one process on a <see cref="VirtualClock"/>, connected by a simulated network with latency,
/// loss, partitions, isolated (paused) nodes and crashes. It runs the production <see cref="MembershipNode"/>
/// unchanged; only the transport and clock are simulated.
/// </summary>
public sealed class Simulator
{
    private readonly Random _network;
    private readonly Dictionary<GossipAddress, SimulatedNode> _byAddress = [];
    private readonly List<SimulatedNode> _nodes = [];
    private int _nodeSeed;

    public Simulator(SimulatorOptions options, MembershipOptions membership)
    {
        Options = options;
        Membership = membership;
        _network = new Random(options.Seed);
        _nodeSeed = options.Seed * 7919;
    }

    public SimulatorOptions Options { get; }
    public MembershipOptions Membership { get; }
    public VirtualClock Clock { get; } = new();

    /// <summary>Loss rate applied from now on (tests switch it during a run).</summary>
    public double LossRate { get; set; }

    public long PacketsSent { get; private set; }
    public long BytesSent { get; private set; }
    public long PacketsDropped { get; private set; }

    public IReadOnlyList<MembershipNode> Nodes => _nodes.Select(n => n.Node).ToList();

    public MembershipNode this[string name] => _byAddress[new GossipAddress(name)].Node;

    /// <summary>Creates and starts a node named <paramref name="name"/> (also its address).</summary>
    public MembershipNode AddNode(string name, MembershipClaims? claims = null)
    {
        var address = new GossipAddress(name);
        var sim = new SimulatedNode();
        var transport = new SimulatedTransport(this, address);
        sim.Node = new MembershipNode(new NodeId(name), Membership, transport, Clock, new Random(++_nodeSeed), claims: claims);
        _byAddress[address] = sim;
        _nodes.Add(sim);
        sim.Node.Start();
        return sim.Node;
    }

    /// <summary>
    /// Starts a node with id <paramref name="id"/> at address <paramref name="address"/>, which may differ from its
    /// id: e.g. a second node that claims an existing node's name (a name conflict).
    /// </summary>
    public MembershipNode AddNode(string address, NodeId id)
    {
        var sim = new SimulatedNode();
        sim.Node = new MembershipNode(id, Membership, new SimulatedTransport(this, new GossipAddress(address)), Clock, new Random(++_nodeSeed));
        _byAddress[new GossipAddress(address)] = sim;
        _nodes.Add(sim);
        sim.Node.Start();
        return sim.Node;
    }

    /// <summary>Crash: the node stops and its packets vanish, without saying goodbye.</summary>
    public void Kill(string name)
    {
        var sim = _byAddress[new GossipAddress(name)];
        sim.Node.Stop();
    }

    /// <summary>
    /// Restarts a stopped node as a new process would: same name and address, fresh state at incarnation 0, joining
    /// through <paramref name="seed"/>. It learns it was considered dead or left and outbids that with a new incarnation.
    /// </summary>
    public MembershipNode Restart(string name, string seed)
    {
        var sim = _byAddress[new GossipAddress(name)];
        if (sim.Node.IsRunning) throw new InvalidOperationException($"{name} is running");
        sim.Node = new MembershipNode(new NodeId(name), Membership, new SimulatedTransport(this, sim.Node.Address), Clock, new Random(++_nodeSeed));
        sim.Node.Start();
        sim.Node.Join(new GossipAddress(seed));
        return sim.Node;
    }

    /// <summary>
    /// Churn: every <paramref name="period"/> one random running node (not the seed) crashes or leaves, and with
    /// probability <paramref name="restartFraction"/> one stopped node restarts.
    /// </summary>
    public void Churn(TimeSpan duration, TimeSpan period, string seed, double leaveFraction = 0.5, double restartFraction = 0.5)
    {
        var end = Clock.Now + duration;
        while (Clock.Now + period <= end)
        {
            Clock.RunFor(period);
            var stopped = _nodes.Where(n => !n.Node.IsRunning).ToList();
            var running = _nodes.Where(n => n.Node.IsRunning && n.Node.Address.Value != seed).ToList();
            if (running.Count > 1)
            {
                var victim = running[_network.Next(running.Count)].Node;
                if (_network.NextDouble() < leaveFraction) victim.Leave(); else victim.Stop();
            }
            if (stopped.Count > 0 && _network.NextDouble() < restartFraction) Restart(stopped[_network.Next(stopped.Count)].Node.Address.Value, seed);
        }
        Clock.RunUntil(end);
    }

    /// <summary>A paused or unreachable node: all its traffic is lost while isolated, but it keeps running.</summary>
    public void SetIsolated(string name, bool isolated) => _byAddress[new GossipAddress(name)].Isolated = isolated;

    /// <summary>Where every node's wall clock starts (plus virtual time and the node's own offset).</summary>
    public static readonly DateTimeOffset WallStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Sets a node's wall clock this far from the true (virtual) time, from now on: each delivered packet carries the
    /// sender's wall clock at sending and the receiver's at arrival, as a sealed envelope does, so membership measures
    /// clock offsets exactly as real agents do.
    /// </summary>
    public void SetClockOffset(string name, TimeSpan offset) => _byAddress[new GossipAddress(name)].ClockOffset = offset;

    private DateTimeOffset WallOf(SimulatedNode node) => WallStart + Clock.Now + node.ClockOffset;

    /// <summary>Splits the network: packets between different groups are lost. Nodes in no group form group 0.</summary>
    public void Partition(params IEnumerable<string>[] groups)
    {
        for (var g = 0; g < groups.Length; g++)
            foreach (var name in groups[g])
                _byAddress[new GossipAddress(name)].Group = g + 1;
    }

    public void Heal()
    {
        foreach (var n in _nodes) n.Group = 0;
    }

    private void Deliver(GossipAddress from, GossipAddress to, ReadOnlySpan<byte> packet)
    {
        PacketsSent++;
        BytesSent += packet.Length;
        var loss = Math.Max(LossRate, Options.LossRate);
        if (!_byAddress.TryGetValue(to, out var target) || !_byAddress.TryGetValue(from, out var source)
            || source.Isolated || target.Isolated || source.Group != target.Group
            || (loss > 0 && _network.NextDouble() < loss))
        {
            PacketsDropped++;
            return;
        }
        var range = (Options.MaxLatency - Options.MinLatency).Ticks;
        var latency = Options.MinLatency + TimeSpan.FromTicks(range > 0 ? _network.NextInt64(range) : 0);
        var copy = packet.ToArray();
        var sender = source.Node.Id;
        var sentAt = WallOf(source);
        Clock.Schedule(latency, () =>
        {
            // Isolation also applies to packets already in flight when it started.
            if (!target.Isolated && !source.Isolated) target.Node.HandlePacket(from, copy, new PacketOrigin(sender, sentAt, WallOf(target)));
            else PacketsDropped++;
        });
    }

    private sealed class SimulatedNode
    {
        public MembershipNode Node { get; set; } = null!;
        public bool Isolated { get; set; }
        public int Group { get; set; }
        public TimeSpan ClockOffset { get; set; }
    }

    private sealed class SimulatedTransport(Simulator simulator, GossipAddress local) : IGossipTransport
    {
        public GossipAddress LocalAddress { get; } = local;

        public void Send(GossipAddress to, ReadOnlySpan<byte> packet) => simulator.Deliver(LocalAddress, to, packet);

        public void SendReliable(GossipAddress to, byte[] packet) => simulator.Deliver(LocalAddress, to, packet);
    }
}

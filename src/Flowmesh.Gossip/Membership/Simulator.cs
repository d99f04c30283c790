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
    public MembershipNode AddNode(string name)
    {
        var address = new GossipAddress(name);
        var sim = new SimulatedNode();
        var transport = new SimulatedTransport(this, address);
        sim.Node = new MembershipNode(new NodeId(name), Membership, transport, Clock, new Random(++_nodeSeed));
        _byAddress[address] = sim;
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

    /// <summary>A paused or unreachable node: all its traffic is lost while isolated, but it keeps running.</summary>
    public void SetIsolated(string name, bool isolated) => _byAddress[new GossipAddress(name)].Isolated = isolated;

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
        Clock.Schedule(latency, () =>
        {
            // Isolation also applies to packets already in flight when it started.
            if (!target.Isolated && !source.Isolated) target.Node.HandlePacket(from, copy);
            else PacketsDropped++;
        });
    }

    private sealed class SimulatedNode
    {
        public MembershipNode Node { get; set; } = null!;
        public bool Isolated { get; set; }
        public int Group { get; set; }
    }

    private sealed class SimulatedTransport(Simulator simulator, GossipAddress local) : IGossipTransport
    {
        public GossipAddress LocalAddress { get; } = local;

        public void Send(GossipAddress to, ReadOnlySpan<byte> packet) => simulator.Deliver(LocalAddress, to, packet);
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Discovery;

/// <summary>Real multicast between network namespaces on a bridge (root only).</summary>
public sealed class LanDiscoveryNamespaceTests
{
    private const int GossipPort = 7946;

    // Short periods so a test takes seconds; the protocol is the same as with the defaults.
    private static readonly LanDiscoveryOptions Fast = new()
    {
        FastInterval = TimeSpan.FromMilliseconds(200),
        FastPhaseDuration = TimeSpan.FromSeconds(30),
    };

    private sealed class Node(LanDiscovery discovery) : IDisposable
    {
        public LanDiscovery Discovery { get; } = discovery;
        public ConcurrentDictionary<NodeId, DiscoveredPeer> Found { get; } = new();
        public void Dispose() => Discovery.Dispose();
    }

    private static Node StartNode(NamespaceLab lab, int i, ClusterKey key, LanDiscoveryOptions? options = null)
    {
        var id = new NodeId($"node-{NamespaceLab.NodeLetter(i)}");
        // Advertise "any address": receivers must fill in the address the beacon came from.
        var discovery = new LanDiscovery(id, new IPEndPoint(IPAddress.Any, GossipPort), new Keyring(key), options ?? Fast);
        var node = new Node(discovery);
        discovery.Discovered += p => node.Found[p.Id] = p;
        lab.Run(i, () => { discovery.Start(); return 0; });
        return node;
    }

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            Thread.Sleep(50);
        }
        return condition();
    }

    [Fact]
    public void NodesWithTheSameKeyDiscoverEachOtherWithTheirGossipAddress()
    {
        if (NamespaceLab.SkipReason() is { } reason) Assert.Skip(reason);
        using var lab = new NamespaceLab(3);
        var key = ClusterKey.Generate();
        // Nodes a and b pick their interfaces themselves; c is told which one to use.
        var nodes = Enumerable.Range(0, 3).Select(i => StartNode(lab, i, key, i == 2 ? Fast with { Interfaces = [lab.Interface(2)] } : null)).ToList();
        try
        {
            Assert.True(WaitFor(() => nodes.All(n => n.Found.Count == 2), TimeSpan.FromSeconds(10)),
                string.Join("; ", nodes.Select(n => $"{n.Discovery.Counters} / {n.Discovery.Drops}")));
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal([lab.Interface(i)], nodes[i].Discovery.Interfaces.Select(x => x.Name));
                for (var j = 0; j < 3; j++)
                {
                    if (i == j) continue;
                    var peer = nodes[i].Found[new NodeId($"node-{NamespaceLab.NodeLetter(j)}")];
                    Assert.Equal(new IPEndPoint(NamespaceLab.Address(j), GossipPort), peer.GossipEndpoint);
                    Assert.Equal($"10.231.70.{j + 1}:{GossipPort}", peer.GossipAddress.Value);
                    Assert.Equal(lab.Interface(i), peer.Interface);
                }
                Assert.True(nodes[i].Discovery.Counters.OwnBeaconsIgnored > 0, "multicast loopback brings our own beacons back; they must be recognised");
                Assert.Equal(2, nodes[i].Discovery.Counters.PeersReported); // each peer once, although it beacons again and again
                Assert.Equal(0, nodes[i].Discovery.DroppedTotal);
            }
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
        }
    }

    [Fact]
    public void AnInterfaceThatDoesNotExistIsAClearErrorAtStart()
    {
        if (NamespaceLab.SkipReason() is { } reason) Assert.Skip(reason);
        using var lab = new NamespaceLab(1);
        using var discovery = new LanDiscovery(new NodeId("a"), new IPEndPoint(IPAddress.Any, GossipPort), new Keyring(ClusterKey.Generate()),
            Fast with { Interfaces = ["fmdnosuch0"] });
        var error = Assert.Throws<InvalidOperationException>(() => lab.Run(0, () => { discovery.Start(); return 0; }));
        Assert.Contains("no network interface named 'fmdnosuch0'", error.Message);
    }

    [Fact]
    public void NodeWithAnotherKeyIsNotDiscoveredAndItsBeaconsAreCounted()
    {
        if (NamespaceLab.SkipReason() is { } reason) Assert.Skip(reason);
        using var lab = new NamespaceLab(3);
        var key = ClusterKey.Generate();
        var foreign = ClusterKey.Generate();
        var nodes = new[] { StartNode(lab, 0, key), StartNode(lab, 1, key), StartNode(lab, 2, foreign) };
        try
        {
            Assert.True(WaitFor(() => nodes[0].Found.Count == 1 && nodes[1].Found.Count == 1
                && nodes[0].Discovery.Drops.UnknownKey >= 3 && nodes[1].Discovery.Drops.UnknownKey >= 3
                && nodes[2].Discovery.Drops.UnknownKey >= 6, TimeSpan.FromSeconds(10)));
            Assert.Equal([new NodeId("node-b")], nodes[0].Found.Keys);
            Assert.Equal([new NodeId("node-a")], nodes[1].Found.Keys);
            Assert.Empty(nodes[2].Found);
            Assert.Equal(0, nodes[2].Discovery.Counters.BeaconsAccepted);
        }
        finally
        {
            foreach (var n in nodes) n.Dispose();
        }
    }

    [Fact]
    public void HostileDatagramsOnTheGroupAreCountedAndDiscoveryGoesOn()
    {
        if (NamespaceLab.SkipReason() is { } reason) Assert.Skip(reason);
        using var lab = new NamespaceLab(3);
        var key = ClusterKey.Generate();
        var victim = StartNode(lab, 0, key);
        var group = new IPEndPoint(LanDiscoveryOptions.DefaultGroup, LanDiscoveryOptions.DefaultPort);
        // The attacker in namespace c: a plain socket that listens on the group (to capture a real beacon) and sends.
        using var attacker = lab.Run(2, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            s.Bind(new IPEndPoint(LanDiscoveryOptions.DefaultGroup, LanDiscoveryOptions.DefaultPort));
            s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(LanDiscoveryOptions.DefaultGroup, NamespaceLab.Address(2)));
            s.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, NamespaceLab.Address(2).GetAddressBytes());
            s.ReceiveTimeout = 5000;
            return s;
        });
        try
        {
            var captured = new byte[2048];
            var length = attacker.Receive(captured); // a beacon of the victim, sealed with the real key
            var beacon = captured.AsSpan(0, length).ToArray();
            var drops = victim.Discovery.Drops;
            var random = new Random(5);

            var garbage = 0;
            for (var i = 0; i < 50; i++)
            {
                var g = new byte[random.Next(0, 300)];
                random.NextBytes(g);
                if (g.Length > 0 && g[0] == SealedPacketLayout.Version) g[0] = 0; // an unknown version: malformed for sure
                attacker.SendTo(g, group);
                garbage++;
            }
            for (var cut = 1; cut < SealedPacketLayout.MinimumLength; cut += 7) { attacker.SendTo(beacon.AsSpan(0, cut), group); garbage++; }
            var oversized = new byte[4000];
            random.NextBytes(oversized);
            for (var i = 0; i < 5; i++) attacker.SendTo(oversized, group);
            for (var i = 0; i < 5; i++) attacker.SendTo(beacon, group); // replay of an authentic beacon
            var flipped = (byte[])beacon.Clone();
            flipped[^1] ^= 1; // tampered tag
            for (var i = 0; i < 5; i++) attacker.SendTo(flipped, group);
            // Authentic envelope (the attacker stole the key) whose payload is not a beacon: e.g. a replayed gossip packet.
            var insider = new PacketSealer(new Keyring(key), new NodeId("insider"));
            for (var i = 0; i < 5; i++) attacker.SendTo(insider.Seal("not a beacon"u8), group);
            attacker.SendTo(insider.Seal([]), group);

            Assert.True(WaitFor(() => drops.Malformed >= garbage && drops.Oversized >= 5 && drops.Replayed >= 5
                && drops.NotAuthenticated >= 5 && victim.Discovery.Counters.MalformedBeacons >= 6, TimeSpan.FromSeconds(5)),
                $"{drops} / {victim.Discovery.Counters}");
            Assert.Equal(garbage, drops.Malformed);
            Assert.Equal(5, drops.Oversized);
            Assert.Equal(5, drops.Replayed);
            Assert.Equal(5, drops.NotAuthenticated);
            Assert.Equal(6, victim.Discovery.Counters.MalformedBeacons);
            Assert.Empty(victim.Found);

            // The victim still works: a real peer arriving now is discovered.
            using var peer = StartNode(lab, 1, key);
            Assert.True(WaitFor(() => victim.Found.ContainsKey(new NodeId("node-b")), TimeSpan.FromSeconds(5)));
        }
        finally
        {
            victim.Dispose();
        }
    }
}

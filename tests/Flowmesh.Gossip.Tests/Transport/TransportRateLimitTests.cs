using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>
/// Per-peer rate limits on real loopback sockets (127.78.x.y). The bounds are computed from the configured budgets
/// (burst + rate x elapsed time), never from what the transport reports about itself.
/// </summary>
[Collection(RunsAloneCollection.Name)]
public sealed class TransportRateLimitTests : IDisposable
{
    private readonly ClusterKey _key = TestKeys.Key(47);
    private readonly OwnedResources _owned = new();

    public void Dispose() => _owned.Dispose();

    private T Own<T>(T item) where T : IDisposable => _owned.Add(item);

    private static IPEndPoint At(string address) => new(IPAddress.Parse(address), 0);

    [Fact]
    public async Task A_flooding_peer_is_cut_to_its_budget_while_a_normal_peers_probes_get_through()
    {
        var transport = new TransportOptions(); // the shipped defaults: 100 datagrams/s, burst 400 per sender
        var victim = Own(new GossipPeer(new NodeId("victim"), At("127.78.1.1"), new Keyring(_key), GossipPeerClusterTests.Fast, transport: transport));
        var normal = Own(new GossipPeer(new NodeId("normal"), At("127.78.1.2"), new Keyring(_key), GossipPeerClusterTests.Fast));
        victim.Start();
        normal.Start();
        normal.Join([victim.LocalAddress]);
        await Eventually.True(TimeSpan.FromSeconds(10), () => StateOf(victim, normal.Id) == MemberState.Alive
            && StateOf(normal, victim.Id) == MemberState.Alive, "the two peers see each other alive");

        var normalStates = new List<MemberState?>();
        var victimReceivedBefore = victim.Counters.DatagramsReceived;
        var acksBefore = await victim.InvokeAsync(n => n.Counters.PacketsReceived);

        // The flooder holds the cluster key (a buggy or compromised agent): its datagrams authenticate. It sends
        // 2 000 datagrams/s of 1 000 bytes for 3 s, 20x the budget, paced so the receiving socket is not what drops them.
        using var flooder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        flooder.Bind(At("127.78.1.9"));
        // ... and its own node key: peers accept only packets signed by their sender (issue 16).
        using var flooderKey = NodeIdentity.Generate();
        var sealer = new PacketSealer(new Keyring(_key), new NodeId("flooder"), signer: FirstUseCredentialVerifier.CredentialOf(new NodeId("flooder"), flooderKey));
        var junk = new byte[1000];
        new Random(5).NextBytes(junk);
        var clock = Stopwatch.StartNew();
        var sent = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            var due = (int)(clock.Elapsed.TotalSeconds * 2000);
            while (sent < due)
            {
                flooder.SendTo(sealer.Seal(junk), victim.BoundEndpoint);
                sent++;
            }
            lock (normalStates) normalStates.Add(StateOf(victim, normal.Id));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        var floodSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(500, TestContext.Current.CancellationToken); // the last datagrams reach the receive thread
        var elapsed = clock.Elapsed.TotalSeconds;

        var received = victim.Counters.DatagramsReceived - victimReceivedBefore;
        // Everything the victim accepted in the window: the flooder's budget plus the normal peer's (which is well
        // under its own budget). Without the limit it would be ~6 000.
        var budget = transport.DatagramBurstPerPeer + transport.DatagramsPerSecondPerPeer * elapsed;
        Assert.True(received <= 2 * budget, $"received {received} datagrams in {elapsed:0.0} s; budget of two senders {2 * budget:0}");
        // Counted drops: all that was over budget, less what the kernel itself may have dropped if the receive thread
        // stalled for most of a second on a loaded machine (the socket buffer holds ~1 s of this flood): 10 % slack.
        Assert.True(victim.Counters.DatagramsRateLimited >= 0.9 * (sent - budget),
            $"sent {sent} in {floodSeconds:0.0} s, rate-limited only {victim.Counters.DatagramsRateLimited}");
        Assert.Equal(victim.Counters.DatagramsRateLimited * 1000 + victim.Counters.DatagramsRateLimited * sealer.Overhead,
            victim.Counters.DatagramBytesRateLimited);
        Assert.Equal(victim.Counters.DatagramsRateLimited, victim.Counters.DatagramDrops.RateLimited);
        Assert.Equal(0, normal.Counters.DatagramsRateLimited);

        // The normal peer never looked anything but alive to the victim, and the victim kept hearing from it.
        lock (normalStates) Assert.All(normalStates, s => Assert.Equal(MemberState.Alive, s));
        Assert.True(await victim.InvokeAsync(n => n.Counters.PacketsReceived) > acksBefore);
        Assert.Equal(MemberState.Alive, StateOf(victim, normal.Id));
        Assert.Equal(MemberState.Alive, StateOf(normal, victim.Id));
        Assert.True(victim.Datagrams.RateLimitedPeersTracked >= 2);
    }

    [Fact]
    public async Task Many_unique_senders_keep_the_datagram_table_bounded_and_each_is_served()
    {
        var options = new TransportOptions { RateLimitTableEntries = 64 };
        using var loop = new GossipEventLoop();
        var delivered = 0;
        using var receiver = new UdpGossipTransport(At("127.78.2.1"), new NodeId("receiver"), new Keyring(_key), loop, options);
        receiver.Start((_, _) => Interlocked.Increment(ref delivered));
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Bind(At("127.78.2.2"));

        const int senders = 2000;
        var maxTracked = 0;
        for (var i = 0; i < senders; i++)
        {
            var sealer = new PacketSealer(new Keyring(_key), new NodeId($"sender-{i}"));
            raw.SendTo(sealer.Seal("x"u8), receiver.BoundEndpoint);
            if (i % 100 == 99)
            {
                await Eventually.True(TimeSpan.FromSeconds(5), () => Volatile.Read(ref delivered) == i + 1, $"{i + 1} delivered");
                maxTracked = Math.Max(maxTracked, receiver.RateLimitedPeersTracked);
            }
        }
        Assert.Equal(senders, Volatile.Read(ref delivered));
        Assert.Equal(0, receiver.Counters.DatagramsRateLimited); // each new sender starts with a full budget
        Assert.Equal(64, maxTracked);
        Assert.Equal(64, receiver.RateLimitedPeersTracked);
    }

    [Fact]
    public async Task A_source_opening_connections_too_fast_is_refused_while_another_source_is_served()
    {
        var options = new TransportOptions { ConnectionsPerSecondPerAddress = 5, ConnectionBurstPerAddress = 10 };
        var server = Own(new TcpGossipStreams(new NodeId("server"), new Keyring(_key), options));
        server.Register(GossipStreamKind.RecordSync, (_, request, _) => ValueTask.FromResult<byte[]?>(request.ToArray()));
        server.Listen(At("127.78.3.1"));

        var clock = Stopwatch.StartNew();
        const int attempts = 100;
        for (var i = 0; i < attempts; i++)
        {
            using var flood = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            flood.Bind(At("127.78.3.9"));
            await flood.ConnectAsync(server.ListenEndpoint!, TestContext.Current.CancellationToken);
        }
        var elapsed = clock.Elapsed.TotalSeconds;
        var admitted = options.ConnectionBurstPerAddress + options.ConnectionsPerSecondPerAddress * elapsed;
        await Eventually.True(TimeSpan.FromSeconds(5), () => server.Counters[StreamRefusal.RateLimited] >= attempts - admitted,
            $"at least {attempts - admitted:0} of {attempts} refused as rate-limited in {elapsed:0.00} s");
        Assert.True(server.Counters[StreamRefusal.RateLimited] <= attempts - options.ConnectionBurstPerAddress,
            $"{server.Counters[StreamRefusal.RateLimited]} refused: the burst of {options.ConnectionBurstPerAddress} must be admitted");

        // A client on another source address (127.0.0.1 when unbound) still gets an authentic reply.
        var client = Own(new TcpGossipStreams(new NodeId("client"), new Keyring(_key)));
        var reply = await client.RequestAsync(GossipEndpoint.ToAddress(server.ListenEndpoint!), GossipStreamKind.RecordSync,
            "ping"u8.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal("ping"u8.ToArray(), reply);
    }

    [Fact]
    public async Task Connections_from_many_unique_addresses_keep_the_address_table_bounded()
    {
        var options = new TransportOptions { RateLimitTableEntries = 32, ConnectionsPerSecondPerAddress = 1, ConnectionBurstPerAddress = 1 };
        var server = Own(new TcpGossipStreams(new NodeId("server"), new Keyring(_key), options));
        server.Listen(At("127.78.4.1"));
        const int sources = 300;
        var maxTracked = 0;
        for (var i = 0; i < sources; i++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(At($"127.78.{5 + i / 200}.{1 + i % 200}"));
            await socket.ConnectAsync(server.ListenEndpoint!, TestContext.Current.CancellationToken);
            maxTracked = Math.Max(maxTracked, server.RateLimitedAddressesTracked);
        }
        await Eventually.True(TimeSpan.FromSeconds(5),
            () => server.Counters[StreamRefusal.ConnectionFailed] + server.Counters[StreamRefusal.Timeout] >= sources,
            "every connection served (closed without a frame), none rate-limited");
        Assert.Equal(0, server.Counters[StreamRefusal.RateLimited]); // one connection each: within every budget
        Assert.True(maxTracked <= 32, $"table held {maxTracked}");
        Assert.Equal(32, server.RateLimitedAddressesTracked);
    }

    private static MemberState? StateOf(GossipPeer viewer, NodeId subject) =>
        viewer.Members.FirstOrDefault(m => m.Id == subject)?.State;
}

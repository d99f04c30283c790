using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

[Collection(RunsAloneCollection.Name)]
public sealed class UdpGossipTransportTests : IDisposable
{
    private static readonly NodeId Receiver = new("receiver");
    private static readonly NodeId Sender = new("sender");
    private readonly ClusterKey _key = TestKeys.Key(11);
    private readonly GossipEventLoop _loop = new();
    private readonly List<(GossipAddress From, byte[] Payload)> _delivered = [];
    private readonly UdpGossipTransport _udp;

    public UdpGossipTransportTests()
    {
        _udp = new UdpGossipTransport(new IPEndPoint(IPAddress.Parse("127.77.1.1"), 0), Receiver, new Keyring(_key), _loop,
            sealing: new SealedPacketOptions { MaxPacketLength = 2000 });
        _udp.Start((from, payload) =>
        {
            Assert.True(_loop.IsOnLoop);
            lock (_delivered) _delivered.Add((from, payload));
        });
    }

    public void Dispose()
    {
        _udp.Dispose();
        _loop.Dispose();
    }

    private int Delivered { get { lock (_delivered) return _delivered.Count; } }

    [Fact]
    public async Task Two_transports_exchange_sealed_datagrams_and_the_receiver_sees_the_senders_address()
    {
        using var other = new UdpGossipTransport(new IPEndPoint(IPAddress.Parse("127.77.1.2"), 0), Sender, new Keyring(_key), _loop);
        other.Send(_udp.LocalAddress, "hello"u8);
        await Eventually.True(TimeSpan.FromSeconds(5), () => Delivered == 1, "datagram delivered");

        lock (_delivered)
        {
            Assert.Equal(other.LocalAddress, _delivered[0].From);
            Assert.Equal("hello"u8.ToArray(), _delivered[0].Payload);
        }
        Assert.Equal(1, other.Counters.DatagramsSent);
        Assert.Equal(1, _udp.Counters.DatagramsReceived);
        Assert.Equal(other.Counters.DatagramBytesSent, _udp.Counters.DatagramBytesReceived);
        Assert.True(_udp.Counters.DatagramBytesReceived > "hello".Length, "bytes on the wire include the envelope");
    }

    [Fact]
    public async Task Hostile_datagrams_are_dropped_by_reason_and_the_receive_loop_keeps_serving()
    {
        using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        raw.Bind(new IPEndPoint(IPAddress.Parse("127.77.1.3"), 0));
        var target = _udp.BoundEndpoint;
        var sealer = new PacketSealer(new Keyring(_key), Sender);
        var foreign = new PacketSealer(new Keyring(TestKeys.Key(99)), Sender);
        var random = new Random(5);
        var sent = 0;
        void SendRaw(byte[] bytes) { raw.SendTo(bytes, target); sent++; }

        // Random garbage that cannot start with the version byte: malformed, always.
        for (var i = 0; i < 50; i++)
        {
            var junk = new byte[random.Next(0, 1500)];
            random.NextBytes(junk);
            if (junk.Length > 0 && junk[0] == SealedPacketLayout.Version) junk[0] = 0;
            SendRaw(junk);
        }
        // Truncations of a valid packet: shorter than the minimum is malformed, otherwise the tag cannot verify.
        var valid = sealer.Seal("payload that gets cut"u8);
        for (var cut = 1; cut < valid.Length; cut += 7) SendRaw(valid[..cut]);
        // A flipped bit in the ciphertext.
        var tampered = sealer.Seal("tampered"u8);
        tampered[^20] ^= 1;
        SendRaw(tampered);
        // Other cluster's key, oversized, and a replay of a packet that is delivered once.
        SendRaw(foreign.Seal("other cluster"u8));
        SendRaw(new byte[2001]);
        var once = sealer.Seal("once"u8);
        SendRaw(once);
        SendRaw(once);

        var hostile = sent - 1; // the first copy of "once" is genuine
        await Eventually.True(TimeSpan.FromSeconds(10), () => _udp.Counters.DatagramDrops.Total == hostile && Delivered == 1,
            "every hostile datagram counted as dropped");
        var drops = _udp.Counters.DatagramDrops;
        Assert.Equal(1, drops.Replayed);
        Assert.Equal(1, drops.Oversized);
        Assert.True(drops.UnknownKey >= 1, drops.ToString());
        Assert.True(drops.NotAuthenticated >= 1, drops.ToString());
        Assert.True(drops.Malformed >= 50, drops.ToString());

        // Still alive: a fresh genuine datagram arrives.
        SendRaw(sealer.Seal("after"u8));
        await Eventually.True(TimeSpan.FromSeconds(5), () => Delivered == 2, "genuine datagram after the attack");
        lock (_delivered) Assert.Equal(["once", "after"], _delivered.Select(d => System.Text.Encoding.UTF8.GetString(d.Payload)));
        Assert.Equal(0, _loop.CallbackFailures);
    }

    [Fact]
    public void Sending_to_an_unparseable_address_is_counted_not_thrown()
    {
        _udp.Send(new GossipAddress("not-an-address"), "x"u8);
        _udp.Send(new GossipAddress("[::1]:7946"), "x"u8); // IPv6 target from an IPv4 socket
        Assert.Equal(2, _udp.Counters.SendErrors);
        Assert.Equal(0, _udp.Counters.DatagramsSent);
    }

    [Fact]
    public async Task Ipv6_loopback_works_when_the_host_has_it()
    {
        if (!Socket.OSSupportsIPv6) Assert.Skip("no IPv6 on this host");
        UdpGossipTransport a, b;
        try
        {
            a = new UdpGossipTransport(new IPEndPoint(IPAddress.IPv6Loopback, 0), Sender, new Keyring(_key), _loop);
        }
        catch (SocketException e)
        {
            Assert.Skip($"cannot bind ::1 here: {e.Message}");
            return;
        }
        using (a)
        using (b = new UdpGossipTransport(new IPEndPoint(IPAddress.IPv6Loopback, 0), Receiver, new Keyring(_key), _loop))
        {
            var got = new TaskCompletionSource<GossipAddress>();
            b.Start((from, _) => got.TrySetResult(from));
            Assert.StartsWith("[::1]:", a.LocalAddress.Value);
            a.Send(b.LocalAddress, "v6"u8);
            Assert.Equal(a.LocalAddress, await got.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        }
    }
}

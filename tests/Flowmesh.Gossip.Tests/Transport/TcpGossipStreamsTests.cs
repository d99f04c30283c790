using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Tests.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

[Collection(RunsAloneCollection.Name)]
public sealed class TcpGossipStreamsTests : IDisposable
{
    private static readonly NodeId ServerId = new("server");
    private static readonly NodeId ClientId = new("client");
    private readonly ClusterKey _key = TestKeys.Key(21);
    private readonly TcpGossipStreams _server;
    private readonly List<TcpGossipStreams> _clients = [];
    private int _handled;

    public TcpGossipStreamsTests()
    {
        _server = Server(new TransportOptions());
    }

    private TcpGossipStreams Server(TransportOptions options)
    {
        var server = new TcpGossipStreams(ServerId, new Keyring(_key), options);
        server.Listen(new IPEndPoint(IPAddress.Parse("127.77.2.1"), 0));
        // Echo with the authenticated sender in front, so the test sees what the handler was told.
        server.Register(GossipStreamKind.RecordSync, (sender, request, _) =>
        {
            Interlocked.Increment(ref _handled);
            return ValueTask.FromResult<byte[]?>([.. System.Text.Encoding.UTF8.GetBytes(sender.Value + ":"), .. request.Span]);
        });
        return server;
    }

    private TcpGossipStreams Client(ClusterKey? key = null)
    {
        var client = new TcpGossipStreams(ClientId, new Keyring(key ?? _key));
        _clients.Add(client);
        return client;
    }

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
        _server.Dispose();
    }

    private static GossipAddress At(TcpGossipStreams server) => GossipEndpoint.ToAddress(server.ListenEndpoint!);
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_gets_the_handlers_reply_and_the_handler_sees_the_authenticated_sender()
    {
        var client = Client();
        var big = new byte[300_000]; // far beyond a datagram
        new Random(3).NextBytes(big);
        var reply = await client.RequestAsync(At(_server), GossipStreamKind.RecordSync, big, Ct);

        Assert.NotNull(reply);
        Assert.Equal([.. "client:"u8.ToArray(), .. big], reply);
        Assert.Equal(1, client.Counters.StreamRequestsSent);
        Assert.Equal(1, client.Counters.StreamRepliesReceived);
        Assert.Equal(1, _server.Counters.StreamRequestsServed);
        Assert.Equal(0, _server.Counters.StreamRefusals);
    }

    [Fact]
    public async Task A_kind_without_handler_and_a_null_reply_both_give_null()
    {
        var client = Client();
        Assert.Null(await client.RequestAsync(At(_server), GossipStreamKind.PushPull, "x"u8.ToArray(), Ct));
        Assert.Equal(1, _server.Counters[StreamRefusal.UnknownKind]);

        _server.Register(GossipStreamKind.PushPull, (_, _, _) => ValueTask.FromResult<byte[]?>(null));
        Assert.Null(await client.RequestAsync(At(_server), GossipStreamKind.PushPull, "x"u8.ToArray(), Ct));
        Assert.Equal(1, _server.Counters.StreamRequestsServed);
    }

    [Fact]
    public async Task A_client_with_another_cluster_key_is_refused_before_any_handler_runs()
    {
        var stranger = Client(TestKeys.Key(999));
        Assert.Null(await stranger.RequestAsync(At(_server), GossipStreamKind.RecordSync, "let me in"u8.ToArray(), Ct));
        await Eventually.True(TimeSpan.FromSeconds(5), () => _server.Counters[StreamRefusal.NotAuthenticated] == 1, "refusal counted");
        Assert.Equal(1, _server.Counters.StreamDrops.UnknownKey);
        Assert.Equal(0, _handled);
        Assert.Equal(1, stranger.Counters[StreamRefusal.ConnectionFailed]); // closed without a reply
    }

    [Fact]
    public async Task A_handler_that_throws_is_counted_and_the_client_gets_null()
    {
        _server.Register(GossipStreamKind.PushPull, (_, _, _) => throw new InvalidOperationException("bug"));
        Assert.Null(await Client().RequestAsync(At(_server), GossipStreamKind.PushPull, "x"u8.ToArray(), Ct));
        await Eventually.True(TimeSpan.FromSeconds(5), () => _server.Counters[StreamRefusal.HandlerFailed] == 1, "counted");
    }

    [Fact]
    public async Task Unreachable_peers_give_null_quickly_and_are_counted()
    {
        var client = Client();
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Parse("127.77.2.9"), 0)); // bound, not listening: connection refused
        var address = GossipEndpoint.ToAddress((IPEndPoint)closed.LocalEndPoint!);
        Assert.Null(await client.RequestAsync(address, GossipStreamKind.RecordSync, "x"u8.ToArray(), Ct));
        Assert.Null(await client.RequestAsync(new GossipAddress("nonsense"), GossipStreamKind.RecordSync, "x"u8.ToArray(), Ct));
        Assert.Equal(2, client.Counters[StreamRefusal.ConnectionFailed]);
    }

    [Fact]
    public async Task Hostile_frames_are_refused_and_counted_and_the_server_keeps_serving()
    {
        // Announced length above the cap: closed before a byte of body is read.
        Assert.True(await SendRawAndSeeClosed(Prefix(uint.MaxValue)));
        Assert.True(await SendRawAndSeeClosed(Prefix(8 * 1024 * 1024 + 1)));
        // Below the smallest envelope.
        Assert.True(await SendRawAndSeeClosed(Prefix(3)));
        // Garbage of a plausible length.
        var garbage = new byte[500];
        new Random(8).NextBytes(garbage);
        garbage[0] = SealedPacketLayout.Version;
        Assert.True(await SendRawAndSeeClosed([.. Prefix(500), .. garbage]));
        // A genuine sealed request, replayed byte for byte.
        var sealedRequest = new PacketSealer(new Keyring(_key), new NodeId("raw-client")).Seal([(byte)GossipStreamKind.RecordSync, 1, 2, 3]);
        var frame = (byte[])[.. Prefix((uint)sealedRequest.Length), .. sealedRequest];
        Assert.False(await SendRawAndSeeClosed(frame)); // answered
        Assert.True(await SendRawAndSeeClosed(frame));  // replay: refused
        // A truncated frame, then the connection closes.
        Assert.True(await SendRawAndSeeClosed(frame[..(frame.Length - 10)], shutdownSend: true));

        await Eventually.True(TimeSpan.FromSeconds(5), () => _server.Counters.StreamRefusals == 6, "six refusals");
        Assert.Equal(1, _server.Counters[StreamRefusal.BadFrameLength]);
        Assert.Equal(2, _server.Counters[StreamRefusal.PreAuthTooLarge]); // above MaxPreAuthFrameBytes (1 MiB)
        Assert.Equal(2, _server.Counters[StreamRefusal.NotAuthenticated]);
        Assert.Equal(1, _server.Counters.StreamDrops.Replayed);
        Assert.Equal(1, _server.Counters[StreamRefusal.ConnectionFailed]);
        Assert.Equal(1, _handled);

        Assert.NotNull(await Client().RequestAsync(At(_server), GossipStreamKind.RecordSync, "still here"u8.ToArray(), Ct));
    }

    [Fact]
    public async Task Slow_clients_neither_block_others_nor_hold_a_slot_past_the_pre_authentication_deadline()
    {
        using var server = Server(new TransportOptions { PreAuthTimeout = TimeSpan.FromSeconds(2), MaxInboundConnections = 4 });
        var slow = new List<Socket>();
        try
        {
            // Three slowloris connections: a length prefix and one byte, then silence.
            for (var i = 0; i < 3; i++)
            {
                var s = await Connect(server);
                await s.SendAsync((byte[])[.. Prefix(1000), 1], SocketFlags.None, Ct);
                slow.Add(s);
            }
            await Eventually.True(TimeSpan.FromSeconds(5), () => server.ActiveInbound == 3 && server.PreAuthInbound == 3, "three slow connections held");

            // A genuine client is served at once, while the slow ones still hang; they never took an authenticated slot.
            var started = System.Diagnostics.Stopwatch.StartNew();
            Assert.NotNull(await Client().RequestAsync(At(server), GossipStreamKind.RecordSync, "fast"u8.ToArray(), Ct));
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(1.5), $"served after {started.Elapsed}");
            Assert.Equal(0, server.Counters[StreamRefusal.TooManyConnections]);

            // The pre-authentication deadline frees every slot and each slow client is counted.
            await Eventually.True(TimeSpan.FromSeconds(6), () => server.ActiveInbound == 0, "slots freed by the deadline");
            Assert.Equal(3, server.Counters[StreamRefusal.PreAuthTimeout]);
            Assert.NotNull(await Client().RequestAsync(At(server), GossipStreamKind.RecordSync, "after"u8.ToArray(), Ct));
        }
        finally
        {
            foreach (var s in slow) s.Dispose();
        }
    }

    [Fact]
    public async Task Authenticated_exchanges_beyond_MaxInboundConnections_are_refused_and_counted()
    {
        using var gate = new SemaphoreSlim(0);
        using var server = new TcpGossipStreams(ServerId, new Keyring(_key), new TransportOptions { MaxInboundConnections = 2 });
        server.Listen(new IPEndPoint(IPAddress.Parse("127.77.2.1"), 0));
        server.Register(GossipStreamKind.RecordSync, async (_, request, ct) =>
        {
            await gate.WaitAsync(ct);
            return request.ToArray();
        });
        // Distinct sender names: two sealers of one name in the same millisecond would collide in the replay window.
        TcpGossipStreams Named(string name)
        {
            var c = new TcpGossipStreams(new NodeId(name), new Keyring(_key));
            _clients.Add(c);
            return c;
        }
        var busy = new[] { "a", "b" }.Select(x => Named(x).RequestAsync(At(server), GossipStreamKind.RecordSync, System.Text.Encoding.UTF8.GetBytes(x), Ct)).ToList();
        await Eventually.True(TimeSpan.FromSeconds(5), () => server.AuthenticatedInbound == 2, "two handlers busy");
        Assert.Null(await Named("c").RequestAsync(At(server), GossipStreamKind.RecordSync, "c"u8.ToArray(), Ct));
        Assert.Equal(1, server.Counters[StreamRefusal.TooManyConnections]);
        gate.Release(2);
        Assert.All(await Task.WhenAll(busy), Assert.NotNull);
    }

    private static byte[] Prefix(uint length)
    {
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, length);
        return prefix;
    }

    private static async Task<Socket> Connect(TcpGossipStreams server)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(server.ListenEndpoint!, Ct);
        return s;
    }

    /// <summary>Sends raw bytes; true when the server closed the connection without a reply.</summary>
    private async Task<bool> SendRawAndSeeClosed(byte[] bytes, bool shutdownSend = false)
    {
        using var s = await Connect(_server);
        await s.SendAsync(bytes, SocketFlags.None, Ct);
        if (shutdownSend) s.Shutdown(SocketShutdown.Send);
        var buffer = new byte[64];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            return await s.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0;
        }
        catch (SocketException)
        {
            return true; // reset counts as closed
        }
    }
}

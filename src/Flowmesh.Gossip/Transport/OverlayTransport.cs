using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// What a real <see cref="MembershipNode"/> sends through: datagrams over UDP, the reliable path (push-pull and join)
/// as a <see cref="GossipStreamKind.PushPull"/> request over TCP. The request carries our full state; the peer's node
/// merges it on its loop and its push-pull reply becomes the TCP response, which is posted back onto our loop as an
/// ordinary received packet. So the protocol code is the simulator's, and full state is never limited to one datagram.
/// </summary>
public sealed class OverlayTransport : IGossipTransport
{
    private readonly UdpGossipTransport _udp;
    private readonly TcpGossipStreams _streams;
    private readonly GossipEventLoop _loop;
    private MembershipNode? _node;
    private ReplyCapture? _capture;
    private long _reliableSent, _reliableAnswered;

    public OverlayTransport(UdpGossipTransport udp, TcpGossipStreams streams, GossipEventLoop loop)
    {
        _udp = udp;
        _streams = streams;
        _loop = loop;
    }

    public GossipAddress LocalAddress => _udp.LocalAddress;

    /// <summary>Push-pulls this node started over TCP, and how many came back with the peer's state.</summary>
    public long ReliableSent => Interlocked.Read(ref _reliableSent);
    public long ReliableAnswered => Interlocked.Read(ref _reliableAnswered);

    /// <summary>Binds the node (created with this transport) and serves incoming push-pulls with it.</summary>
    public void Attach(MembershipNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (_node is not null) throw new InvalidOperationException("a node is already attached");
        _node = node;
        _streams.Register(GossipStreamKind.PushPull, ServePushPull);
    }

    public void Send(GossipAddress to, ReadOnlySpan<byte> packet) => _udp.Send(to, packet);

    public void SendReliable(GossipAddress to, byte[] packet)
    {
        // Inside ServePushPull the node answers the requester: that answer is the TCP response, not a new connection.
        if (_capture is { } capture && _loop.IsOnLoop)
        {
            capture.Reply = packet;
            return;
        }
        var node = _node ?? throw new InvalidOperationException("attach the node first");
        Interlocked.Increment(ref _reliableSent);
        _ = Task.Run(async () =>
        {
            var reply = await _streams.RequestAsync(to, GossipStreamKind.PushPull, packet, CancellationToken.None);
            if (reply is not { Length: > 0 }) return; // unreachable or refused: the node retries on its own schedule
            Interlocked.Increment(ref _reliableAnswered);
            _loop.Post(() => node.HandlePacket(to, reply));
        });
    }

    private async ValueTask<byte[]?> ServePushPull(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var node = _node!;
        var copy = request.ToArray();
        // The requester's gossip address is inside its state; this placeholder only routes the captured reply.
        var from = new GossipAddress("stream:" + sender.Value);
        return await _loop.InvokeAsync(() =>
        {
            var capture = new ReplyCapture();
            _capture = capture;
            try
            {
                node.HandlePacket(from, copy);
            }
            finally
            {
                _capture = null;
            }
            return capture.Reply;
        }).WaitAsync(cancellationToken);
    }

    private sealed class ReplyCapture
    {
        public byte[]? Reply { get; set; }
    }
}

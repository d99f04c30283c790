using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// What a real <see cref="MembershipNode"/> sends through: datagrams over UDP, the reliable path (push-pull, join and
/// the fallback ping) as a <see cref="GossipStreamKind.PushPull"/> request over TCP. The peer's node handles the
/// packet on its loop; the first packet it sends back to the requester while doing so (its push-pull reply, or the ack
/// of a fallback ping) becomes the TCP response, posted back onto our loop as an ordinary received packet. So the
/// protocol code is the simulator's, full state is never limited to one datagram, and a node whose UDP is filtered
/// still answers probes.
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

    /// <summary>Reliable sends (push-pulls, joins, fallback pings) this node started over TCP, and how many were answered.</summary>
    public long ReliableSent => Interlocked.Read(ref _reliableSent);
    public long ReliableAnswered => Interlocked.Read(ref _reliableAnswered);

    /// <summary>Binds the node (created with this transport) and serves incoming push-pulls with it.</summary>
    public void Attach(MembershipNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (_node is not null) throw new InvalidOperationException("a node is already attached");
        _node = node;
        _streams.Register(GossipStreamKind.PushPull, ServeReliable);
    }

    public void Send(GossipAddress to, ReadOnlySpan<byte> packet)
    {
        if (TryCapture(to, packet)) return;
        _udp.Send(to, packet);
    }

    public void SendReliable(GossipAddress to, byte[] packet)
    {
        if (TryCapture(to, packet)) return;
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

    /// <summary>Inside <see cref="ServeReliable"/> the node answers the requester: that answer is the TCP response.</summary>
    private bool TryCapture(GossipAddress to, ReadOnlySpan<byte> packet)
    {
        if (_capture is not { } capture || capture.Requester != to || !_loop.IsOnLoop) return false;
        capture.Reply ??= packet.ToArray();
        return true;
    }

    private async ValueTask<byte[]?> ServeReliable(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        var node = _node!;
        var copy = request.ToArray();
        // The requester's gossip address is inside its state; this placeholder only routes the captured reply.
        var from = new GossipAddress("stream:" + sender.Value);
        return await _loop.InvokeAsync(() =>
        {
            var capture = new ReplyCapture(from);
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

    private sealed class ReplyCapture(GossipAddress requester)
    {
        public GossipAddress Requester { get; } = requester;
        public byte[]? Reply { get; set; }
    }
}

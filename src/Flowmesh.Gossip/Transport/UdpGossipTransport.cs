using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// Gossip datagrams over one UDP socket. Every outgoing packet is sealed (cluster key + our NodeId), every incoming one
/// opened; anything that does not open is dropped and counted by reason, and the receive thread never stops for bad
/// input (only <see cref="Dispose"/> ends it). Opened payloads go to the event loop, so the node sees them on its own
/// thread. On its own, <see cref="SendReliable"/> is just a datagram; <see cref="OverlayTransport"/> puts the
/// reliable path on TCP for the node.
/// </summary>
public sealed class UdpGossipTransport : IGossipTransport, IDisposable
{
    private readonly Socket _socket;
    private readonly PacketSealer _sealer;
    private readonly PacketOpener _opener;
    private readonly GossipEventLoop _loop;
    private readonly TransportOptions _options;
    private readonly ConcurrentDictionary<GossipAddress, IPEndPoint?> _endpoints = new();
    private readonly Dictionary<SocketAddress, GossipAddress> _senders = [];
    private readonly PeerRateLimiter<NodeId>? _limiter;
    private Thread? _receiver;
    private Action<GossipAddress, byte[], PacketOrigin>? _onPacket;
    private volatile bool _disposed;
    private NodeId? _keyMismatchFrom; // set by the opener during TryOpen, on the receive thread

    /// <summary>
    /// Raised on the event loop when a datagram claimed a name bound to another key, with the address it came from:
    /// a second agent given a member's name (or an insider impersonating it). The packet itself was dropped.
    /// </summary>
    public event Action<NodeId, GossipAddress>? ForeignKeyClaim;

    /// <param name="bind">Local endpoint; port 0 picks a free one (read it back from <see cref="BoundEndpoint"/>).</param>
    /// <param name="advertise">Address others should use for us (NAT, 0.0.0.0 binds); defaults to the bound endpoint.</param>
    public UdpGossipTransport(IPEndPoint bind, NodeId self, Keyring keyring, GossipEventLoop loop,
        TransportOptions? options = null, GossipAddress? advertise = null, TransportCounters? counters = null,
        SealedPacketOptions? sealing = null, ulong? firstSequence = null, NodeCredential? credential = null, VerifiedCredentials? signers = null)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(keyring);
        ArgumentNullException.ThrowIfNull(loop);
        _options = options ?? new TransportOptions();
        _options.Validate();
        _loop = loop;
        // With a credential every datagram is signed by our node key and only signed ones are accepted (issue 16), so
        // the replay guard and the rate limiter below key on a sender that proved its name.
        _sealer = new PacketSealer(keyring, self, firstSequence: firstSequence, signer: credential);
        _opener = new PacketOpener(keyring, sealing, signers: signers);
        Counters = counters ?? new TransportCounters();
        Counters.DatagramDrops = _opener.Drops;
        if (_options.DatagramsPerSecondPerPeer > 0 || _options.DatagramBytesPerSecondPerPeer > 0)
            _limiter = new PeerRateLimiter<NodeId>(_options.DatagramsPerSecondPerPeer, _options.DatagramBurstPerPeer,
                _options.DatagramBytesPerSecondPerPeer, _options.DatagramByteBurstPerPeer, _options.RateLimitTableEntries);
        _opener.KeyMismatch = (name, _) => _keyMismatchFrom = name;
        if (_limiter is { } limiter && signers is not null)
            _opener.AdmitBeforeSignature = (sender, length) =>
            {
                if (limiter.HasBudget(sender, length)) return true;
                Counters.DatagramRateLimited(length);
                return false;
            };
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = false;
            _socket.ReceiveBufferSize = _options.UdpReceiveBufferBytes;
            _socket.Bind(bind);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        BoundEndpoint = (IPEndPoint)_socket.LocalEndPoint!;
        LocalAddress = advertise ?? GossipEndpoint.ToAddress(BoundEndpoint);
    }

    public GossipAddress LocalAddress { get; }
    public IPEndPoint BoundEndpoint { get; }
    public TransportCounters Counters { get; }

    /// <summary>Why credentials on received datagrams were refused (each is also a CredentialRefused drop).</summary>
    public CredentialRefusalCounters CredentialRefusals => _opener.CredentialRefusals;

    /// <summary>Bytes sealing adds to each datagram's payload (the envelope, and with a credential its proof).</summary>
    public int SealOverhead => _sealer.Overhead;

    /// <summary>Senders whose datagram budget is remembered (bounded by <see cref="TransportOptions.RateLimitTableEntries"/>).</summary>
    public int RateLimitedPeersTracked => _limiter?.Count ?? 0;

    /// <summary>Starts receiving; <paramref name="onPacket"/> runs on the event loop with each opened payload.</summary>
    public void Start(Action<GossipAddress, byte[]> onPacket)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        Start((from, payload, _) => onPacket(from, payload));
    }

    /// <summary>Starts receiving; <paramref name="onPacket"/> also gets who sealed each payload and when (for clock samples).</summary>
    public void Start(Action<GossipAddress, byte[], PacketOrigin> onPacket)
    {
        ArgumentNullException.ThrowIfNull(onPacket);
        if (_receiver is not null) throw new InvalidOperationException("already started");
        _onPacket = onPacket;
        _receiver = new Thread(ReceiveLoop) { IsBackground = true, Name = $"gossip-udp {LocalAddress}" };
        _receiver.Start();
    }

    public void Send(GossipAddress to, ReadOnlySpan<byte> packet)
    {
        if (_disposed) return;
        if (Resolve(to) is not { } endpoint)
        {
            Counters.SendFailed();
            return;
        }
        var sealedPacket = _sealer.Seal(packet);
        try
        {
            _socket.SendTo(sealedPacket, SocketFlags.None, endpoint);
            Counters.DatagramSent(sealedPacket.Length);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Counters.SendFailed();
        }
    }

    public void SendReliable(GossipAddress to, byte[] packet) => Send(to, packet);

    /// <summary>Parsed endpoints are cached: the node sends to the same few addresses over and over.</summary>
    private IPEndPoint? Resolve(GossipAddress to)
    {
        if (_endpoints.TryGetValue(to, out var cached)) return cached;
        if (_endpoints.Count >= _options.AddressCacheEntries) _endpoints.Clear();
        var endpoint = GossipEndpoint.TryParse(to.Value, out var parsed, out _) ? parsed : null;
        _endpoints[to] = endpoint;
        return endpoint;
    }

    private void ReceiveLoop()
    {
        // One buffer and one SocketAddress for the life of the socket: receiving allocates nothing until a packet
        // authenticates (the opener then allocates the plaintext the node keeps).
        var buffer = new byte[65_536];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_disposed)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue; // e.g. an ICMP error reported on the socket: not fatal
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (!_opener.TryOpen(buffer.AsSpan(0, length), out var opened, out var dropped))
            {
                if (_keyMismatchFrom is { } name && ForeignKeyClaim is { } report)
                {
                    var claimedFrom = SenderAddress(from);
                    _loop.Post(() => report(name, claimedFrom));
                }
                _keyMismatchFrom = null;
                continue;
            }
            // Limited by the authenticated sender, after opening: the NodeId in a header that has not been verified
            // could be forged to spend an honest peer's budget. What the limit protects is the event loop (and the
            // node's work per message): a refused datagram is never posted.
            if (_limiter is not null && !_limiter.TryAcquire(opened!.Sender, length))
            {
                Counters.DatagramRateLimited(length);
                continue;
            }
            Counters.DatagramReceived(length);
            var sender = SenderAddress(from);
            var payload = opened!.Payload;
            var origin = new PacketOrigin(opened.Sender, opened.SentAt, opened.ReceivedAt);
            var onPacket = _onPacket!;
            _loop.Post(() => onPacket(sender, payload, origin));
        }
    }

    private GossipAddress SenderAddress(SocketAddress from)
    {
        if (_senders.TryGetValue(from, out var known)) return known;
        if (_senders.Count >= _options.AddressCacheEntries) _senders.Clear();
        var copy = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(copy.Buffer.Span);
        var endpoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(copy);
        var address = GossipEndpoint.ToAddress(endpoint);
        _senders[copy] = address;
        return address;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _socket.Dispose();
        if (_receiver is not null && Thread.CurrentThread != _receiver) _receiver.Join(TimeSpan.FromSeconds(5));
    }
}

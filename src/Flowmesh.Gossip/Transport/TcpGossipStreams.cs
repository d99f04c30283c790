using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// Request/response over TCP on the gossip port, one exchange per connection (as memberlist's stream messages).
/// Request and reply are each one <see cref="StreamFrame"/> whose body is a sealed envelope (same cluster key and
/// replay guard as datagrams, so a peer without the key is refused before any handler runs):
/// request payload = kind (1) | body; reply payload = kind (1) | status (1: 0 reply, 1 none) | body.
/// Inbound connections have two phases. Until the request frame has arrived and opened, a connection is in a small
/// pre-authentication table (per source address and in total, oldest evicted first) with a short deadline
/// (<see cref="TransportOptions.PreAuthTimeout"/>) and byte cap, so a host without the key can neither hold many
/// connections nor hold them long, and never reaches the slots of authenticated exchanges
/// (<see cref="TransportOptions.MaxInboundConnections"/>, each bounded by <see cref="TransportOptions.StreamTimeout"/>).
/// </summary>
public sealed class TcpGossipStreams : IGossipStreams, IDisposable
{
    private const byte StatusReply = 0;
    private const byte StatusNone = 1;

    private readonly PacketSealer _sealer;
    private readonly PacketOpener _opener;
    private readonly TransportOptions _options;
    private readonly ConcurrentDictionary<GossipStreamKind, GossipStreamHandler> _handlers = new();
    private readonly CancellationTokenSource _shutdown = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private readonly PeerRateLimiter<IPAddress>? _limiter;
    private readonly PreAuthTable _preAuth;
    private int _activeInbound, _activeAuthenticated;

    /// <param name="firstSequence">Where this life's sealed sequence numbers start (<see cref="SequenceReservation"/>).</param>
    public TcpGossipStreams(NodeId self, Keyring keyring, TransportOptions? options = null, TransportCounters? counters = null,
        ulong? firstSequence = null, NodeCredential? credential = null, VerifiedCredentials? signers = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _options = options ?? new TransportOptions();
        _options.Validate();
        _sealer = new PacketSealer(keyring, self, firstSequence: firstSequence, signer: credential);
        // Stream envelopes are bigger than datagrams; they get their own opener (and replay window) sized for frames.
        _opener = new PacketOpener(keyring, new SealedPacketOptions { MaxPacketLength = _options.MaxFrameBytes }, signers: signers);
        Counters = counters ?? new TransportCounters();
        Counters.StreamDrops = _opener.Drops;
        _opener.KeyMismatch = (name, payload) => ForeignKeyClaim?.Invoke(name, payload);
        _preAuth = new PreAuthTable(_options.MaxPreAuthConnections, _options.MaxPreAuthConnectionsPerAddress);
        if (_options.ConnectionsPerSecondPerAddress > 0)
            _limiter = new PeerRateLimiter<IPAddress>(_options.ConnectionsPerSecondPerAddress, _options.ConnectionBurstPerAddress,
                0, 0, _options.RateLimitTableEntries);
    }

    /// <summary>
    /// Raised (on a pool thread) when a stream request or reply claimed a name bound to another key, with its
    /// unauthenticated payload (kind | body): a second agent with a member's name joins over a stream first.
    /// </summary>
    public event Action<NodeId, byte[]>? ForeignKeyClaim;

    /// <summary>Why credentials of signed stream frames were refused (each also counts as a credential_refused drop).</summary>
    public CredentialRefusalCounters CredentialRefusals => _opener.CredentialRefusals;

    /// <summary>Source addresses whose connection budget is remembered (bounded by <see cref="TransportOptions.RateLimitTableEntries"/>).</summary>
    public int RateLimitedAddressesTracked => _limiter?.Count ?? 0;

    public TransportCounters Counters { get; }

    /// <summary>The listening endpoint once <see cref="Listen"/> ran.</summary>
    public IPEndPoint? ListenEndpoint { get; private set; }

    /// <summary>Inbound connections being served right now, authenticated or not.</summary>
    public int ActiveInbound => Volatile.Read(ref _activeInbound);

    /// <summary>Inbound connections whose request has not arrived and authenticated yet.</summary>
    public int PreAuthInbound => _preAuth.Count;

    /// <summary>Inbound exchanges past authentication (bounded by <see cref="TransportOptions.MaxInboundConnections"/>).</summary>
    public int AuthenticatedInbound => Volatile.Read(ref _activeAuthenticated);

    /// <summary>Serves <paramref name="kind"/> with <paramref name="handler"/> (replacing any earlier one). Handlers run on the thread pool.</summary>
    public void Register(GossipStreamKind kind, GossipStreamHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _handlers[kind] = handler;
    }

    /// <summary>Starts accepting on <paramref name="bind"/> (port 0 picks one; read <see cref="ListenEndpoint"/>).</summary>
    public void Listen(IPEndPoint bind)
    {
        ArgumentNullException.ThrowIfNull(bind);
        if (_listener is not null) throw new InvalidOperationException("already listening");
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (bind.AddressFamily == AddressFamily.InterNetworkV6) listener.DualMode = false;
            listener.Bind(bind);
            listener.Listen(_options.MaxInboundConnections + _options.MaxPreAuthConnections);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        _listener = listener;
        ListenEndpoint = (IPEndPoint)listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoop);
    }

    public async Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (!GossipEndpoint.TryParse(to.Value, out var endpoint, out _))
        {
            Counters.Refused(StreamRefusal.ConnectionFailed);
            return null;
        }
        var payload = new byte[1 + request.Length];
        payload[0] = (byte)kind;
        request.Span.CopyTo(payload.AsSpan(1));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        using var socket = new Socket(endpoint!.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);
            timeout.CancelAfter(_options.StreamTimeout);
            // Sealed once connected, not before: the sequence number is the sealing time, and a slow connect would
            // otherwise deliver it after requests sealed later (reordering the receiver's replay window must absorb).
            var frame = StreamFrame.Frame(_sealer.Seal(payload));
            await socket.SendAsync(frame, SocketFlags.None, timeout.Token);
            Counters.RequestSent(frame.Length);
            var (result, body) = await StreamFrame.ReadAsync(socket, SealedPacketLayout.MinimumLength, _options.MaxFrameBytes, timeout.Token);
            if (result != StreamFrame.ReadResult.Ok)
            {
                Counters.Refused(result == StreamFrame.ReadResult.BadLength ? StreamRefusal.BadFrameLength : StreamRefusal.ConnectionFailed);
                return null;
            }
            if (!_opener.TryOpen(body, out var opened, out _))
            {
                Counters.Refused(StreamRefusal.NotAuthenticated);
                return null;
            }
            var reply = opened!.Payload;
            if (reply.Length < 2 || reply[0] != (byte)kind || reply[1] is not (StatusReply or StatusNone))
            {
                Counters.Refused(StreamRefusal.UnknownKind);
                return null;
            }
            Counters.ReplyReceived(StreamFrame.LengthPrefixBytes + body!.Length);
            return reply[1] == StatusReply ? reply[2..] : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Counters.Refused(StreamRefusal.Timeout);
            return null;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Counters.Refused(StreamRefusal.ConnectionFailed);
            return null;
        }
    }

    private async Task AcceptLoop()
    {
        var listener = _listener!;
        while (!_shutdown.IsCancellationRequested)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(_shutdown.Token);
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; } // a connection reset before accept: not the listener's problem
            // Before authentication all we know is the source address: a peer opening connections faster than the
            // protocol ever does is closed at once, and so is one that already holds its share of unauthenticated
            // connections. Neither takes a slot of an authenticated exchange (MaxInboundConnections).
            if (!TryRemoteAddress(connection, out var source))
            {
                Counters.Refused(StreamRefusal.ConnectionFailed);
                connection.Dispose();
                continue;
            }
            if (_limiter is not null && !_limiter.TryAcquire(source, 0))
            {
                Counters.Refused(StreamRefusal.RateLimited);
                connection.Dispose();
                continue;
            }
            var deadline = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
            var slot = _preAuth.TryEnter(source, deadline, out var evicted);
            if (evicted is not null)
            {
                Counters.Refused(StreamRefusal.PreAuthEvicted);
                evicted.Cancel();
            }
            if (slot is null)
            {
                deadline.Dispose();
                Counters.Refused(StreamRefusal.PreAuthPerAddress);
                connection.Dispose();
                continue;
            }
            deadline.CancelAfter(_options.PreAuthTimeout);
            Interlocked.Increment(ref _activeInbound);
            _ = Task.Run(() => ServeAsync(connection, slot));
        }
    }

    private static bool TryRemoteAddress(Socket connection, out IPAddress address)
    {
        try
        {
            if (connection.RemoteEndPoint is IPEndPoint remote)
            {
                address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
                return true;
            }
        }
        catch (SocketException) { } // reset before we looked: nothing to serve
        catch (ObjectDisposedException) { }
        address = IPAddress.None;
        return false;
    }

    private async Task ServeAsync(Socket connection, PreAuthTable.Slot slot)
    {
        var deadline = slot.Deadline;
        CancellationTokenSource? late = null;
        var authenticated = false;
        try
        {
            connection.NoDelay = true;
            // Phase 1, unauthenticated: the whole request frame within PreAuthTimeout and MaxPreAuthFrameBytes.
            byte[]? body;
            try
            {
                StreamFrame.ReadResult result;
                (result, body) = await StreamFrame.ReadAsync(connection, SealedPacketLayout.MinimumLength, _options.MaxPreAuthFrameBytes, deadline.Token);
                if (result != StreamFrame.ReadResult.Ok)
                {
                    Counters.Refused(result switch
                    {
                        StreamFrame.ReadResult.BadLength => StreamRefusal.BadFrameLength,
                        StreamFrame.ReadResult.TooLong => StreamRefusal.PreAuthTooLarge,
                        _ => StreamRefusal.ConnectionFailed,
                    });
                    return;
                }
            }
            catch (OperationCanceledException) when (!_shutdown.IsCancellationRequested)
            {
                if (!slot.Evicted) Counters.Refused(StreamRefusal.PreAuthTimeout); // an eviction was counted when it happened
                return;
            }
            finally
            {
                _preAuth.Leave(slot);
            }
            if (!_opener.TryOpen(body, out var opened, out _))
            {
                Counters.Refused(StreamRefusal.NotAuthenticated);
                return;
            }
            // Phase 2, authenticated: one of MaxInboundConnections slots, and StreamTimeout for the rest.
            if (Interlocked.Increment(ref _activeAuthenticated) > _options.MaxInboundConnections)
            {
                Interlocked.Decrement(ref _activeAuthenticated);
                Counters.Refused(StreamRefusal.TooManyConnections);
                return;
            }
            authenticated = true;
            if (deadline.IsCancellationRequested && !_shutdown.IsCancellationRequested)
            {
                // Evicted in the instant between its frame arriving and leaving the table: it authenticated, so serve it.
                late = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
                deadline = late;
            }
            deadline.CancelAfter(_options.StreamTimeout);
            var payload = opened!.Payload;
            if (payload.Length < 1 || !_handlers.TryGetValue((GossipStreamKind)payload[0], out var handler))
            {
                Counters.Refused(StreamRefusal.UnknownKind);
                return;
            }
            Counters.RequestServed(StreamFrame.LengthPrefixBytes + body!.Length);
            byte[]? reply;
            try
            {
                reply = await handler(opened.Sender, payload.AsMemory(1), deadline.Token);
            }
            catch (Exception)
            {
                Counters.Refused(deadline.IsCancellationRequested ? StreamRefusal.Timeout : StreamRefusal.HandlerFailed);
                return;
            }
            var replyPayload = new byte[2 + (reply?.Length ?? 0)];
            replyPayload[0] = payload[0];
            replyPayload[1] = reply is null ? StatusNone : StatusReply;
            reply?.CopyTo(replyPayload, 2);
            var frame = StreamFrame.Frame(_sealer.Seal(replyPayload));
            await connection.SendAsync(frame, SocketFlags.None, deadline.Token);
            Counters.ReplySent(frame.Length);
        }
        catch (OperationCanceledException)
        {
            Counters.Refused(StreamRefusal.Timeout);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Counters.Refused(StreamRefusal.ConnectionFailed);
        }
        finally
        {
            if (authenticated) Interlocked.Decrement(ref _activeAuthenticated);
            _preAuth.Leave(slot);
            connection.Dispose();
            slot.Deadline.Dispose();
            late?.Dispose();
            Interlocked.Decrement(ref _activeInbound);
        }
    }

    public void Dispose()
    {
        if (_shutdown.IsCancellationRequested) return;
        _shutdown.Cancel();
        _listener?.Dispose();
        try { _acceptLoop?.Wait(TimeSpan.FromSeconds(5)); }
        catch (AggregateException) { /* the loop ends by cancellation */ }
    }
}

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
/// Inbound connections are capped and each has one deadline for the whole exchange, so slow or silent clients
/// hold at most a slot for <see cref="TransportOptions.StreamTimeout"/> and never block other connections.
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
    private int _activeInbound;

    public TcpGossipStreams(NodeId self, Keyring keyring, TransportOptions? options = null, TransportCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _options = options ?? new TransportOptions();
        _options.Validate();
        _sealer = new PacketSealer(keyring, self);
        // Stream envelopes are bigger than datagrams; they get their own opener (and replay window) sized for frames.
        _opener = new PacketOpener(keyring, new SealedPacketOptions { MaxPacketLength = _options.MaxFrameBytes });
        Counters = counters ?? new TransportCounters();
        Counters.StreamDrops = _opener.Drops;
        if (_options.ConnectionsPerSecondPerAddress > 0)
            _limiter = new PeerRateLimiter<IPAddress>(_options.ConnectionsPerSecondPerAddress, _options.ConnectionBurstPerAddress,
                0, 0, _options.RateLimitTableEntries);
    }

    /// <summary>Source addresses whose connection budget is remembered (bounded by <see cref="TransportOptions.RateLimitTableEntries"/>).</summary>
    public int RateLimitedAddressesTracked => _limiter?.Count ?? 0;

    public TransportCounters Counters { get; }

    /// <summary>The listening endpoint once <see cref="Listen"/> ran.</summary>
    public IPEndPoint? ListenEndpoint { get; private set; }

    /// <summary>Inbound connections being served right now.</summary>
    public int ActiveInbound => Volatile.Read(ref _activeInbound);

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
            listener.Listen(_options.MaxInboundConnections);
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
        var frame = StreamFrame.Frame(_sealer.Seal(payload));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        using var socket = new Socket(endpoint!.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);
            timeout.CancelAfter(_options.StreamTimeout);
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
            // protocol ever does is closed at once, before it can take one of the MaxInboundConnections slots.
            if (_limiter is not null && !AdmitSource(connection))
            {
                Counters.Refused(StreamRefusal.RateLimited);
                connection.Dispose();
                continue;
            }
            if (Interlocked.Increment(ref _activeInbound) > _options.MaxInboundConnections)
            {
                Interlocked.Decrement(ref _activeInbound);
                Counters.Refused(StreamRefusal.TooManyConnections);
                connection.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private bool AdmitSource(Socket connection)
    {
        try
        {
            return connection.RemoteEndPoint is not IPEndPoint remote || _limiter!.TryAcquire(remote.Address, 0);
        }
        catch (SocketException) { return false; } // reset before we looked: nothing to serve
        catch (ObjectDisposedException) { return false; }
    }

    private async Task ServeAsync(Socket connection)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token);
        deadline.CancelAfter(_options.StreamTimeout);
        try
        {
            connection.NoDelay = true;
            var (result, body) = await StreamFrame.ReadAsync(connection, SealedPacketLayout.MinimumLength, _options.MaxFrameBytes, deadline.Token);
            if (result != StreamFrame.ReadResult.Ok)
            {
                Counters.Refused(result == StreamFrame.ReadResult.BadLength ? StreamRefusal.BadFrameLength : StreamRefusal.ConnectionFailed);
                return;
            }
            if (!_opener.TryOpen(body, out var opened, out _))
            {
                Counters.Refused(StreamRefusal.NotAuthenticated);
                return;
            }
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
            connection.Dispose();
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

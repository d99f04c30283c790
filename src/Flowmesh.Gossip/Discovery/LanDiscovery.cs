using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Discovery;

/// <summary>
/// Finds nodes of our cluster on the local link by UDP multicast, on a socket of its own (not the gossip socket).
/// It multicasts beacons sealed with the cluster key that carry our NodeId and gossip endpoint, and raises
/// <see cref="Discovered"/> for authentic beacons of nodes that are news; the agent then joins that address.
/// Anything else that arrives on the group (foreign keys, replays, garbage, oversized datagrams) is dropped and
/// counted. <see cref="Start"/> creates the sockets on the calling thread (so in that thread's network namespace);
/// beacons are sent from a timer and received on a background thread, where <see cref="Discovered"/> is raised.
/// </summary>
public sealed class LanDiscovery : IDisposable
{
    private readonly NodeId _self;
    private readonly IPEndPoint _gossipEndpoint;
    private readonly LanDiscoveryOptions _options;
    private readonly PacketSealer _sealer;
    private readonly PacketOpener _opener;
    private readonly Func<NodeId, bool> _isMember;
    private readonly Func<bool> _hasPeers;
    private readonly TimeProvider _time;
    private readonly BeaconSchedule _schedule;
    private readonly DiscoveredPeers _peers;
    private readonly object _sendLock = new();
    private Socket? _receiver, _sender;
    private Thread? _receiveThread;
    private ITimer? _timer;
    private long _startedAt;
    private volatile bool _stopped;

    /// <param name="gossipEndpoint">Where our gossip listens; 0.0.0.0 means "whatever address the beacon arrives from".</param>
    /// <param name="isMember">
    /// Whether membership already has this node alive; such nodes are not reported again. Null: a node is reported
    /// once (and again if its endpoint changes).
    /// </param>
    /// <param name="hasPeers">Whether we have peers (picks the slow beacon period after the fast phase). Null: never.</param>
    /// <remarks>
    /// <paramref name="isMember"/> runs on the receive thread and <paramref name="hasPeers"/> on a timer thread, not on
    /// the membership event loop: give them a thread-safe view (e.g. a snapshot the loop publishes), since
    /// <see cref="Membership.MembershipNode"/> itself is single-threaded. An exception from either counts as "no".
    /// </remarks>
    public LanDiscovery(NodeId self, IPEndPoint gossipEndpoint, Keyring keyring, LanDiscoveryOptions? options = null,
        Func<NodeId, bool>? isMember = null, Func<bool>? hasPeers = null, TimeProvider? time = null, Random? random = null,
        ulong? firstSequence = null)
    {
        ArgumentNullException.ThrowIfNull(gossipEndpoint);
        ArgumentNullException.ThrowIfNull(keyring);
        _options = options ?? new LanDiscoveryOptions();
        _options.Validate();
        if (gossipEndpoint.Port == 0) throw new ArgumentException("the gossip endpoint needs a port", nameof(gossipEndpoint));
        _self = self;
        _gossipEndpoint = gossipEndpoint;
        _time = time ?? TimeProvider.System;
        // The agent passes its reserved sequence start (SequenceReservation): a restart with the clock back must not
        // make its beacons look like replays to nodes that heard its previous life.
        _sealer = new PacketSealer(keyring, self, _time, firstSequence);
        // An opener of its own: replay state for beacons is separate from gossip's, and its size limit is the beacon limit.
        _opener = new PacketOpener(keyring, new SealedPacketOptions
        {
            MaxPacketLength = _options.MaxBeaconBytes,
            ReplayWindow = _options.ReplayWindow,
            MaxTrackedSenders = _options.MaxTrackedNodes,
        }, _time);
        _isMember = isMember ?? (_ => false);
        _hasPeers = hasPeers ?? (() => false);
        _schedule = new BeaconSchedule(_options, random ?? new Random());
        _peers = new DiscoveredPeers(_options.MaxTrackedNodes, isMember is null ? TimeSpan.MaxValue : _options.RereportInterval);
    }

    /// <summary>Raised on the receive thread for a node that is news (see <see cref="DiscoveredPeers"/>). Handlers must not block long.</summary>
    public event Action<DiscoveredPeer>? Discovered;

    public LanDiscoveryOptions Options => _options;
    public LanDiscoveryCounters Counters { get; } = new();

    /// <summary>Envelope-level drops: wrong key (UnknownKey/NotAuthenticated), Replayed, TooOld, Malformed, Oversized.</summary>
    public GossipDropCounters Drops => _opener.Drops;

    /// <summary>Interfaces chosen at <see cref="Start"/>.</summary>
    public IReadOnlyList<MulticastInterface> Interfaces { get; private set; } = [];

    /// <summary>Datagrams dropped for any reason: envelope drops plus malformed beacon payloads.</summary>
    public long DroppedTotal => Drops.Total + Counters.MalformedBeacons;

    /// <summary>
    /// Picks interfaces, joins the group on each, starts receiving and beaconing. Throws if no interface qualifies
    /// or the port cannot be bound, so a misconfiguration is loud at start rather than silent forever.
    /// </summary>
    public void Start()
    {
        if (_receiver is not null) throw new InvalidOperationException("already started");
        var interfaces = MulticastInterfaces.Select(_options.Interfaces);
        if (interfaces.Count == 0) throw new InvalidOperationException("no multicast-capable IPv4 interface to discover peers on");
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Several agents on one host (one namespace) share the port; binding to the group address (Linux) keeps
            // unicast and other groups' datagrams for this port out of this socket.
            receiver.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            receiver.Bind(new IPEndPoint(OperatingSystem.IsLinux() ? _options.Group : IPAddress.Any, _options.Port));
            receiver.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true); // which link it came in on
            foreach (var nic in interfaces)
                receiver.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(_options.Group, nic.Index));
            sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastTimeToLive, _options.TimeToLive);
            sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastLoopback, true);
            sender.Bind(new IPEndPoint(IPAddress.Any, 0));
        }
        catch
        {
            receiver.Dispose();
            sender.Dispose();
            throw;
        }
        Interfaces = interfaces;
        _receiver = receiver;
        _sender = sender;
        _startedAt = _time.GetTimestamp();
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = "flowmesh-discovery" };
        _receiveThread.Start();
        // First beacon within one jittered fast period, not at once: a cluster powered on together spreads out.
        _timer = _time.CreateTimer(_ => BeaconTick(), null, _schedule.NextDelay(TimeSpan.Zero, false), Timeout.InfiniteTimeSpan);
    }

    /// <summary>Sends one beacon on every interface now (also used by the timer).</summary>
    public void SendBeacon()
    {
        var sender = _sender ?? throw new InvalidOperationException("not started");
        var packet = _sealer.Seal(DiscoveryBeacon.Encode(_gossipEndpoint));
        var group = new IPEndPoint(_options.Group, _options.Port);
        lock (_sendLock)
        {
            foreach (var nic in Interfaces)
            {
                if (_stopped) return;
                try
                {
                    // IP_MULTICAST_IF by interface index (network byte order, the documented .NET convention).
                    sender.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, IPAddress.HostToNetworkOrder(nic.Index));
                    sender.SendTo(packet, group);
                    Counters.CountSent();
                }
                catch (SocketException)
                {
                    Counters.CountSendFailure();
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }

    private void BeaconTick()
    {
        if (_stopped) return;
        SendBeacon();
        bool hasPeers;
        try
        {
            hasPeers = _hasPeers();
        }
        catch (Exception)
        {
            hasPeers = false; // a failing callback must not stop beaconing
        }
        var delay = _schedule.NextDelay(_time.GetElapsedTime(_startedAt), hasPeers);
        try
        {
            if (!_stopped) _timer?.Change(delay, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the change: nothing left to schedule.
        }
    }

    private void ReceiveLoop()
    {
        // One buffer for the life of the socket, large enough for any UDP datagram so the true size is seen and an
        // oversized one is counted rather than silently truncated.
        var buffer = new byte[65_536];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var receiver = _receiver!;
        while (!_stopped)
        {
            int length;
            IPPacketInformation info;
            try
            {
                var flags = SocketFlags.None;
                length = receiver.ReceiveMessageFrom(buffer, ref flags, ref from, out info);
            }
            catch (SocketException) when (!_stopped)
            {
                Counters.CountReceiveError();
                Thread.Sleep(100); // a persistent error must not spin a core
                continue;
            }
            catch (Exception) when (_stopped)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Handle(buffer.AsSpan(0, length), ((IPEndPoint)from).Address, info.Interface);
        }
    }

    /// <summary>Handles one received datagram (internal so tests can also drive it without a network).</summary>
    internal void Handle(ReadOnlySpan<byte> datagram, IPAddress source, int interfaceIndex)
    {
        if (!_opener.TryOpen(datagram, out var opened, out _)) return;
        if (opened!.Sender == _self)
        {
            Counters.CountOwn();
            return;
        }
        if (!DiscoveryBeacon.TryDecode(opened.Payload, source, out var endpoint))
        {
            Counters.CountMalformed();
            return;
        }
        Counters.CountAccepted();
        bool isMember;
        try
        {
            isMember = _isMember(opened.Sender);
        }
        catch (Exception)
        {
            isMember = false;
        }
        if (!_peers.ShouldReport(opened.Sender, endpoint!, isMember, _time.GetElapsedTime(_startedAt))) return;
        Counters.CountReported();
        var nic = Interfaces.FirstOrDefault(i => i.Index == interfaceIndex)?.Name ?? "";
        try
        {
            Discovered?.Invoke(new DiscoveredPeer(opened.Sender, endpoint!, nic));
        }
        catch (Exception)
        {
            // A failing handler must not end the receive loop (one bad join attempt would stop discovery for good).
            Counters.CountHandlerFailure();
        }
    }

    /// <summary>Nodes currently remembered (bounded by <see cref="LanDiscoveryOptions.MaxTrackedNodes"/>).</summary>
    internal int TrackedNodes => _peers.Count;

    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        _timer?.Dispose();
        lock (_sendLock) _sender?.Dispose();
        _receiver?.Dispose();
        _receiveThread?.Join(TimeSpan.FromSeconds(5));
    }
}

using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// One agent's place in the overlay: event loop + UDP datagrams + TCP streams (same port) + the
/// <see cref="MembershipNode"/> running on them. Every method is safe to call from any thread; node calls are
/// posted onto the loop. <see cref="Members"/> is a snapshot kept up to date from the node's change events.
/// </summary>
public sealed class GossipPeer : IDisposable
{
    private readonly GossipEventLoop _loop;
    private readonly TcpGossipStreams _streams;
    private readonly UdpGossipTransport _udp;
    private readonly OverlayTransport _overlay;
    private readonly MembershipNode _node;
    private readonly MembershipOptions _options;
    private readonly object _membersLock = new();
    private readonly Dictionary<NodeId, Member> _members = [];
    private IReadOnlyList<GossipAddress> _seeds = [];
    private IDisposable? _joinRetry;
    private readonly NodeIdentity? _ownIdentity;

    /// <summary>Verified credentials shared by UDP, TCP and membership (issue 16).</summary>
    public VerifiedCredentials Credentials { get; }

    /// <summary>Signs our claims and checks others'; its counters say why credentials in claims were refused.</summary>
    public MembershipClaims Claims { get; }

    /// <summary>Why credentials on datagrams were refused.</summary>
    public CredentialRefusalCounters DatagramCredentialRefusals => _udp.CredentialRefusals;

    /// <summary>Why credentials on stream frames (TCP) were refused.</summary>
    public CredentialRefusalCounters StreamCredentialRefusals => _streams.CredentialRefusals;

    /// <summary>Bytes sealing and signing add to each datagram.</summary>
    public int DatagramSealOverhead => _udp.SealOverhead;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <param name="bind">UDP and TCP both bind here. Port 0 picks a free port that is free for both.</param>
    /// <param name="advertise">Address others use for us (behind NAT, or when bound to 0.0.0.0); default: the bound endpoint.</param>
    /// <param name="initialIncarnation">A restarted agent passes its stored incarnation + 1.</param>
    /// <param name="firstSequence">
    /// Where this life's sealed sequence numbers start: an agent passes a number reserved in its database
    /// (<see cref="SequenceReservation"/>), so peers that remember its previous life accept it whatever its clock did.
    /// </param>
    /// <param name="credential">
    /// This node's key and the credential binding it to <paramref name="id"/> (issue 16): every packet, and every
    /// Alive/Leave of ours, is signed with it. An agent passes its persisted identity; without one a key is made for
    /// this life only (peers that bound the old key on first use would then refuse us, so agents never do that).
    /// </param>
    /// <param name="verifier">Decides whose keys speak for which names; default: bare keys bound on first use.</param>
    public GossipPeer(NodeId id, IPEndPoint bind, Keyring keyring, MembershipOptions options,
        GossipAddress? advertise = null, TransportOptions? transport = null, uint initialIncarnation = 0, ulong? firstSequence = null,
        NodeCredential? credential = null, INodeCredentialVerifier? verifier = null)
    {
        ArgumentNullException.ThrowIfNull(bind);
        ArgumentNullException.ThrowIfNull(keyring);
        ArgumentNullException.ThrowIfNull(options);
        if (advertise is null && (bind.Address.Equals(IPAddress.Any) || bind.Address.Equals(IPAddress.IPv6Any)))
            throw new ArgumentException("bound to a wildcard address: give the address others should use (advertise)", nameof(advertise));
        _options = options;
        if (credential is not null && credential.Node != id) throw new ArgumentException("the credential is for another node", nameof(credential));
        if (credential is null)
        {
            _ownIdentity = NodeIdentity.Generate();
            credential = FirstUseCredentialVerifier.CredentialOf(id, _ownIdentity);
        }
        // One cache for UDP, TCP and membership: each (node, credential) is verified once, whoever sees it first.
        Credentials = new VerifiedCredentials(verifier ?? new FirstUseCredentialVerifier());
        var claims = new MembershipClaims(credential, Credentials);
        Counters = new TransportCounters();
        (transport ?? new TransportOptions()).Validate();
        _loop = new GossipEventLoop($"gossip {id}", (transport ?? new TransportOptions()).MaxEventLoopQueue);
        try
        {
            (_streams, _udp) = BindBoth(id, bind, keyring, transport, advertise, firstSequence, credential);
        }
        catch
        {
            _loop.Dispose();
            throw;
        }
        _overlay = new OverlayTransport(_udp, _streams, _loop);
        _node = new MembershipNode(id, options, _overlay, _loop, new Random(), initialIncarnation, claims);
        Claims = claims;
        _overlay.Attach(_node);
        _members[id] = _node.Members[0];
        _node.MemberChanged += OnMemberChanged;
        _node.NameConflictDetected += OnNameConflict;
        // A second agent with a member's name has its own key: its packets are refused before membership sees its
        // Alive, so the transport reports the claim and the node judges it as a name conflict.
        _udp.ForeignKeyClaim += _node.ReportForeignKeyClaim;
        _streams.ForeignKeyClaim += (name, payload) =>
        {
            if (ClaimedGossipAddress(name, payload) is { } address) _loop.Post(() => _node.ReportForeignKeyClaim(name, address));
        };
    }

    /// <summary>A name conflict is shown until it has not been reported again for this long (the detector reports an
    /// ongoing one every <see cref="MembershipOptions.NameConflictReportInterval"/>).</summary>
    public TimeSpan NameConflictMemory => 3 * _options.NameConflictReportInterval;

    /// <summary>At most this many conflicts are remembered (the oldest report goes first).</summary>
    public const int MaxNameConflicts = 256;

    /// <summary>
    /// Raised on the event loop once per conflict (a name, the address kept and the address refused) when it is first
    /// detected, or again after it was gone for <see cref="NameConflictMemory"/>. Keep handlers short.
    /// </summary>
    public event Action<NameConflict>? NewNameConflict;

    /// <summary>Distinct conflicts detected so far (each counted once, when <see cref="NewNameConflict"/> fires).</summary>
    public long NameConflictsDetected => Interlocked.Read(ref _conflictsDetected);

    /// <summary>Conflicts reported within <see cref="NameConflictMemory"/>: who else claims a known name (thread-safe snapshot).</summary>
    public IReadOnlyList<NameConflict> NameConflicts
    {
        get
        {
            var now = _loop.Now;
            lock (_membersLock) return [.. _conflicts.Values.Where(c => now - c.DetectedAt < NameConflictMemory)];
        }
    }

    private readonly Dictionary<(NodeId, GossipAddress, GossipAddress), NameConflict> _conflicts = [];
    private long _conflictsDetected;

    private void OnNameConflict(NameConflict conflict)
    {
        var key = (conflict.Node, conflict.KnownAddress, conflict.ClaimedAddress);
        bool isNew;
        lock (_membersLock)
        {
            isNew = !_conflicts.TryGetValue(key, out var previous) || conflict.DetectedAt - previous.DetectedAt >= NameConflictMemory;
            if (!_conflicts.ContainsKey(key) && _conflicts.Count >= MaxNameConflicts)
                _conflicts.Remove(_conflicts.MinBy(c => c.Value.DetectedAt).Key);
            _conflicts[key] = conflict;
        }
        if (!isNew) return;
        Interlocked.Increment(ref _conflictsDetected);
        NewNameConflict?.Invoke(conflict);
    }

    public NodeId Id => _node.Id;
    public GossipAddress LocalAddress => _udp.LocalAddress;
    public IPEndPoint BoundEndpoint => _udp.BoundEndpoint;

    /// <summary>Sent/received/dropped/refused on the wire (UDP and TCP), drops by reason.</summary>
    public TransportCounters Counters { get; }

    /// <summary>The protocol's own counters (written on the loop; reads from elsewhere may lag a little).</summary>
    public MembershipCounters MembershipCounters => _node.Counters;

    /// <summary>
    /// Reliable sends started over TCP (push-pulls, joins, fallback pings) and how many were answered: proof that
    /// full-state sync is not on UDP. Push-pulls alone are in <see cref="MembershipCounters"/>.PushPulls.
    /// </summary>
    public long ReliableSendsOverTcp => _overlay.ReliableSent;
    public long ReliableRepliesOverTcp => _overlay.ReliableAnswered;

    /// <summary>The UDP side, for tests that cut it to exercise the TCP fallback ping.</summary>
    internal UdpGossipTransport Datagrams => _udp;

    /// <summary>Received packets and calls dropped because the event loop's queue was full (<see cref="TransportOptions.MaxEventLoopQueue"/>).</summary>
    public long LoopQueueDrops => _loop.QueueDrops;

    /// <summary>Callbacks on the loop that threw (logged through <see cref="CallbackFailed"/>).</summary>
    public long CallbackFailures => _loop.CallbackFailures;

    public event Action<Exception>? CallbackFailed
    {
        add => _loop.CallbackFailed += value;
        remove => _loop.CallbackFailed -= value;
    }

    /// <summary>Raised on the event loop thread after a member is added or changes state. Keep handlers short.</summary>
    public event Action<Member>? MemberChanged;

    /// <summary>Raised on the event loop with the round trip of each probe its target acked directly. Keep handlers short.</summary>
    public event Action<TimeSpan>? RoundTripMeasured
    {
        add => _node.RoundTripMeasured += value;
        remove => _node.RoundTripMeasured -= value;
    }

    /// <summary>Every member's clock against the cluster's time (the median of all clocks), from direct probes' acks.</summary>
    public ClockEstimate Clocks => _node.Clocks.Estimate(_loop.Now, DateTimeOffset.UtcNow);

    /// <summary>Our current incarnation (persist it; pass it + 1 as initialIncarnation after a restart).</summary>
    public uint Incarnation => _node.Incarnation;

    public bool IsRunning => Volatile.Read(ref _state) == 1 && _node.IsRunning;

    /// <summary>Thread-safe snapshot of every known member, self included.</summary>
    public IReadOnlyList<Member> Members
    {
        get { lock (_membersLock) return [.. _members.Values]; }
    }

    /// <summary>Request/response streams for other subsystems (record sync); authenticated with the cluster key.</summary>
    public IGossipStreams Streams => _streams;

    /// <summary>Serves a stream kind. <see cref="GossipStreamKind.PushPull"/> belongs to membership.</summary>
    public void Register(GossipStreamKind kind, GossipStreamHandler handler)
    {
        if (kind == GossipStreamKind.PushPull) throw new ArgumentException("push-pull is served by membership", nameof(kind));
        _streams.Register(kind, handler);
    }

    /// <summary>Runs <paramref name="read"/> on the loop with the node (for state the snapshot does not carry).</summary>
    public Task<T> InvokeAsync<T>(Func<MembershipNode, T> read) => _loop.InvokeAsync(() => read(_node));

    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("a peer starts once");
        _udp.Start((from, packet, origin) => _node.HandlePacket(from, packet, origin));
        _loop.Post(() =>
        {
            _node.Start();
            JoinRound(); // seeds given before Start
        });
    }

    /// <summary>
    /// Joins through any of <paramref name="seeds"/>: a push-pull to each, repeated every JoinRetryInterval while we
    /// know nobody else (seeds may start after us). An empty list starts a new cluster.
    /// </summary>
    public void Join(IEnumerable<GossipAddress> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var list = seeds.Where(s => s != LocalAddress).Distinct().ToList();
        foreach (var s in list) GossipEndpoint.Parse(s); // a bad --join fails here, with the parser's message
        _loop.Post(() =>
        {
            _seeds = list;
            JoinRound();
        });
    }

    private void JoinRound()
    {
        _joinRetry?.Dispose();
        if (!_node.IsRunning || _seeds.Count == 0 || _node.Members.Count > 1) return;
        foreach (var seed in _seeds) _node.Join(seed);
        _joinRetry = _loop.Schedule(_options.JoinRetryInterval, JoinRound);
    }

    /// <summary>
    /// Leaves gracefully: the node announces Left and keeps gossiping for LeavePropagateTime, then stops.
    /// Returns true when that finished within <paramref name="max"/>; the peer is stopped either way.
    /// </summary>
    public async Task<bool> LeaveAsync(TimeSpan max)
    {
        if (Volatile.Read(ref _state) != 1) return false;
        var deadline = DateTime.UtcNow + max;
        try
        {
            await _loop.InvokeAsync(() => { _node.Leave(); return true; });
            while (await _loop.InvokeAsync(() => _node.IsRunning))
            {
                if (DateTime.UtcNow >= deadline) return false;
                await Task.Delay(20);
            }
            return true;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
        finally
        {
            Stop();
        }
    }

    /// <summary>Stops at once, without a goodbye (others will suspect and then declare us dead). Idempotent.</summary>
    public void Stop()
    {
        var previous = Interlocked.Exchange(ref _state, 2);
        if (previous == 2) return;
        if (previous == 1)
        {
            try { _loop.InvokeAsync(() => { _joinRetry?.Dispose(); _node.Stop(); return true; }).Wait(TimeSpan.FromSeconds(5)); }
            catch (AggregateException) { /* loop already gone */ }
        }
        _udp.Dispose();
        _streams.Dispose();
        _loop.Dispose();
        _ownIdentity?.Dispose();
    }

    public void Dispose() => Stop();

    private void OnMemberChanged(Member member)
    {
        lock (_membersLock) _members[member.Id] = member;
        MemberChanged?.Invoke(member);
    }

    /// <summary>The gossip address a refused join (a push-pull over a stream) gives for its own name, if it gives one.</summary>
    private static GossipAddress? ClaimedGossipAddress(NodeId name, byte[] payload)
    {
        if (payload.Length < 2 || payload[0] != (byte)GossipStreamKind.PushPull) return null;
        var messages = new List<GossipMessage>();
        if (!MessageCodec.TryDecodePacket(payload.AsSpan(1), messages, out _)) return null;
        foreach (var m in messages)
            if (m is PushPull pp)
                foreach (var e in pp.Entries)
                    if (e.Node == name) return e.Address;
        return null;
    }

    /// <summary>memberlist's approach: TCP first (port 0 picks), then UDP on the same port; retried if UDP's is taken.</summary>
    private (TcpGossipStreams, UdpGossipTransport) BindBoth(NodeId id, IPEndPoint bind, Keyring keyring, TransportOptions? transport,
        GossipAddress? advertise, ulong? firstSequence, NodeCredential credential)
    {
        const int attempts = 10;
        for (var attempt = 1; ; attempt++)
        {
            var streams = new TcpGossipStreams(id, keyring, transport, Counters, firstSequence, credential, Credentials);
            try
            {
                streams.Listen(bind);
                var udp = new UdpGossipTransport(new IPEndPoint(bind.Address, streams.ListenEndpoint!.Port), id, keyring, _loop,
                    transport, advertise, Counters, firstSequence: firstSequence, credential: credential, signers: Credentials);
                return (streams, udp);
            }
            catch (SocketException) when (bind.Port == 0 && attempt < attempts)
            {
                streams.Dispose();
            }
            catch
            {
                streams.Dispose();
                throw;
            }
        }
    }
}

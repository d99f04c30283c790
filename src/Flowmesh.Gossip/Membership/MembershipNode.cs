namespace Flowmesh.Gossip.Membership;

/// <summary>
/// One member of the cluster: SWIM failure detection with the Lifeguard refinements, piggybacked dissemination and
/// push-pull anti-entropy. It owns no socket and no thread: the owner feeds received packets to
/// <see cref="HandlePacket(GossipAddress, ReadOnlySpan{byte})"/> and the clock runs its timers, all on one logical thread.
/// </summary>
public sealed class MembershipNode
{
    private readonly MembershipOptions _options;
    private readonly IGossipTransport _transport;
    private readonly IGossipClock _clock;
    private readonly Random _random;
    private readonly Dictionary<NodeId, Member> _members = [];
    private readonly Dictionary<NodeId, HeldSuspicion> _suspicions = [];
    private readonly Dictionary<uint, RelayedProbe> _relays = [];
    private readonly Dictionary<uint, NodeId> _buddyPings = [];
    private readonly BroadcastQueue _broadcasts;
    private readonly Awareness _awareness;
    private readonly ProbeOrder _probeOrder;
    private readonly NameConflictDetector _conflicts;
    private readonly List<GossipMessage> _decoded = [];
    private readonly MembershipClaims? _claims;
    // Each member's own signature of its latest claim (Alive or Leave), handed on in push-pull so full states cannot forge.
    private readonly Dictionary<NodeId, MemberProof> _proofs = [];
    // The last claim whose signature verified, per member: gossip delivers each claim several times, verified once.
    private readonly Dictionary<NodeId, GossipMessage> _lastVerified = [];
    private uint _sequence;
    private PendingProbe? _probe;
    private IDisposable? _probeTimer, _gossipTimer, _pushPullTimer, _joinTimer, _stopTimer;
    private bool _leaving;

    /// <param name="initialIncarnation">
    /// Where this life's incarnation starts: a restarted agent passes its stored incarnation + 1, so its first Alive
    /// already outbids what the cluster remembers of its previous life (dead or left) without a refutation round.
    /// </param>
    /// <param name="claims">
    /// Signs our Alive/Leave and requires every Alive/Leave about another node to be signed by that node (issue 16).
    /// Without it (the simulator) claims travel unsigned and are believed, as before; the rules on incarnations,
    /// accusations and acks hold either way.
    /// </param>
    public MembershipNode(NodeId id, MembershipOptions options, IGossipTransport transport, IGossipClock clock, Random random,
        uint initialIncarnation = 0, MembershipClaims? claims = null)
    {
        if (claims is not null && claims.Node != id) throw new ArgumentException("the claims sign for another node", nameof(claims));
        _claims = claims;
        Id = id;
        Incarnation = initialIncarnation;
        _options = options;
        _transport = transport;
        _clock = clock;
        _random = random;
        _broadcasts = new BroadcastQueue(options);
        _awareness = new Awareness(options.AwarenessMaxMultiplier);
        _probeOrder = new ProbeOrder(random);
        _conflicts = new NameConflictDetector(options);
        Clocks = new ClockOffsetEstimator(options);
        _members[id] = new Member(id, transport.LocalAddress, initialIncarnation, MemberState.Alive, clock.Now);
    }

    public NodeId Id { get; }
    public GossipAddress Address => _transport.LocalAddress;
    public uint Incarnation { get; private set; }
    public bool IsRunning { get; private set; }
    public int AwarenessScore => _awareness.Score;
    public MembershipCounters Counters { get; } = new();

    /// <summary>Clock offsets sampled from direct probes' acks (thread-safe to read).</summary>
    public ClockOffsetEstimator Clocks { get; }

    /// <summary>Raised after a member is added or changes state (also for incarnation-only changes of Alive).</summary>
    public event Action<Member>? MemberChanged;

    /// <summary>Raised when a dead or left member is removed after <see cref="MembershipOptions.DeadMemberRetention"/>; carries its last state.</summary>
    public event Action<Member>? MemberReaped;

    /// <summary>Raised when another node claims a known member's name (or ours) from a different address; see <see cref="NameConflictDetector"/>.</summary>
    public event Action<NameConflict>? NameConflictDetected;

    /// <summary>The round trip of each probe its target acked directly (on the node's clock), as the clock estimate takes it.</summary>
    public event Action<TimeSpan>? RoundTripMeasured;

    /// <summary>Snapshot of every known member, self included.</summary>
    public IReadOnlyList<Member> Members => [.. _members.Values];

    public Member? Find(NodeId id) => _members.GetValueOrDefault(id);

    /// <summary>Alive and suspect members, self included: the N in every log N formula.</summary>
    public int LiveCount => _members.Values.Count(m => m.State is MemberState.Alive or MemberState.Suspect);

    public void Start()
    {
        if (IsRunning) return;
        IsRunning = true;
        Broadcast(Id, OwnAlive());
        ScheduleProbe();
        _gossipTimer = _clock.Schedule(_options.GossipInterval, GossipRound);
        SchedulePushPull();
    }

    /// <summary>Joins through a known member: a push-pull gives us its whole view and it learns of us. Retried until answered.</summary>
    public void Join(GossipAddress seed)
    {
        if (!IsRunning) throw new InvalidOperationException("start the node before joining");
        SendPushPull(seed, isReply: false);
        _joinTimer?.Dispose();
        _joinTimer = _clock.Schedule(_options.JoinRetryInterval, () =>
        {
            if (IsRunning && !_leaving && _members.Count == 1) Join(seed);
        });
    }

    /// <summary>
    /// Leaves on purpose (shutdown, sleep): announces Left with a fresh incarnation, stops probing others, keeps
    /// gossiping for <see cref="MembershipOptions.LeavePropagateTime"/> so the news gets out, then stops.
    /// </summary>
    public void Leave()
    {
        if (!IsRunning || _leaving) return;
        _leaving = true;
        _probeTimer?.Dispose();
        Incarnation++;
        SetMember(_members[Id] with { Incarnation = Incarnation }, MemberState.Left);
        var leave = new Leave(Id, Incarnation);
        if (_claims is not null)
        {
            leave = _claims.Sign(leave);
            _proofs[Id] = leave.Proof!;
        }
        Broadcast(Id, leave);
        GossipRound();
        _stopTimer = _clock.Schedule(_options.LeavePropagateTime, Stop);
    }

    /// <summary>Stops all activity at once (a crash from the others' point of view, unless <see cref="Leave"/> came first).</summary>
    public void Stop()
    {
        IsRunning = false;
        foreach (var t in new[] { _probeTimer, _gossipTimer, _pushPullTimer, _joinTimer, _stopTimer }) t?.Dispose();
        foreach (var (_, s) in _suspicions) s.Timer.Dispose();
        _suspicions.Clear();
        foreach (var r in _relays.Values) r.Timer.Dispose();
        _relays.Clear();
    }

    /// <summary>Handles one received packet. Malformed packets are counted and dropped whole.</summary>
    public void HandlePacket(GossipAddress from, ReadOnlySpan<byte> packet) => HandlePacket(from, packet, null);

    /// <summary>
    /// Handles one received packet whose sealed envelope said who sent it and when (<paramref name="origin"/>): a
    /// direct ack in it becomes a clock sample. The timestamps were already on the wire, inside the authenticated
    /// envelope, so old and new nodes interoperate (no message changed).
    /// </summary>
    public void HandlePacket(GossipAddress from, ReadOnlySpan<byte> packet, PacketOrigin? origin)
    {
        if (!IsRunning) return;
        Counters.PacketsReceived++;
        Counters.BytesReceived += packet.Length;
        _decoded.Clear();
        if (!MessageCodec.TryDecodePacket(packet, _decoded, out _))
        {
            Counters.MalformedPackets++;
            return;
        }
        foreach (var message in _decoded.ToArray())
        {
            if (!IsRunning) return;
            Handle(from, message, origin);
        }
    }

    private void Handle(GossipAddress from, GossipMessage message, PacketOrigin? origin)
    {
        switch (message)
        {
            case Ping p when p.Target == Id:
                SendWithPiggyback(from, new Ack(p.Sequence, Id));
                break;
            case Ping:
                Counters.MisdirectedPings++;
                break;
            case Ack a:
                if (_probe is { } probe && probe.Sequence == a.Sequence)
                {
                    // Matched by sequence and by who answers: the target itself, or a helper we asked relaying the
                    // target's ack. Anyone else (a key holder guessing sequences) must not clear a suspicion.
                    if (a.Source != probe.Target.Id
                        || (origin is { } sealer && sealer.Sender != probe.Target.Id && !probe.Helpers.Contains(sealer.Sender)))
                    {
                        Counters.Refusals.Count(MembershipRefusal.UnexpectedAckSender);
                        break;
                    }
                    // Only an ack the target sealed itself, to our own ping, times its clock: a relayed ack was sealed
                    // by the helper, and a second ack to one ping would be timed against a stale send time.
                    if (!probe.Acked && origin is { } o && o.Sender == probe.Target.Id && a.Source == probe.Target.Id)
                    {
                        Clocks.Add(a.Source, o.SentAt, o.ReceivedAt, _clock.Now - probe.SentAt, _clock.Now);
                        RoundTripMeasured?.Invoke(_clock.Now - probe.SentAt);
                    }
                    probe.Acked = true;
                    // The ping carried the suspicion (buddy system), so the suspect has it now and will refute.
                    if (probe.Target.State == MemberState.Suspect && _suspicions.TryGetValue(probe.Target.Id, out var held)) held.Told = true;
                }
                else if (_buddyPings.TryGetValue(a.Sequence, out var told))
                {
                    if (!FromExpected(a.Source, origin, told)) break;
                    _buddyPings.Remove(a.Sequence);
                    if (_suspicions.TryGetValue(told, out var heldTold)) heldTold.Told = true;
                }
                else if (_relays.TryGetValue(a.Sequence, out var relay))
                {
                    if (!FromExpected(a.Source, origin, relay.Target)) break;
                    _relays.Remove(a.Sequence);
                    relay.Timer.Dispose();
                    Send(relay.Requester, new Ack(relay.RequesterSequence, a.Source));
                }
                break;
            case Nack n:
                if (_probe is { } p2 && p2.Sequence == n.Sequence)
                {
                    if (!p2.Helpers.Contains(n.Source) || (origin is { } nackSealer && nackSealer.Sender != n.Source))
                    {
                        Counters.Refusals.Count(MembershipRefusal.UnexpectedAckSender);
                        break;
                    }
                    p2.Nacks++;
                }
                break;
            case PingRequest r:
                Relay(from, r);
                break;
            case Alive a: OnAlive(a); break;
            case Suspect s: OnSuspect(s); break;
            case Dead d: OnRemoteDead(d); break;
            case Leave l: OnLeave(l); break;
            case PushPull pp:
                Merge(pp);
                if (!pp.IsReply) SendPushPull(from, isReply: true);
                break;
        }
    }

    /// <summary>
    /// A packet claiming <paramref name="node"/> came from <paramref name="from"/> signed by another key than the one
    /// bound to that name (the transport dropped it): if a known member (or we) has that name at another address, it is
    /// a name conflict, reported as one (two agents given one name, or an impersonation attempt).
    /// </summary>
    public void ReportForeignKeyClaim(NodeId node, GossipAddress from)
    {
        if (!IsRunning || !_members.TryGetValue(node, out var known)) return;
        if (_conflicts.Refuses(known, node == Id, new Alive(node, known.Incarnation, from), _clock.Now, out var conflict))
        {
            Counters.NameConflicts++;
            if (conflict is not null) NameConflictDetected?.Invoke(conflict);
        }
    }

    /// <summary>An ack answers for <paramref name="expected"/> only if it says so and, when sealed, was sealed by it.</summary>
    private bool FromExpected(NodeId source, PacketOrigin? origin, NodeId expected)
    {
        if (source == expected && (origin is not { } o || o.Sender == expected)) return true;
        Counters.Refusals.Count(MembershipRefusal.UnexpectedAckSender);
        return false;
    }

    // ---- probing (SWIM) ----

    private void ScheduleProbe() =>
        _probeTimer = _clock.Schedule(_awareness.Scale(_options.ProbeInterval), ProbeTick);

    private void ProbeTick()
    {
        if (!IsRunning || _leaving) return;
        ReapExpired();
        ConcludeProbe();
        var target = _probeOrder.Next(_members.Values, Id);
        if (target is not null) StartProbe(target);
        TellSuspects(target?.Id);
        ScheduleProbe();
    }

    /// <summary>
    /// Every probe tick, each suspect that has not yet acked a ping carrying its suspicion gets one (the buddy
    /// system beyond the probe target). Without this a lone, stale suspicion (held by a node whose own suspect
    /// broadcasts were lost, e.g. while it was cut off) can run out its timer before the round-robin reaches the
    /// suspect, and a live node is declared dead without ever hearing the accusation. These pings are not probes:
    /// a missing ack changes nothing, so they cost one packet per held suspicion per tick and nothing else.
    /// </summary>
    private void TellSuspects(NodeId? probed)
    {
        _buddyPings.Clear(); // acks older than one tick are late anyway
        foreach (var (node, held) in _suspicions)
        {
            if (held.Told || node == probed || !_members.TryGetValue(node, out var m) || m.State != MemberState.Suspect) continue;
            var sequence = ++_sequence;
            _buddyPings[sequence] = node;
            SendPacket(m.Address, MessageCodec.Pack([MessageCodec.Encode(new Ping(sequence, node, Id)),
                MessageCodec.Encode(new Suspect(node, m.Incarnation, Id))]));
        }
    }

    private void StartProbe(Member target)
    {
        var probe = new PendingProbe(++_sequence, target, _clock.Now);
        _probe = probe;
        var ping = new Ping(probe.Sequence, target.Id, Id);
        // Lifeguard's buddy system: tell a suspect at once that it is suspected, so it can refute within one probe.
        if (target.State == MemberState.Suspect)
            SendWithPiggyback(target.Address, ping, MessageCodec.Encode(new Suspect(target.Id, target.Incarnation, Id)));
        else
            SendWithPiggyback(target.Address, ping);
        _clock.Schedule(_awareness.Scale(_options.ProbeTimeout), () => IndirectProbe(probe));
    }

    private void IndirectProbe(PendingProbe probe)
    {
        if (!IsRunning || _probe != probe || probe.Acked) return;
        var helpers = _members.Values
            .Where(m => m.State == MemberState.Alive && m.Id != Id && m.Id != probe.Target.Id)
            .OrderBy(_ => _random.Next())
            .Take(_options.IndirectChecks)
            .ToList();
        probe.ExpectedNacks = helpers.Count;
        foreach (var h in helpers) probe.Helpers.Add(h.Id);
        foreach (var h in helpers)
            Send(h.Address, new PingRequest(probe.Sequence, probe.Target.Id, probe.Target.Address, Id));
        // memberlist's TCP fallback ping: when only UDP to the target is broken (a firewall, a full socket buffer), the
        // reliable path still reaches it and its ack, returned on that path, clears the probe instead of a suspicion.
        var fallback = MessageCodec.EncodePacket(new Ping(probe.Sequence, probe.Target.Id, Id));
        Counters.PacketsSent++;
        Counters.BytesSent += fallback.Length;
        _transport.SendReliable(probe.Target.Address, fallback);
    }

    /// <summary>Runs at the start of the next probe tick: the full probe interval was the deadline for any ack.</summary>
    private void ConcludeProbe()
    {
        if (_probe is not { } probe) return;
        _probe = null;
        if (probe.Acked)
        {
            _awareness.ApplyDelta(-1);
            return;
        }
        // Helpers that did not even nack point at our own network: count each missing nack against our health.
        _awareness.ApplyDelta(probe.ExpectedNacks > 0 ? probe.ExpectedNacks - probe.Nacks : 1);
        if (_members.TryGetValue(probe.Target.Id, out var current) && current.Incarnation == probe.Target.Incarnation)
            OnSuspect(new Suspect(current.Id, current.Incarnation, Id));
    }

    private void Relay(GossipAddress requester, PingRequest request)
    {
        var sequence = ++_sequence;
        Send(request.TargetAddress, new Ping(sequence, request.Target, Id));
        var timer = _clock.Schedule(_options.ProbeTimeout, () =>
        {
            if (_relays.Remove(sequence)) Send(requester, new Nack(request.Sequence, Id));
        });
        _relays[sequence] = new RelayedProbe(requester, request.Sequence, request.Target, timer);
    }

    // ---- state changes ----

    private void OnAlive(Alive a)
    {
        _members.TryGetValue(a.Node, out var known);
        if (!ClaimIsSigned(a, known))
        {
            // Another key for a known name from another address is also what two agents given one name look like:
            // say so (the conflict report), but the claim stays refused either way.
            if (known is not null && _claims?.LastCredentialRefusal == Security.CredentialRefusal.KeyMismatch
                && _conflicts.Refuses(known, a.Node == Id, a, _clock.Now, out var keyConflict))
            {
                Counters.NameConflicts++;
                if (keyConflict is not null) NameConflictDetected?.Invoke(keyConflict);
            }
            return;
        }
        if (known is not null && _conflicts.Refuses(known, a.Node == Id, a, _clock.Now, out var conflict))
        {
            Counters.NameConflicts++;
            if (conflict is not null) NameConflictDetected?.Invoke(conflict);
            return;
        }
        if (a.Node == Id)
        {
            // An older life of ours, or a stale view, claims a newer incarnation: outbid it.
            if (a.Incarnation > Incarnation && !_leaving && WithinJump(Incarnation, a.Incarnation)) Refute(a.Incarnation);
            return;
        }
        if (known is null)
        {
            KeepProof(a.Node, a.Proof);
            SetMember(new Member(a.Node, a.Address, a.Incarnation, MemberState.Alive, _clock.Now), MemberState.Alive, force: true);
            Broadcast(a.Node, a);
            return;
        }
        if (a.Incarnation <= known.Incarnation || !WithinJump(known.Incarnation, a.Incarnation)) return;
        // Only here can an address change: the member's own signed Alive with a higher incarnation (a forged Dead
        // followed by a forged Alive no longer moves a member to the forger's address).
        CancelSuspicion(a.Node);
        KeepProof(a.Node, a.Proof);
        SetMember(known with { Incarnation = a.Incarnation, Address = a.Address }, MemberState.Alive, force: true);
        Broadcast(a.Node, a);
    }

    /// <summary>
    /// Whether an Alive/Leave may change anything: with claims on, it must carry its subject's signature. Claims that
    /// could not change our view (not newer than what we know) are let through unchecked: what follows ignores them,
    /// except the name-conflict check, which only reports.
    /// </summary>
    private bool ClaimIsSigned(GossipMessage claim, Member? known)
    {
        if (_claims is null) return true;
        var (node, incarnation) = claim switch
        {
            Alive a => (a.Node, a.Incarnation),
            Leave l => (l.Node, l.Incarnation),
            _ => throw new ArgumentException("only Alive and Leave are claims", nameof(claim)),
        };
        if (known is not null)
        {
            var current = node == Id ? Incarnation : known.Incarnation;
            var stale = claim is Alive old ? incarnation <= current && old.Address == known.Address : incarnation < current;
            if (stale) return true;
        }
        if (_lastVerified.TryGetValue(node, out var verified) && verified.Equals(claim)) return true;
        var refusal = claim is Alive alive ? _claims.Check(alive) : _claims.Check((Leave)claim);
        if (refusal is { } r)
        {
            Counters.Refusals.Count(r);
            return false;
        }
        if (_lastVerified.Count >= 4 * Math.Max(64, _members.Count) && !_lastVerified.ContainsKey(node)) _lastVerified.Clear();
        _lastVerified[node] = claim;
        return true;
    }

    private bool WithinJump(uint current, uint claimed)
    {
        if (claimed <= current || claimed - current <= _options.MaxIncarnationJump) return true;
        Counters.Refusals.Count(MembershipRefusal.IncarnationJump);
        return false;
    }

    private void KeepProof(NodeId node, MemberProof? proof)
    {
        if (proof is not null) _proofs[node] = proof;
        else _proofs.Remove(node);
    }

    /// <summary>
    /// An accusation must name an incarnation the subject itself signed: the highest known is the member's (raised
    /// only by its own Alive/Leave) or, about us, ours. Above it is a forgery that would make the subject refute ever
    /// higher (to uint.MaxValue, after which it can never refute again); it is refused and counted.
    /// </summary>
    private bool AccusationIsBelowSigned(NodeId node, uint accused, Member m)
    {
        if (accused <= (node == Id ? Incarnation : m.Incarnation)) return true;
        Counters.Refusals.Count(MembershipRefusal.AccusationAboveIncarnation);
        return false;
    }

    private void OnSuspect(Suspect s)
    {
        if (!_members.TryGetValue(s.Node, out var m) || !AccusationIsBelowSigned(s.Node, s.Incarnation, m) || s.Incarnation < m.Incarnation) return;
        if (m.State is MemberState.Dead or MemberState.Left) return;
        if (s.Node == Id)
        {
            if (!_leaving) Refute(s.Incarnation);
            return;
        }
        if (m.State == MemberState.Suspect && s.Incarnation == m.Incarnation)
        {
            if (_suspicions.TryGetValue(s.Node, out var entry) && entry.Suspicion.Confirm(s.From))
            {
                entry.Timer.Dispose();
                entry.Timer = ScheduleSuspicionTimer(s.Node, entry.Suspicion);
                Broadcast(s.Node, s);
            }
            return;
        }
        CancelSuspicion(s.Node);
        var n = LiveCount;
        var expected = _options.SuspicionMultiplier - 2;
        if (n - 2 < expected) expected = 0; // too few peers to ever confirm: don't wait for them
        var suspicion = new Suspicion(s.From, expected, _options.SuspicionMinTimeout(n), _options.SuspicionMaxTimeout(n), _clock.Now);
        _suspicions[s.Node] = new HeldSuspicion(suspicion, ScheduleSuspicionTimer(s.Node, suspicion));
        SetMember(m, MemberState.Suspect);
        Broadcast(s.Node, s);
    }

    private IDisposable ScheduleSuspicionTimer(NodeId node, Suspicion suspicion)
    {
        var delay = suspicion.Deadline - _clock.Now;
        return _clock.Schedule(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, () =>
        {
            if (!IsRunning || !_suspicions.TryGetValue(node, out var e) || e.Suspicion != suspicion) return;
            var m = _members[node];
            if (m.State == MemberState.Suspect) DeclareDead(m);
        });
    }

    /// <summary>
    /// Another node says Node is dead. As Lifeguard intends, that is an accusation, not a verdict: it starts (or
    /// confirms, shortening) our own suspicion, which Node can refute with its signed Alive; only our own suspicion
    /// running out declares it dead here. One key holder's forged Dead therefore kills nobody.
    /// </summary>
    private void OnRemoteDead(Dead d)
    {
        if (!_members.TryGetValue(d.Node, out var m) || m.State is MemberState.Dead or MemberState.Left) return;
        Counters.RemoteDeathsSuspected++;
        OnSuspect(new Suspect(d.Node, d.Incarnation, d.From));
    }

    private void DeclareDead(Member m)
    {
        CancelSuspicion(m.Id);
        SetMember(m, MemberState.Dead);
        Broadcast(m.Id, new Dead(m.Id, m.Incarnation, Id));
    }

    private void OnLeave(Leave l)
    {
        if (!_members.TryGetValue(l.Node, out var m) || l.Incarnation < m.Incarnation || m.State == MemberState.Left) return;
        if (!ClaimIsSigned(l, m)) return;
        if (l.Node == Id)
        {
            // Only a previous life of ours (restarted with a lower incarnation) can have left: we are back.
            if (!_leaving && WithinJump(Incarnation, l.Incarnation)) Refute(l.Incarnation);
            return;
        }
        if (!WithinJump(m.Incarnation, l.Incarnation)) return;
        CancelSuspicion(l.Node);
        KeepProof(l.Node, l.Proof);
        SetMember(m with { Incarnation = l.Incarnation }, MemberState.Left);
        Broadcast(l.Node, l);
    }

    /// <summary>
    /// SWIM refutation: outbid the accusation with a higher incarnation. Being accused also lowers our health score.
    /// Checked: at uint.MaxValue we cannot outbid any more, and wrapping to 0 would make every old claim win; callers
    /// already refused accusations above our incarnation and absurd jumps, so only our own signed past gets here.
    /// </summary>
    private void Refute(uint accusedIncarnation)
    {
        var highest = Math.Max(Incarnation, accusedIncarnation);
        if (highest == uint.MaxValue)
        {
            Counters.Refusals.Count(MembershipRefusal.IncarnationExhausted);
            return;
        }
        Incarnation = checked(highest + 1);
        Counters.Refutations++;
        _awareness.ApplyDelta(1);
        SetMember(_members[Id] with { Incarnation = Incarnation }, MemberState.Alive, force: true);
        Broadcast(Id, OwnAlive());
    }

    /// <summary>Our Alive at the current incarnation, signed when claims are on (and kept for push-pull).</summary>
    private Alive OwnAlive()
    {
        var alive = new Alive(Id, Incarnation, Address);
        if (_claims is null) return alive;
        alive = _claims.Sign(alive);
        _proofs[Id] = alive.Proof!;
        return alive;
    }

    private void ReapExpired()
    {
        foreach (var m in MemberReaper.Expired(_members.Values, Id, _clock.Now, _options.DeadMemberRetention))
        {
            _members.Remove(m.Id);
            _proofs.Remove(m.Id);
            _lastVerified.Remove(m.Id);
            Counters.MembersReaped++;
            MemberReaped?.Invoke(m);
        }
    }

    private void CancelSuspicion(NodeId node)
    {
        if (_suspicions.Remove(node, out var e)) e.Timer.Dispose();
    }

    private void SetMember(Member member, MemberState state, bool force = false)
    {
        var old = _members.GetValueOrDefault(member.Id);
        var changed = old is null || old.State != state;
        var updated = member with { State = state, StateChangedAt = changed ? _clock.Now : old!.StateChangedAt };
        _members[member.Id] = updated;
        // A dead or departed member stops voting on the cluster's time at once (its samples would age out anyway).
        if (state is MemberState.Dead or MemberState.Left && member.Id != Id) Clocks.Forget(member.Id);
        if (changed || force) MemberChanged?.Invoke(updated);
    }

    // ---- dissemination ----

    private void Broadcast(NodeId subject, GossipMessage message) => _broadcasts.Enqueue(subject, MessageCodec.Encode(message));

    /// <summary>Dedicated gossip: every GossipInterval, pending broadcasts go to a few random peers, dead ones included for a while so they can refute.</summary>
    private void GossipRound()
    {
        if (!IsRunning) return;
        _gossipTimer?.Dispose();
        _gossipTimer = _clock.Schedule(_options.GossipInterval, GossipRound);
        if (_broadcasts.Count == 0) return;
        var now = _clock.Now;
        var targets = _members.Values
            .Where(m => m.Id != Id && (m.State is MemberState.Alive or MemberState.Suspect
                || (m.State == MemberState.Dead && now - m.StateChangedAt < _options.GossipToTheDeadTime)))
            .OrderBy(_ => _random.Next())
            .Take(_options.GossipNodes)
            .ToList();
        var n = LiveCount;
        foreach (var t in targets)
        {
            var messages = _broadcasts.Take(_options.MaxPacketBytes - MessageCodec.PacketHeaderBytes, MessageCodec.MaxMessagesPerPacket, n);
            if (messages.Count == 0) return;
            SendPacket(t.Address, MessageCodec.Pack(messages));
        }
    }

    private void SendWithPiggyback(GossipAddress to, GossipMessage primary, byte[]? extra = null)
    {
        var messages = new List<byte[]> { MessageCodec.Encode(primary) };
        if (extra is not null) messages.Add(extra);
        var used = MessageCodec.PacketHeaderBytes + messages.Sum(m => m.Length);
        messages.AddRange(_broadcasts.Take(_options.MaxPacketBytes - used, MessageCodec.MaxMessagesPerPacket - messages.Count, LiveCount));
        SendPacket(to, MessageCodec.Pack(messages));
    }

    private void Send(GossipAddress to, GossipMessage message) => SendPacket(to, MessageCodec.EncodePacket(message));

    private void SendPacket(GossipAddress to, byte[] packet)
    {
        Counters.PacketsSent++;
        Counters.BytesSent += packet.Length;
        _transport.Send(to, packet);
    }

    // ---- push-pull anti-entropy ----

    private void SchedulePushPull()
    {
        // Jitter so a cluster started at once does not sync in lockstep.
        var interval = _options.PushPullIntervalFor(LiveCount);
        var delay = interval * (0.5 + _random.NextDouble());
        _pushPullTimer = _clock.Schedule(delay, () =>
        {
            if (!IsRunning || _leaving) return;
            // Serf's reconnect folded in: dead members are candidates too, so a healed partition merges even after
            // gossip to the dead has stopped. They are rare, so this costs little.
            var candidates = _members.Values.Where(m => m.Id != Id && m.State is not MemberState.Left).ToList();
            if (candidates.Count > 0) SendPushPull(candidates[_random.Next(candidates.Count)].Address, isReply: false);
            SchedulePushPull();
        });
    }

    /// <summary>The full state as one message (also what <c>flowmesh members</c> of a remote agent would read).</summary>
    public PushPull LocalState(bool isReply) =>
        new(Id, isReply, _members.Values.Select(m => new PushPullEntry(m.Id, m.Address, m.Incarnation, m.State, _proofs.GetValueOrDefault(m.Id))).ToList());

    /// <summary>Full state is too big for a datagram past a few dozen members and must arrive whole: reliable path (TCP).</summary>
    private void SendPushPull(GossipAddress to, bool isReply)
    {
        Counters.PushPulls++;
        var packet = MessageCodec.EncodePacket(LocalState(isReply));
        Counters.PacketsSent++;
        Counters.BytesSent += packet.Length;
        _transport.SendReliable(to, packet);
    }

    /// <summary>
    /// Merges a remote full state. Remote "dead" only makes the member suspect here, as in memberlist: the member
    /// gets a suspicion period to refute rather than being killed by one possibly stale view.
    /// </summary>
    public void Merge(PushPull state)
    {
        foreach (var e in state.Entries)
        {
            var known = _members.TryGetValue(e.Node, out var current);
            // An accusation above the incarnation we know is refused, but a full state proves it: the entry carries
            // the member's own signed Alive at that incarnation (a life we missed, or, about us, a previous life of
            // ours that a restart forgot). Take that Alive first; the accusation then is at the signed incarnation.
            if (e.State is MemberState.Suspect or MemberState.Dead && known
                && e.Incarnation > (e.Node == Id ? Incarnation : current!.Incarnation))
                OnAlive(new Alive(e.Node, e.Incarnation, e.Address, e.Proof));
            switch (e.State)
            {
                case MemberState.Alive:
                    OnAlive(new Alive(e.Node, e.Incarnation, e.Address, e.Proof));
                    break;
                case MemberState.Suspect:
                    if (!known && e.Node != Id) OnAlive(new Alive(e.Node, e.Incarnation, e.Address, e.Proof));
                    OnSuspect(new Suspect(e.Node, e.Incarnation, state.Source));
                    break;
                // Dead and Left of a member we do not know (never did, or already reaped) are not added, as in
                // memberlist: otherwise peers whose retention ends at different times hand reaped members back and
                // forth forever and the list never shrinks. A known one is only suspected, not killed.
                case MemberState.Dead:
                    if (known) OnSuspect(new Suspect(e.Node, e.Incarnation, state.Source));
                    break;
                case MemberState.Left:
                    if (known) OnLeave(new Leave(e.Node, e.Incarnation, e.Proof));
                    break;
            }
        }
    }

    private sealed class PendingProbe(uint sequence, Member target, TimeSpan sentAt)
    {
        public uint Sequence { get; } = sequence;
        public Member Target { get; } = target;
        public TimeSpan SentAt { get; } = sentAt;
        public bool Acked { get; set; }
        public int ExpectedNacks { get; set; }
        public int Nacks { get; set; }

        /// <summary>The helpers asked to ping the target: the only nodes whose relayed acks and nacks count.</summary>
        public HashSet<NodeId> Helpers { get; } = [];
    }

    private sealed class HeldSuspicion(Suspicion suspicion, IDisposable timer)
    {
        public Suspicion Suspicion { get; } = suspicion;
        public IDisposable Timer { get; set; } = timer;

        /// <summary>A ping carrying this suspicion was acked by the suspect.</summary>
        public bool Told { get; set; }
    }

    private sealed record RelayedProbe(GossipAddress Requester, uint RequesterSequence, NodeId Target, IDisposable Timer);
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Detections;
using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// One running agent: database, cluster key, gossip peer, record replication, LAN discovery, capture and the local
/// API, started in dependency order and stopped in reverse. It is also the API's read model. Start failures are
/// <see cref="AgentStartException"/>s with a message for the operator; whatever was started is stopped again.
/// </summary>
internal sealed partial class AgentRuntime : IAgentReadModel, IAsyncDisposable
{
    private readonly AgentOptions _options;
    private readonly TextWriter _log;
    private readonly NodeId _self;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private readonly CancellationTokenSource _background = new();
    private readonly List<Task> _tasks = [];
    private AgentDatabase? _database;
    private TrustedOrigins? _trust;
    private RecordSealer? _sealer;
    private OwnRecordRollups? _rollups;
    private GossipPeer? _peer;
    private Stopwatch? _peerClock;
    private RecordValidator? _validator;
    private ReplicationCounters? _replication;
    private LanDiscovery? _discovery;
    private CapturePipeline? _capture;
    private AgentApi? _api;
    private ViewCache? _views;
    private DetectionRounds? _detections;
    private AddressOwnership? _addressOwnership;
    private ClusterTime? _clusterTime;
    private RetentionClock? _retentionClock;
    private bool _retentionHeldBackLogged;
    private readonly long _startedMicros = Core.UnixMicros.Now();
    private uint _savedIncarnation;
    private long _sealed, _skippedAlreadyStored, _storeFailures, _bindingsSaved;
    private int _stopped;
    private bool _membershipChanged;

    private AgentRuntime(AgentOptions options, TextWriter log)
    {
        if (options.Validate() is string problem) throw new AgentStartException(problem);
        _options = options;
        _log = log;
        _self = new NodeId(options.Name);
    }

    public IPEndPoint? GossipEndpoint => _peer?.BoundEndpoint;
    public GossipAddress? AdvertisedAddress => _peer?.LocalAddress;
    public Uri? ApiAddress => _api?.BaseAddress;
    public long RecordsSealed => Interlocked.Read(ref _sealed);
    public long SkippedAlreadyStored => Interlocked.Read(ref _skippedAlreadyStored);

    public static async Task<AgentRuntime> StartAsync(AgentOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var runtime = new AgentRuntime(options, log);
        try
        {
            await runtime.StartPartsAsync(cancellationToken).ConfigureAwait(false);
            return runtime;
        }
        catch
        {
            await runtime.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartPartsAsync(CancellationToken cancellationToken)
    {
        // 1. The database first: it creates the data directory (0700) and locks it against a second agent.
        try
        {
            _database = AgentDatabase.Open(_options.DataDirectory, _self,
                new StorageOptions { Retention = _options.Retention, MaxRecordBytes = _options.RetentionBytes });
        }
        catch (Exception e) when (e is AgentDatabaseException or IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException($"data directory {_options.DataDirectory}: {e.Message}", e);
        }
        _savedIncarnation = _database.Incarnation;
        // Issue 15: records' plausibility, views and retention run on the cluster's time (this clock minus its measured
        // offset from the median of all members), and retention never further than the monotonic clock went unless
        // peers confirm it, so neither a skewed clock nor a jump of it deletes history or refuses the cluster's records.
        _clusterTime = new ClusterTime(TimeProvider.System, Clocks);
        _retentionClock = new RetentionClock(TimeProvider.System, () => (Clocks().Self, Clocks().Sampled));

        // 2. The cluster key: created on first run only at the default path; a given --key-file must exist.
        ClusterKey clusterKey;
        try
        {
            clusterKey = ClusterKeyFile.LoadOrCreate(_options.KeyFilePath, createIfMissing: _options.KeyFile is null, out bool created);
            if (created)
                _log.WriteLine($"flowmesh: created a new cluster key in {_options.KeyFilePath}; copy this file to every node that should join (--key-file)");
        }
        catch (FormatException e)
        {
            throw new AgentStartException(e.Message, e);
        }
        var sketchKey = SketchKeyDerivation.FromClusterKey(clusterKey);

        // 3. Trust: this node's own key and every binding a previous run learned are pinned before any record arrives.
        _trust = new TrustedOrigins();
        int pinned = _database.PinOriginKeys(_trust);
        _trust.OriginBound += SaveBinding;
        _sealer = new RecordSealer(_database.Identity, _self);

        // The global view: built from the store on demand, at most once per epoch per window (ViewCache), and shared
        // by the API, the dashboard, the metrics and the detection rounds.
        var viewSource = new RecordStoreViewSource(_database.Records, sketchKey,
            () => MembershipOrigins.Of(_peer?.Members ?? [], _self.Value, PeerTimeToWallMicros, _options.Capture is null ? null : _startedMicros),
            _clusterTime, _options.EpochLength);
        // Automatic ownership (issue 12): this PC's captured addresses and the ones other origins announce in their records.
        _addressOwnership = new AddressOwnership(_self.Value, _database.Records, sketchKey,
            TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(60).Ticks, 6 * _options.EpochLength.Ticks)), _options.EpochLength);
        _views = new ViewCache(viewSource);
        _detections = new DetectionRounds(_views, new DetectionEngine());

        // 4. Gossip.
        var keyring = new Keyring(clusterKey);
        bool wildcard = _options.Bind.Address.Equals(IPAddress.Any) || _options.Bind.Address.Equals(IPAddress.IPv6Any);
        IPEndPoint? advertise = _options.Advertise ?? (wildcard ? AdvertiseAddress.Choose(_options.Bind, null) : null);
        try
        {
            _peerClock = Stopwatch.StartNew(); // the peer's loop clock starts right after: ages of members are read on it
            _peer = new GossipPeer(_self, _options.Bind, keyring, _options.Membership,
                advertise is null ? null : Gossip.Transport.GossipEndpoint.ToAddress(advertise), initialIncarnation: _database.Incarnation,
                firstSequence: _database.FirstSequence);
        }
        catch (SocketException e)
        {
            throw new AgentStartException($"cannot use --bind {_options.Bind} for gossip (UDP and TCP): {e.Message}", e);
        }
        _peer.MemberChanged += OnMemberChanged;
        // Once per conflict (GossipPeer dedups), with both addresses: without this line six agents named after one
        // host showed as one member and nothing said why. Names and addresses from the network are printable (MessageCodec).
        _peer.NewNameConflict += c => _log.WriteLine(c.InvolvesSelf
            ? $"flowmesh: name conflict: another agent at {c.ClaimedAddress} also calls itself '{c.Node}' (this agent, at {c.KnownAddress}); its claims are refused, so it cannot join. Give one of them another --name."
            : $"flowmesh: name conflict: two agents call themselves '{c.Node}': {c.KnownAddress} (known first, kept) and {c.ClaimedAddress} (refused, so it cannot join). Give one of them another --name.");
        _peer.CallbackFailed += e => _log.WriteLine($"flowmesh: gossip: {e.GetType().Name}: {e.Message}");

        var replicationOptions = new ReplicationOptions { Retention = _options.Retention };
        _validator = new RecordValidator(_trust, sketchKey, replicationOptions, _clusterTime,
            origin => Clocks().Peers.TryGetValue(new NodeId(origin), out var offset) ? offset : null);
        _replication = new ReplicationCounters();
        var server = new RecordSyncServer(_database.Records, _validator, replicationOptions, _clusterTime, _replication);
        _peer.Register(GossipStreamKind.RecordSync, server.HandleAsync);
        StartFlows();
        var replicator = new RecordReplicator(_database.Records, _validator, _peer.Streams, AlivePeers, replicationOptions, _clusterTime, _replication);
        _peer.Start();

        var seeds = _options.Join.Count > 0 ? null : SnapshotSeeds();
        _tasks.Add(_options.Join.Count > 0 ? JoinSeedsAsync(_background.Token) : Task.CompletedTask);
        if (seeds is { Count: > 0 })
        {
            _peer.Join(seeds);
            _log.WriteLine($"flowmesh: rejoining {seeds.Count} peers from the last membership snapshot");
        }
        _tasks.Add(replicator.RunAsync(_background.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        _tasks.Add(MaintainAsync(_background.Token));
        _rollups = new OwnRecordRollups(_database.Records, _sealer, sketchKey, _options.Retention, _options.EpochLength, _log);
        _tasks.Add(_rollups.RunAsync(Core.UnixMicros.Now, _background.Token));

        // 5. LAN discovery: optional, and a network without multicast must not stop the agent.
        if (_options.Discovery) StartDiscovery(keyring);

        // 6. Capture.
        if (_options.Capture is CaptureBackend backend)
        {
            ICaptureSource source;
            try
            {
                source = CaptureSources.OpenLive(new LiveCaptureRequest(_options.Interfaces, null, _options.CaptureSnapLength, _options.CaptureBufferBytes, false, backend), _log);
            }
            catch (Exception e) when (e is CaptureSetupException or DllNotFoundException or InvalidOperationException or UnauthorizedAccessException)
            {
                throw new AgentStartException($"cannot capture: {e.Message} (capturing needs root or CAP_NET_RAW/CAP_BPF; --capture none runs without)", e);
            }
            _addressOwnership.UseCapture(source, _options.Interfaces, Core.UnixMicros.Now());
            RefreshOwnership();
            _capture = new CapturePipeline(source, new EpochSummarizerOptions
            {
                Origin = _options.Name, Key = sketchKey, EpochLength = _options.EpochLength,
                Ownership = _addressOwnership.Ownership, MonitorTraffic = _addressOwnership.MonitorTraffic,
            }, PublishOwn, flows: _flowCollector, log: _log);
            _capture.Start();
        }

        // 7. The API last: when it answers, everything it reports on is running.
        if (_options.Api is { } apiEndpoint)
        {
            ApiToken token;
            try
            {
                token = ApiToken.LoadOrCreate(_options.ApiTokenPath, out bool created);
                if (created) _log.WriteLine($"flowmesh: created the API token in {_options.ApiTokenPath} (readable by root and the '{ApiToken.GroupName}' group)");
                _api = await AgentApi.StartAsync(apiEndpoint, this, cancellationToken,
                    app => { ViewEndpoints.Map(app, _views, _detections, _apiRefusals); MapFlows(app); }, _options.ApiAllowedHosts, _apiRefusals, token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentStartException(e.Message, e);
            }
            if (!IPAddress.IsLoopback(apiEndpoint.Address))
                _log.WriteLine($"flowmesh: note: the API on {apiEndpoint} is reachable from other machines; it is read-only and every request needs the API token ({_options.ApiTokenPath})");
        }
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flowmesh: agent {_self} (incarnation {_database.Incarnation}, key {Convert.ToHexStringLower(_database.Identity.Fingerprint, 0, 8)}) " +
            $"gossip on {_peer.BoundEndpoint} as {_peer.LocalAddress}, API {(_api?.BaseAddress?.ToString() ?? "off")}, " +
            $"capture {(_capture?.Description ?? "off")}, epoch {_options.EpochLength.TotalSeconds:0.###} s, data {_options.DataDirectory}, {pinned} origin keys pinned"));
    }

    /// <summary>A sealed own record: signed, stored, and from the store replicated. Runs on the capture thread.</summary>
    private void PublishOwn(EpochRecord record)
    {
        try
        {
            // A restart within the epoch that a shutdown sealed early: that id is taken (records are immutable), so
            // this epoch's remainder is dropped and counted; the next boundary starts clean.
            if (_database!.Records.Contains(record.Id))
            {
                Interlocked.Increment(ref _skippedAlreadyStored);
                _log.WriteLine($"flowmesh: epoch {FormatMicros(record.Id.StartMicros)} was already sealed before a restart; its remainder is not recorded");
                return;
            }
            CountLocalTraffic(record);
            if (_database.Records.Write(_sealer!.Seal(record))) Interlocked.Increment(ref _sealed);
            else Interlocked.Increment(ref _skippedAlreadyStored);
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or IOException or CryptographicException)
        {
            Interlocked.Increment(ref _storeFailures);
            _log.WriteLine($"flowmesh: could not store the record of epoch {FormatMicros(record.Id.StartMicros)}: {e.Message}");
        }
    }

    private void SaveBinding(NodeId origin, byte[] publicKey)
    {
        try
        {
            _database?.SaveOriginKeys(new Dictionary<NodeId, byte[]> { [origin] = publicKey });
            Interlocked.Increment(ref _bindingsSaved);
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            _log.WriteLine($"flowmesh: could not save the key binding of {origin}: {e.Message}");
        }
    }

    private void OnMemberChanged(Member member)
    {
        Volatile.Write(ref _membershipChanged, true);
        // A refutation raises our incarnation: persist it so a restart outbids it (the database adds one at open).
        if (member.Id == _self && member.Incarnation > Volatile.Read(ref _savedIncarnation))
        {
            try
            {
                _database?.SaveIncarnation(member.Incarnation);
                Volatile.Write(ref _savedIncarnation, member.Incarnation);
            }
            catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
            {
                _log.WriteLine($"flowmesh: could not save incarnation {member.Incarnation}: {e.Message}");
            }
        }
    }

    private IReadOnlyList<GossipAddress> AlivePeers() =>
        _peer is null ? [] : [.. _peer.Members.Where(m => m.State == MemberState.Alive && m.Id != _self).Select(m => m.Address)];

    private List<GossipAddress>? SnapshotSeeds()
    {
        var snapshot = _database!.LoadMembership();
        if (snapshot is null) return null;
        return [.. snapshot.Members
            .Where(m => m.Id != _self && m.State is MemberState.Alive or MemberState.Suspect)
            .Select(m => m.Address)
            .Distinct()];
    }

    /// <summary>
    /// Resolves --join names (DNS may not be up yet at boot) and hands every resolved seed to the peer, retrying the
    /// unresolved ones until all are resolved or the agent stops.
    /// </summary>
    private async Task JoinSeedsAsync(CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<JoinTarget, GossipAddress>();
        var warned = new HashSet<JoinTarget>();
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var target in _options.Join.Where(t => !resolved.ContainsKey(t)))
            {
                try
                {
                    IPAddress address = IPAddress.TryParse(target.Host, out var literal) ? literal
                        : (await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false))
                            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
                    resolved[target] = Gossip.Transport.GossipEndpoint.ToAddress(new IPEndPoint(address, target.Port));
                }
                catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
                {
                    if (warned.Add(target)) _log.WriteLine($"flowmesh: --join {target}: cannot resolve ({e.Message}); retrying");
                }
            }
            if (resolved.Count > 0) _peer!.Join(resolved.Values);
            if (resolved.Count == _options.Join.Count) return;
            await Task.Delay(_options.Membership.JoinRetryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private void StartDiscovery(Keyring keyring)
    {
        try
        {
            var endpoint = Gossip.Transport.GossipEndpoint.Parse(_peer!.LocalAddress);
            _discovery = new LanDiscovery(_self, endpoint, keyring,
                isMember: id => _peer.Members.Any(m => m.Id == id && m.State == MemberState.Alive),
                hasPeers: () => _peer.Members.Any(m => m.Id != _self && m.State == MemberState.Alive),
                firstSequence: _database!.FirstSequence);
            _discovery.Discovered += found =>
            {
                var address = Gossip.Transport.GossipEndpoint.ToAddress(found.GossipEndpoint);
                // A push-pull with the found node merges views even when both sides already have peers (two halves
                // of a LAN that started apart).
                _ = _peer.InvokeAsync(node =>
                {
                    if (node.IsRunning) node.Join(address);
                    return true;
                });
            };
            _discovery.Start();
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException or FormatException)
        {
            _log.WriteLine($"flowmesh: LAN discovery off ({e.Message}); use --join to find peers");
            _discovery?.Dispose();
            _discovery = null;
        }
    }

    /// <summary>
    /// The membership snapshot is saved within two seconds of a change (so a node killed right after its cluster
    /// formed still knows whom to rejoin) and every snapshot interval anyway; retention runs every minute.
    /// </summary>
    private async Task MaintainAsync(CancellationToken cancellationToken)
    {
        var lastPrune = TimeSpan.Zero;
        var lastSave = TimeSpan.Zero;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                var now = _uptime.Elapsed;
                RefreshOwnership();
                if ((Volatile.Read(ref _membershipChanged) && now - lastSave >= TimeSpan.FromSeconds(2)) || now - lastSave >= _options.SnapshotInterval)
                {
                    Volatile.Write(ref _membershipChanged, false);
                    lastSave = now;
                    SaveSnapshot();
                }
                // Alerts are raised even when nobody looks: at most one detection round per epoch.
                try
                {
                    _detections?.EvaluateIfDue();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A failed round must not stop this loop: it also saves the membership snapshot and prunes.
                    _log.WriteLine($"flowmesh: detection round failed: {e.GetType().Name}: {e.Message}");
                }
                if (now - lastPrune >= TimeSpan.FromMinutes(1))
                {
                    lastPrune = now;
                    try
                    {
                        var (retentionNow, heldBackBy) = _retentionClock!.Now();
                        if (heldBackBy > TimeSpan.Zero && !_retentionHeldBackLogged)
                            _log.WriteLine($"flowmesh: the wall clock is {ClockText.Offset(heldBackBy)} ahead of the time retention allows (the monotonic clock, unconfirmed by peers); retention keeps following the monotonic clock, so nothing extra is deleted");
                        _retentionHeldBackLogged = heldBackBy > TimeSpan.Zero;
                        var pruned = _database!.Records.Prune(retentionNow);
                        if (pruned.RecordsDeleted > 0)
                            _log.WriteLine($"flowmesh: retention removed {pruned.RecordsDeleted} records ({pruned.BytesDeleted} bytes)");
                    }
                    catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException)
                    {
                        _log.WriteLine($"flowmesh: retention failed: {e.Message}");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Re-reads this PC's addresses and the announced ones; the next flows the capture decides use them.</summary>
    private void RefreshOwnership()
    {
        if (_addressOwnership is null || _peer is null) return;
        try
        {
            var members = new List<MemberEndpoint>();
            foreach (var m in _peer.Members)
            {
                if (Gossip.Transport.GossipEndpoint.TryParse(m.Address.Value, out var endpoint, out _) && endpoint is not null)
                    members.Add(new MemberEndpoint(m.Id.Value, Core.Packets.IpAddress128.From(endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address),
                        (ushort)endpoint.Port, m.State is Gossip.Membership.MemberState.Alive or Gossip.Membership.MemberState.Suspect, PeerTimeToWallMicros(m.StateChangedAt)));
            }
            if (_addressOwnership.Refresh(Core.UnixMicros.Now(), members, (ushort)(_peer.BoundEndpoint?.Port ?? 0)))
            {
                var book = _addressOwnership.Ownership.Addresses!;
                _log.WriteLine($"flowmesh: monitoring {book.Local.Count} local addresses ({string.Join(", ", book.Local)}); {book.OtherCount} addresses of {book.OtherOrigins.Count()} other agents known");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _log.WriteLine($"flowmesh: ownership refresh failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Every clock against the cluster's time (nothing sampled before the peer runs).</summary>
    private ClockEstimate Clocks() => _peer?.Clocks ?? ClockEstimate.None(_options.Membership.ClockSkewAlert);

    private long PeerTimeToWallMicros(TimeSpan peerTime) =>
        _peerClock is null ? Core.UnixMicros.Now() : Core.UnixMicros.Now() - (long)(_peerClock.Elapsed - peerTime).TotalMicroseconds;

    private void SaveSnapshot()
    {
        if (_peer is null || _database is null || _peerClock is null) return;
        try
        {
            var now = _peerClock.Elapsed;
            var wall = DateTimeOffset.UtcNow;
            _database.SaveMembership(_peer.Members.Select(m => PersistedMember.From(m, now, wall)), wall);
            if (_peer.Incarnation > Volatile.Read(ref _savedIncarnation))
            {
                _database.SaveIncarnation(_peer.Incarnation);
                Volatile.Write(ref _savedIncarnation, _peer.Incarnation);
            }
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or ObjectDisposedException)
        {
            _log.WriteLine($"flowmesh: could not save the membership snapshot: {e.Message}");
        }
    }

    /// <summary>
    /// The clean stop (SIGTERM): capture ends and the partial epoch is sealed and stored; the node leaves the cluster
    /// (peers see "left", not "dead") within the leave timeout; replication stops; the snapshot and incarnation are
    /// saved; the API and the database close.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        if (_capture is not null && !_capture.Stop(TimeSpan.FromSeconds(5)))
            _log.WriteLine("flowmesh: the capture did not stop within 5 s; its open epoch is not sealed");
        FinishFlowWrites();
        _discovery?.Dispose();
        if (_peer is not null && _peer.IsRunning)
        {
            bool left = await _peer.LeaveAsync(_options.LeaveTimeout).ConfigureAwait(false);
            _log.WriteLine(left ? "flowmesh: left the cluster" : $"flowmesh: leaving took longer than {_options.LeaveTimeout.TotalSeconds:0} s; stopped anyway");
        }
        await _background.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
        }
        SaveSnapshot();
        if (_api is not null) await _api.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_api is not null) await _api.DisposeAsync().ConfigureAwait(false);
        _capture?.Dispose();
        _peer?.Dispose();
        _database?.Dispose();
        CloseFlowLog();
        _background.Dispose();
    }

    // ---- IAgentReadModel: snapshots for the API, safe from any thread ----

    public MembersResponse Members()
    {
        var now = _peerClock?.Elapsed ?? TimeSpan.Zero;
        var members = _peer?.Members ?? [];
        var conflicts = (_peer?.NameConflicts ?? []).ToLookup(c => c.Node);
        var clocks = Clocks();
        return new MembersResponse(_self.Value, [.. members
            .OrderBy(m => m.Id.Value, StringComparer.Ordinal)
            .Select(m => new MemberEntry(m.Id.Value, m.Address.Value, StateName(m.State), m.Incarnation,
                Math.Round(Math.Max(0, (now - m.StateChangedAt).TotalSeconds), 3))
            {
                ConflictingAddresses = [.. conflicts[m.Id].Select(c => c.ClaimedAddress.Value).Distinct().Order(StringComparer.Ordinal)],
                ClockOffsetSeconds = ClockOffsetOf(clocks, m.Id) is { } offset ? Seconds(offset) : null,
                ClockSkewed = ClockOffsetOf(clocks, m.Id) is { } skew && clocks.Skewed(skew),
            })]);
    }

    /// <summary>A member's clock against the cluster's time: self always (zero when alone), peers once sampled.</summary>
    private TimeSpan? ClockOffsetOf(ClockEstimate clocks, NodeId member) =>
        member == _self ? clocks.Self : clocks.Peers.TryGetValue(member, out var offset) ? offset : null;

    /// <summary>Milliseconds are what a round trip can resolve; + 0.0 turns a rounded -0 into 0 for the JSON.</summary>
    private static double Seconds(TimeSpan offset) => Math.Round(offset.TotalSeconds, 3) + 0.0;

    private ClockStatus ClockStatus()
    {
        var clocks = Clocks();
        return new ClockStatus(Seconds(clocks.Self), clocks.Sampled, clocks.Alert.TotalSeconds,
            [.. clocks.SkewedMembers(_self).Select(m => new SkewedClock(m.Node.Value, Seconds(m.Offset),
                $"the clock of {m.Node}{(m.Node == _self ? " (this agent)" : "")} is {ClockText.Offset(m.Offset)} off the cluster's time; " +
                "its records are accepted and marked, but fix its time synchronisation (NTP)"))],
            _validator?.AcceptedFromSkewedClocks ?? 0, _retentionClock?.HeldBack ?? 0);
    }

    public StatusResponse Status()
    {
        var store = _database!.Records;
        var digest = store.Digest();
        long nowMicros = Core.UnixMicros.Now();
        var origins = store.NewestPerOrigin()
            .Select(r => new OriginStatus(r.Id.Origin, digest.FirstOrDefault(d => d.Origin == r.Id.Origin).Count,
                FormatMicros(r.Id.StartMicros), Math.Round((nowMicros - r.Id.EndMicros) / 1e6, 3)))
            .ToList();
        var members = _peer?.Members ?? [];
        var transport = _peer?.Counters;
        var protocol = _peer?.MembershipCounters;
        return new StatusResponse(
            _self.Value,
            _peer?.Incarnation ?? _database.Incarnation,
            Math.Round(_uptime.Elapsed.TotalSeconds, 3),
            _options.EpochLength.TotalSeconds,
            new CaptureStatus(_capture?.Description, _capture?.Packets ?? 0, _capture?.Drops ?? 0, _capture?.Error,
                _capture?.State ?? "off", _capture?.Errors.Snapshot() ?? CaptureErrors.Labels.ToDictionary(l => l, _ => 0L)),
            new RecordCounts(RecordsSealed, digest.Sum(d => (long)d.Count), SkippedAlreadyStored, Interlocked.Read(ref _storeFailures)),
            origins,
            new GossipStatus(
                members.Count,
                members.Count(m => m.State == MemberState.Alive),
                transport?.DatagramsSent ?? 0,
                (transport?.DatagramBytesSent ?? 0) + (transport?.StreamBytesSent ?? 0),
                transport?.DatagramsReceived ?? 0,
                (transport?.DatagramBytesReceived ?? 0) + (transport?.StreamBytesReceived ?? 0),
                protocol?.MalformedPackets ?? 0,
                (transport?.DatagramDrops.Total ?? 0) + (transport?.StreamDrops.Total ?? 0) + (transport?.StreamRefusals ?? 0),
                protocol?.Refutations ?? 0,
                protocol?.PushPulls ?? 0,
                (_replication?.RecordsPulled ?? 0) + (_replication?.RecordsReceivedByPush ?? 0),
                _validator?.Rejections.Total ?? 0))
        {
            Ownership = _addressOwnership?.Ownership.Addresses is { } book
                ? new OwnershipStatus([.. book.Local.Select(a => a.ToString())],
                    book.ByOrigin().ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value.Select(a => a.ToString())], StringComparer.Ordinal))
                : null,
            Clock = ClockStatus(),
        };
    }

    public RecordsResponse Records(string? origin, long fromMicros, long toMicros, int limit)
    {
        var store = _database!.Records;
        IEnumerable<string> origins = origin is not null ? [origin] : store.Digest().Select(d => d.Origin);
        // Ids first (small), newest first; then one query for the selected span only, so a wide window never loads
        // more envelopes than about `limit`.
        var ids = origins
            .SelectMany(store.IdsOf)
            .Where(id => id.StartMicros >= fromMicros && id.StartMicros < toMicros)
            .OrderByDescending(id => id.StartMicros).ThenBy(id => id.Origin, StringComparer.Ordinal)
            .Take(limit + 1)
            .ToList();
        var selected = ids.Take(limit).ToList();
        if (selected.Count == 0) return new RecordsResponse([], ids.Count > limit);
        long oldest = selected.Min(id => id.StartMicros), newest = selected.Max(id => id.StartMicros);
        var held = store.RecordsBetween(oldest, newest + 1, origin).ToDictionary(r => r.Id);
        var entries = new List<RecordEntry>(selected.Count);
        foreach (var id in selected)
        {
            if (!held.TryGetValue(id, out var record)) continue; // pruned in between
            entries.Add(new RecordEntry(id.Origin, FormatMicros(id.StartMicros), id.StartMicros, id.LengthMicros, record.SignedEnvelope.Length, record.ContentHash));
        }
        return new RecordsResponse(entries, ids.Count > limit);
    }

    private static string StateName(MemberState state) => state switch
    {
        MemberState.Alive => "alive",
        MemberState.Suspect => "suspect",
        MemberState.Dead => "dead",
        MemberState.Left => "left",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static string FormatMicros(long micros) => Core.UnixMicros.Format(micros);
}

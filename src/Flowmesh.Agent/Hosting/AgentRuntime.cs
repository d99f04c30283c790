using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
/// One running agent, from start to stop: database, cluster key, gossip peer, record replication, LAN discovery,
/// capture and the local API, started in dependency order and stopped in reverse. Start failures are
/// <see cref="AgentStartException"/>s with a message for the operator; whatever was started is stopped again. What
/// the parts do once running is theirs: <see cref="OwnRecordPublisher"/> stores the captured records,
/// <see cref="AgentMaintenance"/> runs the periodic work, <see cref="AgentReadModel"/> answers the API.
/// </summary>
internal sealed class AgentRuntime : IAsyncDisposable
{
    private readonly AgentOptions _options;
    private Core.Zones.ZonePath _zone = Core.Zones.ZonePath.Root;
    private readonly TextWriter _log;
    private readonly NodeId _self;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private readonly CancellationTokenSource _background = new();
    private readonly List<Task> _tasks = [];
    private readonly ApiRefusals _apiRefusals = new();
    private readonly Metrics.AgentMeter _meter = new();
    private OpenTelemetry.Metrics.MeterProvider? _otlp;
    private readonly long _startedMicros = Core.UnixMicros.Now();
    private AgentDatabase? _database;
    private GossipPeer? _peer;
    private Stopwatch? _peerClock;
    private AgentMaintenance? _maintenance;
    private OwnRecordPublisher? _published;
    private AgentDrillDown? _drillDown;
    private LanDiscovery? _discovery;
    private CapturePipeline? _capture;
    private Export.IpfixFlowListener? _ipfix;
    private AgentApi? _api;
    private int _stopped;

    private AgentRuntime(AgentOptions options, TextWriter log)
    {
        if (options.Validate() is string problem) throw new AgentStartException(problem);
        _options = options;
        _log = log;
        _self = new NodeId(options.Name);
    }

    /// <summary>Certificates, certified record intake and revocations (issue 16); null until started.</summary>
    public Enrolment.AgentTrust? Trust { get; private set; }

    /// <summary>Own records sealed and stored this run.</summary>
    public long RecordsSealed => _published?.Sealed ?? 0;

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
                new StorageOptions { Retention = _options.Retention, MaxRecordBytes = _options.RetentionBytes, Slots = EpochSlotRule.ForEpoch(_options.EpochLength, _options.Retention) });
        }
        catch (Exception e) when (e is AgentDatabaseException or IOException or UnauthorizedAccessException)
        {
            throw new AgentStartException($"data directory {_options.DataDirectory}: {e.Message}", e);
        }
        // Issue 15: records' plausibility, views and retention run on the cluster's time (this clock minus its measured
        // offset from the median of all members), and retention never further than the monotonic clock went unless
        // peers confirm it, so neither a skewed clock nor a jump of it deletes history or refuses the cluster's records.
        var clusterTime = new ClusterTime(TimeProvider.System, Clocks);
        var retentionClock = new RetentionClock(TimeProvider.System, () => (Clocks().Self, Clocks().Sampled));

        // 2. The cluster key: created on first run only at the default path; a given --key-file must exist.
        ClusterKeySet clusterKeys; // issue 16: one or more transport keys and the sketch key, followed while running
        try
        {
            clusterKeys = ClusterKeyFile.LoadOrCreate(_options.KeyFilePath, createIfMissing: _options.KeyFile is null, out bool created);
            if (created)
                _log.WriteLine($"flowmesh: created a new cluster key in {_options.KeyFilePath}; copy this file to every node that should join (--key-file)");
        }
        catch (FormatException e)
        {
            throw new AgentStartException(e.Message, e);
        }
        var sketchKey = clusterKeys.SketchKey;
        _zone = _options.ZonePathIn(sketchKey);

        // 3. Trust (issue 16): records only from origins the cluster authority certified; no name is bound on first use.
        Trust = Enrolment.AgentTrust.Start(_options.DataDirectory, _options.Certificate, _options.CaCertificate, _self, _database.Identity, clusterTime, _log);
        _published = new OwnRecordPublisher(_database, Trust.Sealer(), _log, size => _meter.RecordSize.Record(size));

        var (ownership, views, detections) = AgentViews.Create(_database, sketchKey, _self.Value,
            () => MembershipOrigins.Of(_peer?.Members ?? [], _self.Value, PeerTimeToWallMicros, _options.Capture is null ? null : _startedMicros),
            clusterTime, _options.EpochLength);
        views.Built += took => _meter.ViewBuildDuration.Record(took.TotalSeconds);

        // 4. Gossip.
        var keyring = ClusterKeyReload.KeyringOf(clusterKeys);
        bool wildcard = _options.Bind.Address.Equals(IPAddress.Any) || _options.Bind.Address.Equals(IPAddress.IPv6Any);
        IPEndPoint? advertise = _options.Advertise ?? (wildcard ? AdvertiseAddress.Choose(_options.Bind, null) : null);
        try
        {
            _peerClock = Stopwatch.StartNew(); // the peer's loop clock starts right after: ages of members are read on it
            _peer = new GossipPeer(_self, _options.Bind, keyring, _options.Membership,
                advertise is null ? null : Gossip.Transport.GossipEndpoint.ToAddress(advertise), initialIncarnation: _database.Incarnation,
                firstSequence: _database.FirstSequence, credential: Trust.Credentials.Credential, verifier: Trust.Credentials.Verifier);
        }
        catch (SocketException e)
        {
            throw new AgentStartException($"cannot use --bind {_options.Bind} for gossip (UDP and TCP): {e.Message}", e);
        }
        // Once per conflict (GossipPeer dedups), with both addresses: without this line six agents named after one
        // host showed as one member and nothing said why. Names and addresses from the network are printable (MessageCodec).
        _peer.NewNameConflict += c => _log.WriteLine(c.InvolvesSelf
            ? $"flowmesh: name conflict: another agent at {c.ClaimedAddress} also calls itself '{c.Node}' (this agent, at {c.KnownAddress}); its claims are refused, so it cannot join. Give one of them another --name."
            : $"flowmesh: name conflict: two agents call themselves '{c.Node}': {c.KnownAddress} (known first, kept) and {c.ClaimedAddress} (refused, so it cannot join). Give one of them another --name.");
        _peer.RoundTripMeasured += rtt => _meter.GossipRoundTrip.Record(rtt.TotalSeconds);
        _peer.CallbackFailed += e => _log.WriteLine($"flowmesh: gossip: {e.GetType().Name}: {e.Message}");

        var replicationOptions = new ReplicationOptions { Retention = _options.Retention, Slots = EpochSlotRule.ForEpoch(_options.EpochLength, _options.Retention) };
        var validator = new RecordValidator(Trust.Origins, sketchKey, replicationOptions, clusterTime,
            origin => Clocks().Peers.TryGetValue(new NodeId(origin), out var offset) ? offset : null);
        var replication = new ReplicationCounters();
        var server = new RecordSyncServer(_database.Records, validator, replicationOptions, clusterTime, replication);
        var zoned = _options.ZoneReplication && _options.Zone is { } leaf // docs/zones.md: one replicator per scope instead of flat
            ? ZonedReplication.Start(_self, leaf, _database.Records, validator, Trust.Origins, sketchKey, Trust.Credentials.Credential, Trust.Credentials.Certificate, _peer, replicationOptions, clusterTime, replication, _log) : null;
        if (zoned is null) _peer.Register(GossipStreamKind.RecordSync, server.HandleAsync); else AgentViews.UseZones(views, zoned);
        _drillDown = AgentDrillDown.Start(_options, _self, _peer, _log);
        _maintenance = new AgentMaintenance(_options, _log, _self, _database, _peer, _uptime, _peerClock, PeerTimeToWallMicros, ownership, detections, retentionClock);
        _peer.MemberChanged += _maintenance.OnMemberChanged;
        if (_drillDown.Log is { } flowLog) _tasks.Add(_maintenance.PruneFlowLogAsync(flowLog, _background.Token));
        var replicator = new RecordReplicator(_database.Records, validator, _peer.Streams, AlivePeers, replicationOptions, clusterTime, replication);
        _tasks.Add(Trust.Spread(_peer, AlivePeers, _background.Token));
        _peer.Start();

        var seeds = _options.Join.Count > 0 ? null : ClusterJoin.SnapshotSeeds(_database, _self);
        _tasks.Add(_options.Join.Count > 0
            ? ClusterJoin.JoinSeedsAsync(_options.Join, _peer, _options.Membership.JoinRetryInterval, _log, _background.Token)
            : Task.CompletedTask);
        if (seeds is { Count: > 0 })
        {
            _peer.Join(seeds);
            _log.WriteLine($"flowmesh: rejoining {seeds.Count} peers from the last membership snapshot");
        }
        _tasks.AddRange(zoned?.Run(_background.Token) ?? [replicator.RunAsync(_background.Token).ContinueWith(_ => { }, TaskScheduler.Default)]);
        _tasks.Add(_maintenance.RunAsync(_background.Token));
        _tasks.Add(new ClusterKeyReload(_options.KeyFilePath, keyring, sketchKey, _log).RunAsync(_background.Token));
        _tasks.Add(_published.RollUpAsync(sketchKey, _options.Retention, _options.EpochLength, _background.Token));

        // 5. LAN discovery: optional, and a network without multicast must not stop the agent.
        if (_options.Discovery) _discovery = ClusterJoin.StartDiscovery(_self, _peer, keyring, _database.FirstSequence, _log);

        // 6. Capture.
        if (_options.Capture is CaptureBackend backend)
        {
            ICaptureSource source;
            var live = new LiveCaptureRequest(_options.Interfaces, null, _options.CaptureSnapLength, _options.CaptureBufferBytes, false, backend);
            try
            {
                source = CaptureSources.OpenLive(live, _log);
            }
            catch (Exception e) when (e is CaptureSetupException or DllNotFoundException or InvalidOperationException or UnauthorizedAccessException)
            {
                throw new AgentStartException($"cannot capture: {e.Message} (capturing needs root or CAP_NET_RAW/CAP_BPF; --capture none runs without)", e);
            }
            // Own records continue where the stored ones end (records are immutable: a restart inside an epoch seals
            // the rest of it, and a clock put back under records sealed while it was ahead seals after them).
            long? ownRecordsEnd = _database.Records.NewestEndOf(_self.Value);
            long openedMicros = Core.UnixMicros.Now();
            ownership.UseCapture(source, _options.Interfaces, openedMicros, ownRecordsEnd);
            _maintenance.RefreshOwnership();
            if (ownRecordsEnd > openedMicros + Core.UnixMicros.FromDuration(_options.EpochLength))
                _log.WriteLine($"flowmesh: this agent's newest record ends at {Core.UnixMicros.Format(ownRecordsEnd.Value)}, {ClockText.Offset(Core.UnixMicros.ToDuration(ownRecordsEnd.Value - openedMicros))} after this clock's time (it was sealed while the clock was ahead); each epoch is sealed as a {AgentOptions.MinEpochLength.TotalSeconds:0} s record after it until the clock catches up, so none collides and no traffic is lost (see /metrics flowmesh_records_moved_total)");
            var dnsInbox = new Core.HostContext.DnsObservationInbox(); // DNS answers from the DNS source's thread into the records
            if (_options.Ipfix.Count > 0) _ipfix = new([.. _options.Ipfix.Select(d => new Export.IpfixExporter(d, _options.IpfixExport, _log.WriteLine))]);
            _capture = new CapturePipeline(source, new EpochSummarizerOptions
            {
                Origin = _options.Name, Key = sketchKey, EpochLength = _options.EpochLength,
                Ownership = ownership.Ownership, LateOwnership = ownership.Ledger, MonitorTraffic = ownership.MonitorTraffic, Zone = _zone,
                RecordsFromMicros = ownRecordsEnd, MinRecordLength = AgentOptions.MinEpochLength, FollowsWallClock = true,
                DnsObservations = dnsInbox, Privacy = _options.Privacy, OmitFlow = LyingPcHook.FromEnvironment(_log),
            }, _published.Publish, flows: FanOutFlowListener.Of(_drillDown.Collector, _ipfix), log: _log, sealTimed: took => _meter.SealDuration.Record(took.TotalSeconds),
                hostContext: Capture.HostContext.HostContextSources.StartLive(_options.HostContext, live, dnsInbox, _log, source));
            _capture.Start();
        }

        // 7. Metrics (the meter reads the read model), then the API last: when it answers, everything it reports on is running.
        var readModel = new AgentReadModel
        {
            Self = _self, Options = _options, Uptime = _uptime, PeerClock = _peerClock, Database = _database, Peer = _peer,
            Validator = validator, Replication = replication, RetentionClock = retentionClock, Ownership = ownership,
            Views = views, Published = _published, DrillDown = _drillDown, ApiRefusals = _apiRefusals, Capture = _capture, Zone = _zone,
            Ipfix = _ipfix, Trust = Trust,
        };
        _meter.ReadFrom(readModel.Metrics);
        _otlp = Metrics.OtlpMetricsExport.StartIfAsked(_options.Otlp, _options.OtlpInterval, _self.Value, _log);
        if (_options.Api is { } apiEndpoint)
        {
            ApiToken token;
            try
            {
                token = ApiToken.LoadOrCreate(_options.ApiTokenPath, out bool created);
                if (created) _log.WriteLine($"flowmesh: created the API token in {_options.ApiTokenPath} (readable by root and the '{ApiToken.GroupName}' group)");
                _api = await AgentApi.StartAsync(apiEndpoint, readModel, cancellationToken,
                    app => { ViewEndpoints.Map(app, views, detections, _apiRefusals); _drillDown.MapEndpoint(app, _apiRefusals); },
                    _options.ApiAllowedHosts, _apiRefusals, token, _meter).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AgentStartException(e.Message, e);
            }
            if (!IPAddress.IsLoopback(apiEndpoint.Address))
                _log.WriteLine($"flowmesh: note: the API on {apiEndpoint} is reachable from other machines; it is read-only and every request needs the API token ({_options.ApiTokenPath})");
        }
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"flowmesh: agent {_self} (incarnation {_database.Incarnation}, key {Convert.ToHexStringLower(Trust.Credentials.Credential.Identity.Fingerprint, 0, 8)}) " +
            $"gossip on {_peer.BoundEndpoint} as {_peer.LocalAddress}, API {(_api?.BaseAddress?.ToString() ?? "off")}, " +
            $"capture {(_capture?.Description ?? "off")}, epoch {_options.EpochLength.TotalSeconds:0.###} s, data {_options.DataDirectory}, certificate {Trust.Credentials.Certificate.Serial}"));
    }

    /// <summary>Every clock against the cluster's time (nothing sampled before the peer runs).</summary>
    private ClockEstimate Clocks() => _peer?.Clocks ?? ClockEstimate.None(_options.Membership.ClockSkewAlert);

    /// <summary>A time on the peer's loop clock (when a member last changed state) as wall-clock microseconds.</summary>
    private long PeerTimeToWallMicros(TimeSpan peerTime) =>
        _peerClock is null ? Core.UnixMicros.Now() : Core.UnixMicros.Now() - Core.UnixMicros.FromDuration(_peerClock.Elapsed - peerTime);

    private IReadOnlyList<GossipAddress> AlivePeers() =>
        _peer is null ? [] : [.. _peer.Members.Where(m => m.State == MemberState.Alive && m.Id != _self).Select(m => m.Address)];

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
        _drillDown?.FinishWrites();
        foreach (var exporter in _ipfix?.Exporters ?? []) exporter.Dispose(); // sends the last epoch's flows first
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
        _maintenance?.SaveSnapshot();
        if (_api is not null) await _api.StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (_api is not null) await _api.DisposeAsync().ConfigureAwait(false);
        _otlp?.Dispose(); // the last push (at most the exporter's 5 s timeout), before the parts it reads close
        _meter.Dispose();
        _capture?.Dispose();
        _peer?.Dispose();
        _database?.Dispose();
        _drillDown?.Dispose();
        _background.Dispose();
    }
}

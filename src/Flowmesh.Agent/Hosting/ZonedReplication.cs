using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;
using Flowmesh.Gossip.Zones;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Replication by zone (`--zone-replication`, docs/zones.md): instead of one flat replicator, one per scope of this
/// agent's leaf zone (its `--zone` label): the leaf's per-PC records among its members, and for each ancestor the
/// aggregates of that ancestor's children among its members; the zone producer merges what this agent is the
/// producer of. One responder serves every scope and refuses the rest. Peers of a scope are the alive members known
/// to sit in it plus those not placed yet (a refusal or their own requests place them), so no membership change is
/// needed. Aggregates are held in memory for <see cref="AggregateRetention"/>.
/// </summary>
internal sealed class ZonedReplication
{
    /// <summary>How long aggregates are kept and replicated: they are rebuilt from records, so an hour bounds memory (≈ 10 MB at 12 zones).</summary>
    public static readonly TimeSpan AggregateRetention = TimeSpan.FromHours(1);

    /// <summary>The producers' settings (30 s periods); the views align to the same periods.</summary>
    public static readonly ZoneProducerOptions ProducerOptions = new();

    private readonly GossipPeer _peer;
    private readonly TextWriter _log;
    private readonly NodeId _self;
    private readonly List<RecordReplicator> _replicators = [];
    private readonly Dictionary<ZonePath, AggregateScopeStore> _aggregates = [];

    private ZonedReplication(GossipPeer peer, NodeId self, ZonePath leaf, TextWriter log)
    {
        _log = log;
        _peer = peer;
        _self = self;
        Directory = new ZoneDirectory(self.Value, leaf);
    }

    public ZoneDirectory Directory { get; }
    public ZoneProducer? Producer { get; private set; }
    public IReadOnlyDictionary<ZonePath, AggregateScopeStore> Aggregates => _aggregates;

    /// <summary>Builds the scopes and registers the responder on <paramref name="peer"/>; <see cref="Run"/> starts the sessions.</summary>
    public static ZonedReplication Start(NodeId self, ZonePath leaf, IRecordStore records, IRecordVerifier recordVerifier, IOriginTrust trust,
        SketchHashKey key, NodeCredential credential, NodeCertificate? certificate, GossipPeer peer, ReplicationOptions recordOptions, TimeProvider time, ReplicationCounters counters, TextWriter log)
    {
        var zoned = new ZonedReplication(peer, self, leaf, log);
        var directory = zoned.Directory;
        var aggregateOptions = new ReplicationOptions
        {
            Interval = TimeSpan.FromSeconds(2), // aggregates change once per period; the simulator's setting
            Retention = new RecordRetention([new RetentionTier(TimeSpan.Zero, AggregateRetention)]),
        };
        var aggregateVerifier = new AggregateValidator(trust, key, aggregateOptions, time);
        var leafRecords = new LeafZoneRecordStore(records, origin => directory.IsIn(origin, leaf));
        var scopes = new ReplicationScopes(leaf).Serve(SyncScope.RecordsOf(leaf), leafRecords, recordVerifier);
        zoned.Add(SyncScope.RecordsOf(leaf), leafRecords, recordVerifier, recordOptions, time, counters);
        for (int depth = leaf.Depth - 1; depth >= 0; depth--)
        {
            var scope = SyncScope.AggregatesUnder(leaf.Prefix(depth));
            var store = new AggregateScopeStore(scope, key);
            // A leaf aggregate's manifest lists its zone's origins: where they sit, learned for free.
            var announced = new HashSet<ZonePath>();
            store.Stored += a =>
            {
                if (a.Kind == ZoneAggregateKind.Records)
                    foreach (var entry in a.Manifest.Entries) directory.LearnLeaf(entry.Key, a.Zone);
                bool first;
                lock (announced) first = !a.Producer.Equals(self.Value, StringComparison.Ordinal) && announced.Add(a.Zone);
                if (first) log.WriteLine($"flowmesh: first aggregate of zone {a.Zone} from its producer {a.Producer} ({a.Manifest.TotalWeight} records)");
            };
            zoned._aggregates[scope.Zone] = store;
            scopes.Serve(scope, store, aggregateVerifier);
            zoned.Add(scope, store, aggregateVerifier, aggregateOptions, time, counters);
        }
        var server = new RecordSyncServer(records, recordVerifier, recordOptions, time, counters, scopes: scopes);
        server.ScopeRequested += (sender, scope) =>
        {
            if (scope.Kind == SyncScopeKind.Records) directory.LearnLeaf(sender.Value, scope.Zone);
            else directory.LearnWithin(sender.Value, scope.Zone);
        };
        peer.Register(GossipStreamKind.RecordSync, server.HandleAsync);
        log.WriteLine($"flowmesh: replicating by zone: records inside {leaf}, aggregates in {leaf.Depth} scope(s) above it");
        zoned.Producer = new ZoneProducer(directory, new AggregateSealer(credential.Identity, self, certificate), key, leafRecords, zoned._aggregates,
            zoned.AliveNames, ProducerOptions, time);
        return zoned;
    }

    /// <summary>Every scope's sessions and the producer's ticks, until cancelled.</summary>
    public IEnumerable<Task> Run(CancellationToken cancellationToken) =>
        [.. _replicators.Select(r => r.RunAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default)), ProduceAsync(cancellationToken)];

    private void Add(SyncScope scope, IRecordStore store, IRecordVerifier verifier, ReplicationOptions options, TimeProvider time, ReplicationCounters counters)
    {
        var replicator = new RecordReplicator(store, verifier, _peer.Streams, () => PeersOf(scope.Zone), options, time, counters, scope: scope);
        replicator.PeerRefusedScope += (address, servedLeaf) =>
        {
            if (servedLeaf is null) return;
            foreach (var m in _peer.Members)
                if (m.Address == address) Directory.LearnLeaf(m.Id.Value, servedLeaf);
        };
        _replicators.Add(replicator);
    }

    private IReadOnlyList<GossipAddress> PeersOf(ZonePath zone) =>
        [.. _peer.Members.Where(m => m.State == MemberState.Alive && m.Id != _self && (Directory.IsIn(m.Id.Value, zone) || Directory.IsUnplacedFor(m.Id.Value, zone)))
            .Select(m => m.Address)];

    private IReadOnlyCollection<string> AliveNames() =>
        [.. _peer.Members.Where(m => m.State == MemberState.Alive && m.Id != _self).Select(m => m.Id.Value)];

    private async Task ProduceAsync(CancellationToken cancellationToken)
    {
        int ticks = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                Producer!.Tick();
                if (++ticks % 60 == 0)
                {
                    long horizon = Core.UnixMicros.Now() - Core.UnixMicros.FromDuration(AggregateRetention);
                    foreach (var store in _aggregates.Values) store.Prune(horizon);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A merge that failed (conflicting inputs, a store error) is retried next tick; nothing partial was
                // stored. The producer must never stop silently: each new kind of failure is logged once.
                if (LastError?.GetType() != e.GetType()) _log.WriteLine($"flowmesh: zone producer: {e.GetType().Name}: {e.Message} (retried every second)");
                LastError = e;
            }
        }
    }

    /// <summary>The last failure of a producer tick, for diagnosis.</summary>
    public Exception? LastError { get; private set; }
}

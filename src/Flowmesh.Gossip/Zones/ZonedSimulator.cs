using System.IO.Hashing;
using Flowmesh.Core;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// Zone replication (docs/zones.md) on a <see cref="VirtualClock"/>: N nodes in a tree of zones, each node running
/// the production <see cref="RecordReplicator"/> and <see cref="RecordSyncServer"/> once per scope it belongs to:
/// its leaf zone (the members' per-PC records) and, for each ancestor A, A's children's aggregates among A's members.
/// Producers (the lowest-named running member of a zone) merge with <see cref="ZoneAggregate"/>, sign with
/// <see cref="AggregateSealer"/>, and receivers check with <see cref="AggregateValidator"/>. Only the streams (latency,
/// loss, crashes) and time are simulated. Single-threaded and deterministic.
/// </summary>
/// <remarks>
/// Simplifications, each stated in docs/simulate.md: nodes fill leaf zones in name order (a balanced tree; hashed
/// paths balance only on average); producers know who runs (membership's failure detection takes a few seconds more
/// in an agent); one verification per distinct envelope, shared by all nodes, as in <see cref="ReplicationSimulator"/>.
/// </remarks>
public sealed class ZonedSimulator
{
    private readonly ZonedSimulatorOptions _options;
    private readonly SketchHashKey _key;
    private readonly Func<EpochId, EpochRecord> _records;
    private readonly List<Node> _nodes = [];
    private readonly Dictionary<string, Node> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<ZonePath, Zone> _zones = [];
    private readonly Random _network;
    private readonly CachingVerifier _recordVerifier;
    private readonly CachingVerifier _aggregateVerifier;
    private readonly long _periodMicros;
    private readonly HashSet<(ZonePath, long)> _scheduled = [];
    private int _nodeSeed;

    public ZonedSimulator(ZonedSimulatorOptions options, SketchHashKey sketchKey, Func<EpochId, EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sketchKey);
        ArgumentNullException.ThrowIfNull(records);
        options.Validate();
        _options = options;
        _key = sketchKey;
        _records = records;
        _network = new Random(options.Seed);
        _nodeSeed = options.Seed * 7919;
        _periodMicros = UnixMicros.FromDuration(options.AggregatePeriod);
        Time = new VirtualTime(Clock, options.StartTime);
        var trust = new TrustedOrigins(1_000_000);
        _recordVerifier = new CachingVerifier(new RecordValidator(trust, sketchKey, options.Replication, Time), null);
        var aggregates = new AggregateValidator(trust, sketchKey, options.AggregateReplication, Time);
        _aggregateVerifier = new CachingVerifier(null, aggregates, hash => _produced.GetValueOrDefault(hash));
    }

    public VirtualClock Clock { get; } = new();
    public TimeProvider Time { get; }
    public IReadOnlyList<Node> Nodes => _nodes;
    public Node this[string name] => _byName[name];

    /// <summary>Every aggregate produced, by hash (the run's own knowledge, to expand views into origin records).</summary>
    public IReadOnlyDictionary<ZoneHash, ZoneAggregate> Produced => _produced;
    private readonly Dictionary<ZoneHash, ZoneAggregate> _produced = [];

    /// <summary>Aggregates produced, re-issues included.</summary>
    public int AggregatesProduced => _produced.Count;

    /// <summary>Raised when a node gains a per-PC record of its leaf zone (its own included) or an aggregate.</summary>
    public event Action<Node, EpochId>? RecordStored;
    public event Action<Node, ZoneAggregate>? AggregateStored;

    /// <summary>The leaf zone of the <paramref name="index"/>-th node: its base-b digits, most significant first.</summary>
    public ZonePath LeafOf(int index)
    {
        var digits = new string[_options.Levels];
        int leaf = index / _options.Branching;
        for (int d = _options.Levels - 1; d >= 0; d--)
        {
            digits[d] = (leaf % _options.Branching).ToString(System.Globalization.CultureInfo.InvariantCulture);
            leaf /= _options.Branching;
        }
        return ZonePath.Parse(string.Join('/', digits));
    }

    /// <summary>Creates a node in the next free place of the tree and starts its sessions.</summary>
    public Node AddNode(string name)
    {
        var leaf = LeafOf(_nodes.Count);
        var node = new Node(this, name, leaf, new Random(++_nodeSeed));
        _nodes.Add(node);
        _byName[name] = node;
        for (int d = 0; d <= _options.Levels; d++)
        {
            var zone = ZoneAt(leaf.Prefix(d));
            if (zone.Members.Count == 0 && d > 0) ZoneAt(leaf.Prefix(d - 1)).Children.Add(zone);
            zone.Add(node);
        }
        foreach (var scope in node.Scopes)
            ScheduleSession(node, scope, scope.Options.Interval * node.Random.NextDouble());
        return node;
    }

    /// <summary>The node seals its record of an epoch; a period's end schedules the leaf producers.</summary>
    public void Seal(string name, long startMicros, long lengthMicros)
    {
        var node = _byName[name];
        var record = node.Sealer.Seal(_records(new EpochId(name, startMicros, lengthMicros)));
        node.Leaf.Tracked.Write(record);
    }

    /// <summary>Every leaf zone's producer merges the period that ends at <paramref name="periodEndMicros"/>, after the grace.</summary>
    public void PeriodEnded(long periodEndMicros)
    {
        long start = periodEndMicros - _periodMicros;
        foreach (var zone in _zones.Values.Where(z => z.Path.Depth == _options.Levels))
            ScheduleProduction(zone.Path, start);
    }

    /// <summary>Crash (kill -9): sessions stop, nothing is answered, the node's stores are gone with it.</summary>
    public void Kill(string name)
    {
        var node = _byName[name];
        if (!node.Running) return;
        node.Running = false;
        for (int d = 0; d <= _options.Levels; d++) _zones[node.LeafPath.Prefix(d)].Invalidate();
    }

    /// <summary>Splits the network: requests between groups are lost. Nodes in no group form group 0.</summary>
    public void Partition(params IEnumerable<string>[] groups)
    {
        for (var g = 0; g < groups.Length; g++)
            foreach (var name in groups[g])
                _byName[name].Group = g + 1;
        foreach (var zone in _zones.Values) zone.Invalidate();
    }

    public void Heal()
    {
        foreach (var n in _nodes) n.Group = 0;
        foreach (var zone in _zones.Values) zone.Invalidate();
    }

    private Zone ZoneAt(ZonePath path)
    {
        if (!_zones.TryGetValue(path, out var zone)) _zones[path] = zone = new Zone(path);
        return zone;
    }

    private long PeriodOf(long startMicros) => startMicros - Mod(startMicros, _periodMicros);

    private static long Mod(long a, long b) => ((a % b) + b) % b;

    private void ScheduleProduction(ZonePath zone, long periodStart)
    {
        if (!_scheduled.Add((zone, periodStart))) return;
        Clock.Schedule(_options.Grace, () =>
        {
            _scheduled.Remove((zone, periodStart));
            Produce(zone, periodStart);
        });
    }

    private void Produce(ZonePath path, long periodStart)
    {
        var zone = _zones[path];
        foreach (var producer in zone.Producers().ToList()) Produce(zone, producer, periodStart);
    }

    private void Produce(Zone zone, Node producer, long periodStart)
    {
        var path = zone.Path;
        int issued = producer.Issued.GetValueOrDefault((path, periodStart));
        if (issued > _options.MaxReissues) return;
        ZoneAggregate aggregate;
        if (path.Depth == _options.Levels)
        {
            var inputs = new List<EpochRecord>();
            foreach (var id in producer.Leaf.Tracked.IdsStartingBetween(periodStart, periodStart + _periodMicros))
            {
                if (id.EndMicros > periodStart + _periodMicros) continue;
                if (SignedRecord.TryDecode(producer.Leaf.Store.Read(id), out var signed, out _))
                    inputs.Add(EpochRecord.Decode(signed!.Record, _key));
            }
            if (inputs.Count == 0) return;
            aggregate = ZoneAggregate.FromRecords(path, periodStart, _periodMicros, producer.Name, inputs);
        }
        else
        {
            var scope = producer.Scopes[path.Depth];
            var expected = zone.Children.Where(c => c.HasRunningMember).ToList();
            var children = expected.Select(c => scope.Aggregates.Best(c.Path, periodStart, _periodMicros)).OfType<ZoneAggregate>().ToList();
            if (children.Count == 0) return;
            // The first issue waits (up to ChildrenWait) for every child zone that has a running member: an early
            // partial merge would cost a re-issue, and re-issues are what the byte budget cannot afford.
            zone.FirstInput.TryAdd(periodStart, Clock.Now); // a successor producer starts its wait now
            var first = zone.FirstInput[periodStart];
            if (issued == 0 && children.Count < expected.Count && Clock.Now - first < _options.ChildrenWait)
            {
                ScheduleProduction(path, periodStart);
                return;
            }
            aggregate = ZoneAggregate.FromChildren(path, periodStart, _periodMicros, producer.Name, children);
        }
        if (producer.LastWeight.GetValueOrDefault((path, periodStart)) >= aggregate.Manifest.TotalWeight) return;
        producer.Issued[(path, periodStart)] = issued + 1;
        producer.LastWeight[(path, periodStart)] = aggregate.Manifest.TotalWeight;
        _produced[aggregate.Hash] = aggregate;
        producer.Scopes[path.Depth - 1].Tracked.Write(producer.AggregateSealer.Seal(aggregate));
    }

    /// <summary>A node gained something: index it, count it, and wake the producer that waits for it.</summary>
    private void Gained(Node node, Scope scope, VerifiedRecord record)
    {
        if (scope.IsLeaf)
        {
            RecordStored?.Invoke(node, record.Id);
            long period = PeriodOf(record.Id.StartMicros);
            // A late record for a period already merged: the producer re-issues (bounded by MaxReissues).
            if (node.LastWeight.ContainsKey((node.LeafPath, period)) && _zones[node.LeafPath].IsProducer(node))
                ScheduleProduction(node.LeafPath, period);
            return;
        }
        if (!_aggregateVerifier.TryGetAggregate(record.SignedEnvelope, out var aggregate)) return;
        scope.Aggregates.Add(aggregate!);
        AggregateStored?.Invoke(node, aggregate!);
        // A child's aggregate reached the producer of its parent zone (this scope's zone, unless it is the root).
        if (!scope.Zone.IsRoot && _zones[scope.Zone].IsProducer(node))
        {
            _zones[scope.Zone].FirstInput.TryAdd(aggregate!.StartMicros, Clock.Now);
            ScheduleProduction(scope.Zone, aggregate.StartMicros);
        }
    }

    private void ScheduleSession(Node node, Scope scope, TimeSpan delay) =>
        Clock.Schedule(delay, () =>
        {
            if (!node.Running) return;
            if (!scope.Busy) _ = RunSession(scope);
            var jitter = 0.9 + 0.2 * node.Random.NextDouble();
            ScheduleSession(node, scope, scope.Options.Interval * jitter);
        });

    private static async Task RunSession(Scope scope)
    {
        scope.Busy = true;
        try
        {
            await scope.Replicator.RunSessionAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            scope.Busy = false;
        }
    }

    private Task<byte[]?> Request(Node from, int scopeIndex, string to, ReadOnlyMemory<byte> request)
    {
        var completion = new TaskCompletionSource<byte[]?>();
        var copy = request.ToArray();
        if (!_byName.TryGetValue(to, out var target) || !Reachable(from, target) || Lost())
        {
            Clock.Schedule(_options.RequestTimeout, () => completion.TrySetResult(null));
            return completion.Task;
        }
        var latency = Latency(from, target);
        Clock.Schedule(latency, () =>
        {
            if (!Reachable(from, target))
            {
                Clock.Schedule(_options.RequestTimeout, () => completion.TrySetResult(null));
                return;
            }
            var pending = target.Scopes[scopeIndex].Server.HandleAsync(new NodeId(from.Name), copy, CancellationToken.None);
            var reply = pending.IsCompleted ? pending.Result : throw new InvalidOperationException("the simulated server must answer synchronously");
            if (reply is null || Lost())
            {
                Clock.Schedule(_options.RequestTimeout, () => completion.TrySetResult(null));
                return;
            }
            Clock.Schedule(latency, () => completion.TrySetResult(Reachable(from, target) ? reply : null));
        });
        return completion.Task;
    }

    private static bool Reachable(Node a, Node b) => a.Running && b.Running && a.Group == b.Group;

    private bool Lost() => _options.LossRate > 0 && _network.NextDouble() < _options.LossRate;

    private TimeSpan Latency(Node a, Node b)
    {
        bool sameSite = a.LeafPath.Prefix(1).Equals(b.LeafPath.Prefix(1));
        var (min, max) = sameSite ? (_options.MinLatency, _options.MaxLatency) : (_options.MinWanLatency, _options.MaxWanLatency);
        var range = (max - min).Ticks;
        return min + TimeSpan.FromTicks(range > 0 ? _network.NextInt64(range) : 0);
    }

    /// <summary>One simulated PC: a signing identity and one store, server and replicator per scope.</summary>
    public sealed class Node
    {
        internal Node(ZonedSimulator sim, string name, ZonePath leaf, Random random)
        {
            Name = name;
            LeafPath = leaf;
            Random = random;
            var identity = NodeIdentity.Generate();
            Sealer = new RecordSealer(identity, new NodeId(name));
            AggregateSealer = new AggregateSealer(identity, new NodeId(name));
            var scopes = new Scope[sim._options.Levels + 1];
            // Scope d < Levels: the aggregates of the children of the ancestor at depth d. Scope Levels: the leaf zone's records.
            for (int d = 0; d <= sim._options.Levels; d++)
            {
                bool isLeaf = d == sim._options.Levels;
                scopes[d] = new Scope(sim, this, d, leaf.Prefix(d), isLeaf);
            }
            Scopes = scopes;
        }

        public string Name { get; }
        public ZonePath LeafPath { get; }
        public bool Running { get; internal set; } = true;
        public RecordSealer Sealer { get; }
        public AggregateSealer AggregateSealer { get; }

        /// <summary>Bytes sent and received by record sync, all scopes (<paramref name="aggregates"/>: only the aggregate scopes; false: only the leaf's).</summary>
        public long Bytes(bool? aggregates = null) =>
            Scopes.Where(s => aggregates is null || s.IsLeaf != aggregates).Sum(s => s.Counters.BytesSent + s.Counters.BytesReceived);

        /// <summary>Records and aggregates received from peers (pulled or pushed to this node), all scopes.</summary>
        public long Received => Scopes.Sum(s => s.Counters.RecordsPulled + s.Counters.RecordsReceivedByPush);

        public IReadOnlyList<Scope> Scopes { get; }
        public Scope Leaf => Scopes[^1];

        /// <summary>Every aggregate the node holds, all scopes.</summary>
        public ZoneAggregateSet AllAggregates()
        {
            var set = new ZoneAggregateSet();
            foreach (var scope in Scopes)
                foreach (var a in scope.Aggregates.All) set.Add(a);
            return set;
        }

        internal Random Random { get; }
        internal int Group { get; set; }
        internal Dictionary<(ZonePath, long), int> Issued { get; } = [];
        internal Dictionary<(ZonePath, long), long> LastWeight { get; } = [];
    }

    /// <summary>One replication scope of one node: a zone, what replicates in it, and the production objects doing it.</summary>
    public sealed class Scope
    {
        internal Scope(ZonedSimulator sim, Node node, int index, ZonePath zone, bool isLeaf)
        {
            Zone = zone;
            IsLeaf = isLeaf;
            Options = isLeaf ? sim._options.Replication : sim._options.AggregateReplication;
            var tracked = new TrackingStore(sim, node, this);
            Tracked = tracked;
            Store = tracked.Inner;
            IRecordVerifier verifier = isLeaf ? sim._recordVerifier : sim._aggregateVerifier;
            Server = new RecordSyncServer(tracked, verifier, Options, sim.Time, Counters, new Random(node.Random.Next()));
            var members = sim.ZoneAt(zone);
            Replicator = new RecordReplicator(tracked, verifier, new SimulatedStreams(sim, node, index),
                () => members.PeersOf(node), Options, sim.Time, Counters, new Random(node.Random.Next()));
        }

        public ZonePath Zone { get; }
        public bool IsLeaf { get; }
        public ReplicationOptions Options { get; }
        public ReplicationCounters Counters { get; } = new();
        public MemoryRecordStore Store { get; }
        public RecordSyncServer Server { get; }
        public RecordReplicator Replicator { get; }

        /// <summary>The aggregates held in this scope under the superset rule (empty for the leaf scope).</summary>
        public ZoneAggregateSet Aggregates { get; } = new();

        internal IRecordStore Tracked { get; }
        internal bool Busy { get; set; }
    }

    /// <summary>A zone's members in name order, and who of them runs (cached until a member crashes).</summary>
    private sealed class Zone(ZonePath path)
    {
        private readonly List<Node> _members = [];
        private List<GossipAddress>? _running;
        private Dictionary<string, int>? _position;
        private Dictionary<int, Node>? _producers;

        public ZonePath Path { get; } = path;
        public IReadOnlyList<Node> Members => _members;
        public List<Zone> Children { get; } = [];

        /// <summary>Per period, when the producer got its first child aggregate.</summary>
        public Dictionary<long, TimeSpan> FirstInput { get; } = [];

        public void Add(Node node)
        {
            _members.Add(node);
            Invalidate();
        }

        public void Invalidate()
        {
            _running = null;
            _position = null;
            _producers = null;
        }

        /// <summary>
        /// The zone's producers: the lowest-named running member of each side of a partition (each side's membership
        /// sees the other as gone), so a cut zone has two producers and two incomparable aggregates until it heals.
        /// </summary>
        public IReadOnlyCollection<Node> Producers()
        {
            if (_producers is not null) return _producers.Values;
            _producers = [];
            foreach (var m in _members)
                if (m.Running && (!_producers.TryGetValue(m.Group, out var p) || string.CompareOrdinal(m.Name, p.Name) < 0)) _producers[m.Group] = m;
            return _producers.Values;
        }

        public bool IsProducer(Node node)
        {
            Producers();
            return _producers!.TryGetValue(node.Group, out var p) && p == node;
        }

        public bool HasRunningMember => Producers().Count > 0;

        /// <summary>The running members but <paramref name="self"/>, without copying the list per session.</summary>
        public IReadOnlyList<GossipAddress> PeersOf(Node self)
        {
            if (_running is null)
            {
                _running = [.. _members.Where(m => m.Running).Select(m => new GossipAddress(m.Name))];
                _position = [];
                for (int i = 0; i < _running.Count; i++) _position[_running[i].Value] = i;
            }
            return _position!.TryGetValue(self.Name, out var at) ? new Skipping(_running, at) : _running;
        }

        private sealed class Skipping(List<GossipAddress> all, int skip) : IReadOnlyList<GossipAddress>
        {
            public GossipAddress this[int index] => all[index < skip ? index : index + 1];
            public int Count => all.Count - 1;
            public IEnumerator<GossipAddress> GetEnumerator()
            {
                for (int i = 0; i < Count; i++) yield return this[i];
            }
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }

    private sealed class TrackingStore(ZonedSimulator sim, Node node, Scope scope) : IRecordStore
    {
        public MemoryRecordStore Inner { get; } = new();
        public IReadOnlyList<OriginDigest> Digest() => Inner.Digest();
        public IReadOnlyList<EpochId> IdsOf(string origin) => Inner.IdsOf(origin);
        public bool Contains(EpochId id) => Inner.Contains(id);
        public byte[]? Read(EpochId id) => Inner.Read(id);
        public IReadOnlyList<EpochId> IdsStartingBetween(long fromMicros, long toMicros) => ((IRecordStore)Inner).IdsStartingBetween(fromMicros, toMicros);

        public bool Write(VerifiedRecord record)
        {
            if (!Inner.Write(record)) return false;
            sim.Gained(node, scope, record);
            return true;
        }
    }

    private sealed class SimulatedStreams(ZonedSimulator sim, Node self, int scopeIndex) : IGossipStreams
    {
        public Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken) =>
            sim.Request(self, scopeIndex, to.Value, request);
    }

    /// <summary>Verifies each distinct envelope once; for aggregates also keeps the decoded aggregate.</summary>
    private sealed class CachingVerifier(IRecordVerifier? records, AggregateValidator? aggregates, Func<ZoneHash, ZoneAggregate?>? resolve = null) : IRecordVerifier
    {
        private readonly Dictionary<UInt128, (byte[] Envelope, VerifiedRecord? Record, ZoneAggregate? Aggregate, RecordRejection Rejection)> _cache = [];

        public bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out RecordRejection rejection)
        {
            var entry = Lookup(envelope);
            record = entry.Record;
            rejection = entry.Rejection;
            return record is not null;
        }

        public bool TryGetAggregate(byte[] envelope, out ZoneAggregate? aggregate)
        {
            aggregate = Lookup(envelope).Aggregate;
            return aggregate is not null;
        }

        private (byte[] Envelope, VerifiedRecord? Record, ZoneAggregate? Aggregate, RecordRejection Rejection) Lookup(ReadOnlySpan<byte> envelope)
        {
            var key = XxHash128.HashToUInt128(envelope);
            if (_cache.TryGetValue(key, out var entry) && envelope.SequenceEqual(entry.Envelope)) return entry;
            VerifiedRecord? verified;
            ZoneAggregate? aggregate = null;
            RecordRejection why;
            if (aggregates is not null) aggregates.TryVerify(envelope, out verified, out aggregate, out why);
            else records!.TryVerify(envelope, out verified, out why);
            // Memory is what limits a 10,000-node run: keep one copy of the bytes, no decoded record (stores drop it
            // anyway), and the producer's own instance of an aggregate rather than a second decoded one.
            if (aggregate is not null && resolve?.Invoke(aggregate.Hash) is { } produced) aggregate = produced;
            verified = verified is null ? null : verified with { Decoded = null };
            entry = (verified?.SignedEnvelope ?? envelope.ToArray(), verified, aggregate, why);
            _cache[key] = entry;
            return entry;
        }
    }

    private sealed class VirtualTime(VirtualClock clock, DateTimeOffset start) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => start + clock.Now;
    }
}

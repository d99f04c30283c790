using System.IO.Hashing;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Records;

/// <summary>Network conditions and protocol settings of a replication simulation. Same seed, same run.</summary>
public sealed record ReplicationSimulatorOptions
{
    public int Seed { get; init; } = 1;
    public TimeSpan MinLatency { get; init; } = TimeSpan.FromMilliseconds(1);
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Independent probability that a request or a reply is lost (the requester then times out).</summary>
    public double LossRate { get; init; }

    /// <summary>How long a requester waits for a lost or unanswered request (the stream timeout).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Wall-clock time at virtual t = 0 (records' epochs are placed relative to it).</summary>
    public DateTimeOffset StartTime { get; init; } = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    public ReplicationOptions Replication { get; init; } = new();
}

/// <summary>
/// N replicating nodes in one process on a <see cref="VirtualClock"/>: the production <see cref="RecordReplicator"/>,
/// <see cref="RecordSyncServer"/>, <see cref="RecordValidator"/> and codec, with only the streams (latency, loss,
/// partitions, crashes) and time simulated. Each node has its own signing identity and store; one verification
/// cache is shared so that each distinct envelope is verified for real once, not once per node (N² ECDSA
/// verifications would dominate the run). Single-threaded and deterministic: replies complete on the clock's thread.
/// </summary>
public sealed class ReplicationSimulator
{
    private readonly Dictionary<GossipAddress, Replica> _byAddress = [];
    private readonly List<Replica> _replicas = [];
    private readonly Random _network;
    private readonly Func<EpochId, EpochRecord> _records;
    private readonly CachingVerifier _verifier;
    private readonly Dictionary<EpochId, (TimeSpan SealedAt, int Holders)> _spread = [];
    private readonly long[] _maxMessage = new long[5];
    private int _nodeSeed;
    private int _running;

    /// <param name="records">Builds the record a node seals for an id (its size is what the run measures).</param>
    public ReplicationSimulator(ReplicationSimulatorOptions options, SketchHashKey sketchKey, Func<EpochId, EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(records);
        Options = options;
        _records = records;
        _network = new Random(options.Seed);
        _nodeSeed = options.Seed * 7919;
        Time = new VirtualTime(Clock, options.StartTime);
        _verifier = new CachingVerifier(new RecordValidator(new TrustedOrigins(), sketchKey, options.Replication, Time));
    }

    public ReplicationSimulatorOptions Options { get; }
    public VirtualClock Clock { get; } = new();
    public TimeProvider Time { get; }

    public IReadOnlyList<Replica> Replicas => _replicas;
    public Replica this[string name] => _byAddress[new GossipAddress(name)];

    /// <summary>Every distinct record sealed so far.</summary>
    public int RecordsSealed => _spread.Count;

    /// <summary>Largest sync message seen per type (1 digest request .. 4 records reply), to check the budget.</summary>
    public long MaxMessageBytes(int type) => _maxMessage[type];

    /// <summary>Time from sealing until every running node held the record, for each record that got there.</summary>
    public List<TimeSpan> FullSpreadDelays { get; } = [];

    public long TotalBytesSent => _replicas.Sum(r => r.Counters.BytesSent);

    /// <summary>Raised whenever a node gains a record (its own when sealing, or one received), on the virtual clock.</summary>
    public event Action<Replica, EpochId>? Stored;

    /// <summary>Creates a node and starts its session timer (first session at a random offset within one interval).</summary>
    public Replica AddNode(string name)
    {
        var address = new GossipAddress(name);
        var replica = new Replica(this, address, new Random(++_nodeSeed));
        _byAddress[address] = replica;
        _replicas.Add(replica);
        _running++;
        ScheduleSession(replica, Options.Replication.Interval * replica.Random.NextDouble());
        return replica;
    }

    /// <summary>Node <paramref name="name"/> seals its record for epoch [start, start + length) and stores it.</summary>
    public VerifiedRecord Seal(string name, long startMicros, long lengthMicros)
    {
        var replica = this[name];
        var record = replica.Sealer.Seal(_records(new EpochId(name, startMicros, lengthMicros)));
        _spread[record.Id] = (Clock.Now, 0);
        replica.Tracked.Write(record);
        return record;
    }

    /// <summary>Crash: the node stops sessions and answers nothing; its store is gone with it.</summary>
    public void Kill(string name)
    {
        var replica = this[name];
        if (!replica.Running) return;
        replica.Running = false;
        _running--;
    }

    /// <summary>Splits the network: requests between groups are lost. Nodes in no group form group 0.</summary>
    public void Partition(params IEnumerable<string>[] groups)
    {
        for (var g = 0; g < groups.Length; g++)
            foreach (var name in groups[g])
                this[name].Group = g + 1;
    }

    public void Heal()
    {
        foreach (var r in _replicas) r.Group = 0;
    }

    /// <summary>True when every running node holds every sealed record.</summary>
    public bool AllHoldAll() => _replicas.Where(r => r.Running).All(r => r.Store.Count == _spread.Count);

    private void ScheduleSession(Replica replica, TimeSpan delay) =>
        Clock.Schedule(delay, () =>
        {
            if (!replica.Running) return;
            if (!replica.Busy) _ = RunSession(replica);
            var jitter = 0.9 + 0.2 * replica.Random.NextDouble();
            ScheduleSession(replica, Options.Replication.Interval * jitter);
        });

    private static async Task RunSession(Replica replica)
    {
        replica.Busy = true;
        try
        {
            await replica.Replicator.RunSessionAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            replica.Busy = false;
        }
    }

    private void Held(Replica replica, EpochId id)
    {
        Stored?.Invoke(replica, id);
        if (!_spread.TryGetValue(id, out var entry)) return;
        entry.Holders++;
        _spread[id] = entry;
        if (entry.Holders == _running) FullSpreadDelays.Add(Clock.Now - entry.SealedAt);
    }

    private Task<byte[]?> Request(Replica from, GossipAddress to, ReadOnlyMemory<byte> request)
    {
        var completion = new TaskCompletionSource<byte[]?>();
        var copy = request.ToArray();
        Observe(copy);
        if (!_byAddress.TryGetValue(to, out var target) || !Reachable(from, target) || Lost())
        {
            Clock.Schedule(Options.RequestTimeout, () => completion.TrySetResult(null));
            return completion.Task;
        }
        Clock.Schedule(Latency(), () =>
        {
            if (!Reachable(from, target))
            {
                Clock.Schedule(Options.RequestTimeout, () => completion.TrySetResult(null));
                return;
            }
            var pending = target.Server.HandleAsync(new NodeId(from.Address.Value), copy, CancellationToken.None);
            // The server completes synchronously over an in-memory store; anything else would break determinism.
            var reply = pending.IsCompleted ? pending.Result : throw new InvalidOperationException("the simulated server must answer synchronously");
            if (reply is null || Lost())
            {
                Clock.Schedule(Options.RequestTimeout, () => completion.TrySetResult(null));
                return;
            }
            Observe(reply);
            Clock.Schedule(Latency(), () => completion.TrySetResult(Reachable(from, target) ? reply : null));
        });
        return completion.Task;
    }

    private void Observe(byte[] message)
    {
        if (message.Length >= 2 && message[1] is >= 1 and <= 4) _maxMessage[message[1]] = Math.Max(_maxMessage[message[1]], message.Length);
    }

    private static bool Reachable(Replica a, Replica b) => a.Running && b.Running && a.Group == b.Group;

    private bool Lost() => Options.LossRate > 0 && _network.NextDouble() < Options.LossRate;

    private TimeSpan Latency()
    {
        var range = (Options.MaxLatency - Options.MinLatency).Ticks;
        return Options.MinLatency + TimeSpan.FromTicks(range > 0 ? _network.NextInt64(range) : 0);
    }

    /// <summary>One simulated node: its store, counters and the production replication objects.</summary>
    public sealed class Replica
    {
        internal Replica(ReplicationSimulator sim, GossipAddress address, Random random)
        {
            Address = address;
            Random = random;
            Identity = NodeIdentity.Generate();
            Sealer = new RecordSealer(Identity, new NodeId(address.Value));
            var tracked = new TrackingStore(this, sim);
            Tracked = tracked;
            Store = tracked.Inner;
            var options = sim.Options.Replication;
            Server = new RecordSyncServer(tracked, sim._verifier, options, sim.Time, Counters, new Random(random.Next()));
            Replicator = new RecordReplicator(tracked, sim._verifier, new SimulatedStreams(sim, this),
                () => sim._replicas.Where(r => r != this && r.Running).Select(r => r.Address).ToList(),
                options, sim.Time, Counters, new Random(random.Next()));
        }

        public GossipAddress Address { get; }
        public NodeIdentity Identity { get; }
        public RecordSealer Sealer { get; }
        /// <summary>The node's records (reads only: writes go through replication or <see cref="Seal"/>).</summary>
        public MemoryRecordStore Store { get; }
        public ReplicationCounters Counters { get; } = new();
        public RecordSyncServer Server { get; }
        public RecordReplicator Replicator { get; }
        public bool Running { get; internal set; } = true;
        internal Random Random { get; }
        internal IRecordStore Tracked { get; }
        internal int Group { get; set; }
        internal bool Busy { get; set; }
    }

    /// <summary>Tells the simulator when a node gains a record (to time full spread).</summary>
    internal sealed class TrackingStore : IRecordStore
    {
        private readonly Replica _owner;
        private readonly ReplicationSimulator _sim;

        public TrackingStore(Replica owner, ReplicationSimulator sim)
        {
            _owner = owner;
            _sim = sim;
        }

        public MemoryRecordStore Inner { get; } = new();
        public IReadOnlyList<OriginDigest> Digest() => Inner.Digest();
        public IReadOnlyList<EpochId> IdsOf(string origin) => Inner.IdsOf(origin);
        public bool Contains(EpochId id) => Inner.Contains(id);
        public byte[]? Read(EpochId id) => Inner.Read(id);

        public bool Write(VerifiedRecord record)
        {
            if (!Inner.Write(record)) return false;
            _sim.Held(_owner, record.Id);
            return true;
        }
    }

    private sealed class SimulatedStreams(ReplicationSimulator sim, Replica self) : IGossipStreams
    {
        public Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken) =>
            sim.Request(self, to, request);
    }

    /// <summary>Verifies each distinct envelope once and hands every node the same instance (shared bytes, less memory).</summary>
    private sealed class CachingVerifier(IRecordVerifier inner) : IRecordVerifier
    {
        private readonly Dictionary<UInt128, (byte[] Envelope, VerifiedRecord? Record, RecordRejection Rejection)> _cache = [];

        public bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out RecordRejection rejection)
        {
            var key = XxHash128.HashToUInt128(envelope);
            if (!_cache.TryGetValue(key, out var entry) || !envelope.SequenceEqual(entry.Envelope))
            {
                inner.TryVerify(envelope, out var verified, out var why);
                // One copy of the bytes and no decoded record per distinct envelope: memory limits large runs.
                verified = verified is null ? null : verified with { Decoded = null };
                entry = (verified?.SignedEnvelope ?? envelope.ToArray(), verified, why);
                _cache[key] = entry;
            }
            record = entry.Record;
            rejection = entry.Rejection;
            return record is not null;
        }
    }

    private sealed class VirtualTime(VirtualClock clock, DateTimeOffset start) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => start + clock.Now;
    }
}

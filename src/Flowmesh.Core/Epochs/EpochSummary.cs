using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Builds the record of one epoch from flow deltas (<see cref="FlowTableDelta"/>), then seals it into an
/// immutable <see cref="EpochRecord"/>. Every delta's traffic is counted once, by the sender of each direction
/// (talkers, destinations, pairs, matrix, distinct sources/destinations), by the flow (top flows, distinct
/// flows, flows started), and by the initiator (fan-out, fan-in, distinct ports). Deltas of flows another agent
/// owns (<see cref="FlowOwnership"/>) are left out of the sketches and counted in <see cref="CaptureHealth.ForeignPackets"/>;
/// when the owner is named, they are also listed in the record's "left to peer" section (capped, exact counters past
/// the cap), which the global view uses only where no record of the epoch announces the address it was left for.
/// Flows counted only because the lower address has no known agent are held until the seal and decided then
/// (<see cref="ProvisionalFlows"/>), so a newcomer learned of during the epoch is not counted twice. Owned flows that are
/// Flowmesh's own traffic (<see cref="MonitorTrafficFilter"/>) are counted like the rest and also totalled apart.
/// </summary>
public sealed class EpochSummary
{
    private readonly EpochContents _contents;
    private readonly EpochSummaryOptions _options;
    private readonly FlowOwnership _ownership;
    private readonly SubnetMatrixAccumulator _matrix;
    private CaptureHealth _health;
    private readonly MonitorTrafficFilter? _monitorFilter;
    private readonly LeftAccumulator _left = new();
    private readonly ProvisionalFlows _provisional = new();
    private Dictionary<(IpAddress128, IpAddress128), (ulong Bytes, ulong Packets)>? _monitorPairs;
    private TrafficCounters _monitor;
    private ulong _foreignPackets;
    private readonly HostContextAccumulator _hostContext = new();
    private readonly PeerAccounts.Accumulator _peerAccounts;
    private bool _sealed;

    public EpochSummary(EpochId id, SketchHashKey key, EpochSummaryOptions? options = null, FlowOwnership? ownership = null, MonitorTrafficFilter? monitorTraffic = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        id.Validate();
        _options = options ?? EpochSummaryOptions.Default;
        _options.Validate();
        Id = id;
        _ownership = ownership ?? FlowOwnership.Everything;
        _monitorFilter = monitorTraffic;
        _contents = EpochContents.Create(key, _options);
        _matrix = new SubnetMatrixAccumulator(_options.MatrixWorkingCells);
        _peerAccounts = new PeerAccounts.Accumulator(_ownership.Addresses);
    }

    /// <summary>A builder into an empty copy of <paramref name="like"/>'s sketch shapes (the view's stand-in for missing owners).</summary>
    internal EpochSummary(EpochId id, EpochContents like, MonitorTrafficFilter? monitorTraffic = null)
    {
        id.Validate();
        _options = EpochSummaryOptions.Default with { MatrixCells = like.Matrix.Capacity, MatrixWorkingCells = Math.Max(like.Matrix.Capacity, EpochSummaryOptions.Default.MatrixWorkingCells) };
        Id = id;
        _ownership = FlowOwnership.Everything;
        _monitorFilter = monitorTraffic;
        _contents = like.CreateEmptyLike();
        _matrix = new SubnetMatrixAccumulator(_options.MatrixWorkingCells);
        _peerAccounts = new PeerAccounts.Accumulator(null);
    }

    public EpochId Id { get; private set; }

    /// <summary>
    /// Ends the interval early, before the seal: a live capture that stops inside its epoch claims only the time it
    /// watched, so a restart within the epoch can record the rest under an interval of its own (records of one origin
    /// never overlap). The start stays, so every ownership verdict already taken for this epoch still holds.
    /// </summary>
    public void EndAt(long endMicros)
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is sealed.");
        if (endMicros <= Id.StartMicros || endMicros > Id.EndMicros)
            throw new ArgumentOutOfRangeException(nameof(endMicros), endMicros, $"an early end lies inside {Id}");
        Id = Id with { LengthMicros = endMicros - Id.StartMicros };
    }

    /// <summary>What of the flows' host context the record may carry (docs/host-context.md "Privacy").</summary>
    public HostContext.HostContextPrivacy Privacy { get; init; } = HostContext.HostContextPrivacy.Default;

    /// <summary>
    /// Where traffic counted on a provisional verdict is remembered across epochs, and whose late-owned entries this
    /// record reports as counted twice (<see cref="LateOwnershipLedger"/>); null: neither.
    /// </summary>
    public LateOwnershipLedger? Ledger { get; init; }

    /// <summary>The zone the record will name (docs/zones.md); null names none.</summary>
    public Zones.ZonePath? Zone { get; init; }

    public void Add(in FlowTableDelta flow)
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is sealed.");
        if (flow.Packets < 0 || flow.ReversePackets < 0 || flow.Bytes < 0 || flow.ReverseBytes < 0)
            throw new ArgumentException("Flow deltas never have negative counters.", nameof(flow));
        if ((flow.Packets == 0 && flow.Bytes != 0) || (flow.ReversePackets == 0 && flow.ReverseBytes != 0))
            throw new ArgumentException("A direction without packets cannot carry bytes.", nameof(flow));
        // Both ends vouch (docs/cross-check.md): every flow with a monitored peer is accounted, owned or left.
        if (_ownership.Addresses is { } map) _peerAccounts.Add(in flow, map);
        if (!_ownership.Decide(flow.SourceAddress, flow.DestinationAddress, Id.StartMicros, out string? owner, out bool provisional))
        {
            Leave(owner, in flow);
            return;
        }
        if (provisional && _provisional.TryHold(in flow)) return;
        Count(in flow);
        if (provisional) Ledger?.Add(Id, Lower(in flow), Higher(in flow), (byte)ProtocolClasses.Of(flow.Protocol), Traffic(in flow));
    }

    private static IpAddress128 Lower(in FlowTableDelta flow) => flow.SourceAddress <= flow.DestinationAddress ? flow.SourceAddress : flow.DestinationAddress;

    private static IpAddress128 Higher(in FlowTableDelta flow) => flow.SourceAddress <= flow.DestinationAddress ? flow.DestinationAddress : flow.SourceAddress;

    private static TrafficCounters Traffic(in FlowTableDelta flow) =>
        new((ulong)(flow.Bytes + flow.ReverseBytes), (ulong)(flow.Packets + flow.ReversePackets), flow.StartsRecord ? 1UL : 0UL);

    /// <summary>Decides the held flows with the address map as it is now (<see cref="ProvisionalFlows"/>).</summary>
    private void DecideProvisional()
    {
        if (_provisional.Count == 0) return;
        foreach (var flow in _provisional.Release())
        {
            if (_ownership.Decide(flow.SourceAddress, flow.DestinationAddress, Id.StartMicros, out string? owner, out bool provisional))
            {
                Count(in flow);
                if (provisional) Ledger?.Add(Id, Lower(in flow), Higher(in flow), (byte)ProtocolClasses.Of(flow.Protocol), Traffic(in flow));
            }
            else Leave(owner, in flow);
        }
    }

    private void Leave(string? owner, in FlowTableDelta flow)
    {
        _foreignPackets += (ulong)(flow.Packets + flow.ReversePackets);
        if (owner is not null) _left.Add(owner, in flow, _monitorFilter is not null && _monitorFilter.Matches(in flow));
    }

    private void Count(in FlowTableDelta flow)
    {
        if (_monitorFilter is not null && _monitorFilter.Matches(in flow)) AddMonitor(in flow);
        if (flow.Context is not null) _hostContext.Add(in flow, _contents.Key, Privacy, _ownership.Addresses);

        ulong bytes = (ulong)flow.Bytes, packets = (ulong)flow.Packets;
        ulong reverseBytes = (ulong)flow.ReverseBytes, reversePackets = (ulong)flow.ReversePackets;
        int protocolClass = (int)ProtocolClasses.Of(flow.Protocol);
        _contents.ByProtocol[protocolClass] += new TrafficCounters(bytes + reverseBytes, packets + reversePackets, flow.StartsRecord ? 1UL : 0UL);

        Span<byte> source = stackalloc byte[TrafficKey.AddressLength];
        Span<byte> destination = stackalloc byte[TrafficKey.AddressLength];
        Span<byte> pair = stackalloc byte[TrafficKey.PairLength];
        TrafficKey.WriteAddress(source, flow.SourceAddress);
        TrafficKey.WriteAddress(destination, flow.DestinationAddress);
        if (packets > 0)
            AddDirection(source, destination, pair, flow.SourceAddress, flow.DestinationAddress, bytes, packets);
        if (reversePackets > 0)
            AddDirection(destination, source, pair, flow.DestinationAddress, flow.SourceAddress, reverseBytes, reversePackets);

        Span<byte> tuple = stackalloc byte[TrafficKey.FiveTupleLength];
        TrafficKey.WriteFiveTuple(tuple, flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);
        AddWeight(TopKind.Flows, tuple, bytes + reverseBytes, packets + reversePackets);

        var key = FlowKey.FromDirected(flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort, flow.Protocol, out _);
        TrafficKey.WriteFiveTuple(tuple, key.Protocol, key.LowAddress, key.LowPort, key.HighAddress, key.HighPort);
        _contents.Distinct[(int)DistinctKind.Flows].Add(tuple);

        _contents.Spread[(int)SpreadKind.DestinationsPerSource].Add(source, destination);
        _contents.Spread[(int)SpreadKind.SourcesPerDestination].Add(destination, source);
        if (IpProtocol.HasPorts(flow.Protocol))
        {
            Span<byte> service = [flow.Protocol, (byte)(flow.DestinationPort >> 8), (byte)flow.DestinationPort];
            _contents.Distinct[(int)DistinctKind.Ports].Add(service);
            TrafficKey.WritePair(pair, flow.SourceAddress, flow.DestinationAddress);
            _contents.Spread[(int)SpreadKind.PortsPerPair].Add(pair, service);
        }
    }

    /// <summary>A flow known to be Flowmesh's own traffic, counted by whoever lists it (a stand-in from a "left to peer" entry).</summary>
    internal void AddMonitor(in FlowTableDelta flow)
    {
        _monitor += new TrafficCounters((ulong)(flow.Bytes + flow.ReverseBytes), (ulong)(flow.Packets + flow.ReversePackets), flow.StartsRecord ? 1UL : 0UL);
        _monitorPairs ??= [];
        if (flow.Packets > 0) AddMonitorPair(flow.SourceAddress, flow.DestinationAddress, (ulong)flow.Bytes, (ulong)flow.Packets);
        if (flow.ReversePackets > 0) AddMonitorPair(flow.DestinationAddress, flow.SourceAddress, (ulong)flow.ReverseBytes, (ulong)flow.ReversePackets);
    }

    private void AddMonitorPair(IpAddress128 source, IpAddress128 destination, ulong bytes, ulong packets)
    {
        // Capped: past the cap a pair's traffic is only in the monitor total (the view widens its bounds by the rest).
        if (_monitorPairs!.TryGetValue((source, destination), out var s)) _monitorPairs[(source, destination)] = (s.Bytes + bytes, s.Packets + packets);
        else if (_monitorPairs.Count < RecordExtensions.MaxMonitorPairs) _monitorPairs[(source, destination)] = (bytes, packets);
    }

    private void AddDirection(ReadOnlySpan<byte> sender, ReadOnlySpan<byte> receiver, Span<byte> pair, IpAddress128 senderAddress, IpAddress128 receiverAddress, ulong bytes, ulong packets)
    {
        AddWeight(TopKind.Talkers, sender, bytes, packets);
        AddWeight(TopKind.Destinations, receiver, bytes, packets);
        sender.CopyTo(pair);
        receiver.CopyTo(pair[16..]);
        AddWeight(TopKind.Pairs, pair, bytes, packets);
        _contents.Distinct[(int)DistinctKind.Sources].Add(sender);
        _contents.Distinct[(int)DistinctKind.Destinations].Add(receiver);
        _matrix.Add(senderAddress, receiverAddress, bytes, packets);
    }

    private void AddWeight(TopKind kind, ReadOnlySpan<byte> key, ulong bytes, ulong packets)
    {
        if (bytes > 0) _contents.Top[EpochContents.TopIndex(kind, TrafficMeasure.Bytes)].Add(key, bytes);
        if (packets > 0) _contents.Top[EpochContents.TopIndex(kind, TrafficMeasure.Packets)].Add(key, packets);
    }

    /// <summary>One DNS question this PC asked (and its answer or timeout), counted in this epoch.</summary>
    public void AddDns(HostContext.DnsObservation observation)
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is sealed.");
        ArgumentNullException.ThrowIfNull(observation);
        _hostContext.AddDns(observation, _contents.Key, Privacy);
    }

    /// <summary>Adds what the capture saw and lost during this epoch (frames, drops, decode failures, evictions).</summary>
    public void AddHealth(CaptureHealth health)
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is sealed.");
        _health += health;
    }

    /// <summary>Ends the epoch: encodes it once and returns the immutable record. The summary accepts nothing afterwards.</summary>
    public EpochRecord Seal()
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is already sealed.");
        DecideProvisional();
        _sealed = true;
        _contents.Health = _health with { ForeignPackets = _health.ForeignPackets + _foreignPackets };
        _contents.Matrix = _matrix.Seal(_options.MatrixCells);
        FillExtensions(_contents.Extensions);
        // Decoding what was encoded gives the record its own sketches (nothing shared with this builder) and
        // proves that the bytes readers will get are valid.
        return EpochRecord.Decode(_contents.Encode(Id), _contents.Key);
    }

    /// <summary>Ends the builder without encoding: the contents, for merging into a view (never published).</summary>
    internal EpochContents SealContents()
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is already sealed.");
        DecideProvisional();
        _sealed = true;
        _contents.Health = _health;
        _contents.Matrix = _matrix.Seal(_options.MatrixCells);
        FillExtensions(_contents.Extensions);
        return _contents;
    }

    private void FillExtensions(RecordExtensions extensions)
    {
        if (_ownership.Addresses is { } addresses)
        {
            extensions.Addresses = [.. addresses.Local];
            extensions.PeerAccounts = _peerAccounts.Seal();
            if (addresses.OwnedFromMicros > Id.StartMicros && addresses.OwnedFromMicros <= Id.EndMicros) extensions.OwnedFromMicros = addresses.OwnedFromMicros;
            var later = addresses.LocalOwnedFrom().Where(e => e.OwnedFromMicros > Id.StartMicros).ToList();
            if (later.Count > 0) extensions.OwnedLater = later;
        }
        extensions.Zone = Zone is { IsRoot: false } zone ? zone : null;
        extensions.Monitor = _monitor;
        if (_monitorPairs is not null)
            foreach (var (pair, value) in _monitorPairs)
                extensions.MonitorPairs.Add(new MonitorPairTraffic(pair.Item1, pair.Item2, value.Bytes, value.Packets));
        extensions.MonitorPairs.Sort((a, b) => a.Source != b.Source ? a.Source.CompareTo(b.Source) : a.Destination.CompareTo(b.Destination));
        _left.WriteTo(extensions.Left, Id);
        if (Ledger?.Settle(_ownership.Addresses, Id.StartMicros, RecordExtensions.MaxCountedTwice) is { Count: > 0 } twice) extensions.CountedTwice = twice;
        _hostContext.WriteTo(extensions);
    }

    /// <summary>
    /// Flows left to named owners, per owner. At the seal the heaviest are listed one by one, up to
    /// <see cref="RecordExtensions.MaxLeftFlowsPerPeer"/> per owner and <see cref="RecordExtensions.MaxLeftFlows"/> in all;
    /// the rest become exact counters. Tracks at most <see cref="TrackedFlows"/> flows per epoch (later new flows go
    /// straight to the counters). Allocates per new flow of the epoch, never per packet.
    /// </summary>
    private sealed class LeftAccumulator
    {
        private const int TrackedFlows = 65_536;
        private readonly Dictionary<string, Peer> _peers = new(StringComparer.Ordinal);
        private int _tracked;

        public void Add(string owner, in FlowTableDelta flow, bool monitor)
        {
            if (!_peers.TryGetValue(owner, out var peer))
            {
                if (_peers.Count >= RecordExtensions.MaxLeftSections) return; // past every cap: only ForeignPackets knows it
                _peers[owner] = peer = new Peer();
            }
            var key = (flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);
            if (peer.Flows.TryGetValue(key, out var listed))
            {
                peer.Flows[key] = listed with
                {
                    Bytes = listed.Bytes + (ulong)flow.Bytes, Packets = listed.Packets + (ulong)flow.Packets,
                    ReverseBytes = listed.ReverseBytes + (ulong)flow.ReverseBytes, ReversePackets = listed.ReversePackets + (ulong)flow.ReversePackets,
                    StartsRecord = listed.StartsRecord || flow.StartsRecord, Monitor = listed.Monitor || monitor,
                };
                return;
            }
            if (_tracked < TrackedFlows)
            {
                _tracked++;
                peer.Flows[key] = new LeftFlow(flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort,
                    (ulong)flow.Bytes, (ulong)flow.Packets, (ulong)flow.ReverseBytes, (ulong)flow.ReversePackets, flow.StartsRecord, monitor);
                return;
            }
            peer.AddUnlisted(flow.Protocol, new TrafficCounters((ulong)(flow.Bytes + flow.ReverseBytes), (ulong)(flow.Packets + flow.ReversePackets), flow.StartsRecord ? 1UL : 0UL), monitor);
        }

        public void WriteTo(List<LeftToPeer> sections, EpochId id)
        {
            // The heaviest per owner, then the heaviest overall, so the listed part covers as much traffic as the caps allow.
            static ulong Weight(LeftFlow f) => f.Bytes + f.ReverseBytes;
            var candidates = new List<(string Owner, LeftFlow Flow)>();
            foreach (var (owner, peer) in _peers)
            {
                var ranked = peer.Flows.Values.Where(f => f.Packets + f.ReversePackets > 0)
                    .OrderByDescending(Weight).ThenBy(f => f, Comparer<LeftFlow>.Create(LeftFlow.Compare)).ToList();
                foreach (var f in ranked.Skip(RecordExtensions.MaxLeftFlowsPerPeer)) peer.AddUnlisted(f);
                candidates.AddRange(ranked.Take(RecordExtensions.MaxLeftFlowsPerPeer).Select(f => (owner, f)));
            }
            var chosen = candidates.OrderByDescending(c => Weight(c.Flow)).ThenBy(c => c.Owner, StringComparer.Ordinal)
                .ThenBy(c => c.Flow, Comparer<LeftFlow>.Create(LeftFlow.Compare)).ToList();
            foreach (var (owner, f) in chosen.Skip(RecordExtensions.MaxLeftFlows)) _peers[owner].AddUnlisted(f);
            var listed = chosen.Take(RecordExtensions.MaxLeftFlows).GroupBy(c => c.Owner, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(c => c.Flow).ToList(), StringComparer.Ordinal);
            foreach (var (owner, peer) in _peers)
            {
                var flows = listed.GetValueOrDefault(owner) ?? [];
                var unlisted = default(TrafficCounters);
                foreach (var c in peer.Unlisted) unlisted += c;
                if (flows.Count == 0 && unlisted == default) continue;
                flows.Sort(LeftFlow.Compare);
                sections.Add(new LeftToPeer(owner, id.StartMicros, id.LengthMicros, flows, peer.Unlisted, peer.UnlistedMonitor));
            }
            sections.Sort((a, b) => string.CompareOrdinal(a.Peer, b.Peer));
        }

        private sealed class Peer
        {
            public readonly Dictionary<(byte, IpAddress128, ushort, IpAddress128, ushort), LeftFlow> Flows = [];
            public readonly TrafficCounters[] Unlisted = new TrafficCounters[ProtocolClasses.Count];
            public TrafficCounters UnlistedMonitor;

            public void AddUnlisted(byte protocol, TrafficCounters counters, bool monitor)
            {
                Unlisted[(int)ProtocolClasses.Of(protocol)] += counters;
                if (monitor) UnlistedMonitor += counters;
            }

            public void AddUnlisted(LeftFlow f) =>
                AddUnlisted(f.Protocol, new TrafficCounters(f.Bytes + f.ReverseBytes, f.Packets + f.ReversePackets, f.StartsRecord ? 1UL : 0UL), f.Monitor);
        }
    }
}

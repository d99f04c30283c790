using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Builds the record of one epoch from flow deltas (<see cref="FlowTableDelta"/>), then seals it into an
/// immutable <see cref="EpochRecord"/>. Every delta's traffic is counted once, by the sender of each direction
/// (talkers, destinations, pairs, matrix, distinct sources/destinations), by the flow (top flows, distinct
/// flows, flows started), and by the initiator (fan-out, fan-in, distinct ports). Deltas of flows another agent
/// owns (<see cref="FlowOwnership"/>) are left out and counted in <see cref="CaptureHealth.ForeignPackets"/>.
/// </summary>
public sealed class EpochSummary
{
    private readonly EpochContents _contents;
    private readonly EpochSummaryOptions _options;
    private readonly FlowOwnership _ownership;
    private readonly SubnetMatrixAccumulator _matrix;
    private CaptureHealth _health;
    private ulong _foreignPackets;
    private bool _sealed;

    public EpochSummary(EpochId id, SketchHashKey key, EpochSummaryOptions? options = null, FlowOwnership? ownership = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        id.Validate();
        _options = options ?? EpochSummaryOptions.Default;
        _options.Validate();
        Id = id;
        _ownership = ownership ?? FlowOwnership.Everything;
        _contents = EpochContents.Create(key, _options);
        _matrix = new SubnetMatrixAccumulator(_options.MatrixWorkingCells);
    }

    public EpochId Id { get; }

    public void Add(in FlowTableDelta flow)
    {
        if (_sealed) throw new InvalidOperationException($"Epoch {Id} is sealed.");
        if (flow.Packets < 0 || flow.ReversePackets < 0 || flow.Bytes < 0 || flow.ReverseBytes < 0)
            throw new ArgumentException("Flow deltas never have negative counters.", nameof(flow));
        if ((flow.Packets == 0 && flow.Bytes != 0) || (flow.ReversePackets == 0 && flow.ReverseBytes != 0))
            throw new ArgumentException("A direction without packets cannot carry bytes.", nameof(flow));
        if (!_ownership.Owns(in flow))
        {
            _foreignPackets += (ulong)(flow.Packets + flow.ReversePackets);
            return;
        }

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
        AddWeight(TopDimension.Flows, tuple, bytes + reverseBytes, packets + reversePackets);

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

    private void AddDirection(ReadOnlySpan<byte> sender, ReadOnlySpan<byte> receiver, Span<byte> pair, IpAddress128 senderAddress, IpAddress128 receiverAddress, ulong bytes, ulong packets)
    {
        AddWeight(TopDimension.Talkers, sender, bytes, packets);
        AddWeight(TopDimension.Destinations, receiver, bytes, packets);
        sender.CopyTo(pair);
        receiver.CopyTo(pair[16..]);
        AddWeight(TopDimension.Pairs, pair, bytes, packets);
        _contents.Distinct[(int)DistinctKind.Sources].Add(sender);
        _contents.Distinct[(int)DistinctKind.Destinations].Add(receiver);
        _matrix.Add(senderAddress, receiverAddress, bytes, packets);
    }

    private void AddWeight(TopDimension dimension, ReadOnlySpan<byte> key, ulong bytes, ulong packets)
    {
        if (bytes > 0) _contents.Top[EpochContents.TopIndex(dimension, TrafficMeasure.Bytes)].Add(key, bytes);
        if (packets > 0) _contents.Top[EpochContents.TopIndex(dimension, TrafficMeasure.Packets)].Add(key, packets);
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
        _sealed = true;
        _contents.Health = _health with { ForeignPackets = _health.ForeignPackets + _foreignPackets };
        _contents.Matrix = _matrix.Seal(_options.MatrixCells);
        // Decoding what was encoded gives the record its own sketches (nothing shared with this builder) and
        // proves that the bytes readers will get are valid.
        return EpochRecord.Decode(_contents.Encode(Id), _contents.Key);
    }
}

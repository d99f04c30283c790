using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests;

/// <summary>Counts what a capture loop delivers; safe to read from the test thread.</summary>
internal sealed class RecordingSink : ICaptureSink
{
    private long _frames;
    private long _bytes;
    private long _lastPacketMicros = long.MinValue;
    private long _lastIdleMicros = long.MinValue;
    private long _idleCalls;

    public long Frames => Volatile.Read(ref _frames);
    public long Bytes => Volatile.Read(ref _bytes);
    public long LastPacketMicros => Volatile.Read(ref _lastPacketMicros);
    public long LastIdleMicros => Volatile.Read(ref _lastIdleMicros);
    public long IdleCalls => Volatile.Read(ref _idleCalls);

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        Volatile.Write(ref _frames, _frames + 1);
        Volatile.Write(ref _bytes, _bytes + frame.Length);
        Volatile.Write(ref _lastPacketMicros, timestampMicros);
    }

    public void AdvanceTime(long nowMicros)
    {
        Volatile.Write(ref _lastIdleMicros, nowMicros);
        Volatile.Write(ref _idleCalls, _idleCalls + 1);
    }

    public void ObserveAggregates(Span<FlowAggregate> aggregates) => throw new InvalidOperationException("a packet source delivers frames");

    public long NextDeadlineMicros => long.MaxValue;

    public void ReadFailed(Exception error) => throw error;
}

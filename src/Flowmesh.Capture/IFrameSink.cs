using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture;

/// <summary>
/// Where a capture loop delivers frames and idle time. <see cref="FlowMeter"/> is the real one
/// (through <see cref="FlowMeterSink"/>); tests plug in their own to watch the loop. Loops take the
/// sink as a generic struct parameter, so the per-frame call is direct, not virtual.
/// </summary>
public interface IFrameSink
{
    void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame);

    /// <summary>No frame arrived for a while; the clock is at <paramref name="nowMicros"/>.</summary>
    void AdvanceTime(long nowMicros);
}

public readonly struct FlowMeterSink(FlowMeter meter) : IFrameSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        meter.ObservePacket(linkType, timestampMicros, frame);

    public void AdvanceTime(long nowMicros) => meter.AdvanceTime(nowMicros);
}

using System.Runtime.ExceptionServices;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture;

/// <summary>
/// Where a capture source delivers what it observes: frames (libpcap, capture files), flows the kernel aggregated
/// (eBPF), and the passing of time. <see cref="FlowMeterSink"/> feeds a bare <see cref="FlowMeter"/> (`flowmesh
/// flows`); the agent's sink feeds its epoch summarizer. Every source runs its own loop
/// (<see cref="ICaptureSource.Run{TSink}"/>) and takes the sink as a generic struct parameter, so the per-frame call
/// is direct, not virtual.
/// </summary>
public interface ICaptureSink
{
    void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame);

    /// <summary>One drain of pre-aggregated flows (the callee may reorder the span).</summary>
    void ObserveAggregates(Span<FlowAggregate> aggregates);

    /// <summary>Everything the source will deliver from before <paramref name="nowMicros"/> (wall clock, µs) has been delivered.</summary>
    void AdvanceTime(long nowMicros);

    /// <summary>
    /// When the sink next needs <see cref="AdvanceTime"/> (the end of its epoch), so a source that sleeps between
    /// reads (eBPF) wakes and drains right then; <see cref="long.MaxValue"/>: no deadline.
    /// </summary>
    long NextDeadlineMicros { get; }

    /// <summary>One read of the source failed and the source carries on (it gives up after several in a row). Throw to stop it at once.</summary>
    void ReadFailed(Exception error);
}

/// <summary>Feeds a <see cref="FlowMeter"/>; a failed read ends the run with that error.</summary>
public readonly struct FlowMeterSink(FlowMeter meter) : ICaptureSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        meter.ObservePacket(linkType, timestampMicros, frame);

    public void ObserveAggregates(Span<FlowAggregate> aggregates) => meter.ObserveAggregates(aggregates);

    public void AdvanceTime(long nowMicros) => meter.AdvanceTime(nowMicros);

    public long NextDeadlineMicros => long.MaxValue;

    public void ReadFailed(Exception error) => ExceptionDispatchInfo.Capture(error).Throw();
}

using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// What every capture source feeds in the agent: frames and kernel-aggregated flows to the epoch summarizer; on idle
/// time (libpcap's read timeout, the eBPF source's ticks and drains) the kernel drops since the last look are charged
/// to the open epoch and the summarizer's clock moves, which seals the epoch on time even when nothing arrives; its
/// deadline is the open epoch's end. A struct: the per-frame call is direct. An exception from one frame, one drain or
/// one tick drops that frame, drain or tick, counted in <see cref="CaptureErrors"/>; the source's loop goes on (a try
/// block costs nothing on .NET until something throws).
/// </summary>
internal readonly struct AgentCaptureSink(EpochSummarizer summarizer, KernelDropTracker drops, CaptureErrors errors) : ICaptureSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        try
        {
            summarizer.ObservePacket(linkType, timestampMicros, frame);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.Packet, e, $"a {frame.Length}-byte frame at {timestampMicros} µs");
        }
    }

    public void ObserveAggregates(Span<FlowAggregate> aggregates)
    {
        try
        {
            summarizer.ObserveAggregates(aggregates);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.Drain, e, $"{aggregates.Length} flows of one drain of the eBPF flow map");
        }
    }

    /// <summary>Idle time: kernel drops to the open epoch, then the clock (which may seal it).</summary>
    public void AdvanceTime(long nowMicros)
    {
        try
        {
            drops.ChargeTo(summarizer);
            summarizer.AdvanceTime(nowMicros);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.Tick, e, $"the clock tick at {nowMicros} µs");
        }
    }

    public long NextDeadlineMicros => summarizer.NextCutMicros;

    public void ReadFailed(Exception error) => errors.Count(CaptureErrorStage.Drain, error, "one read of the capture source");
}
